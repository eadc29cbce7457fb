package io.hoft.transport.channel;

import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.Link;
import io.hoft.transport.spool.SpoolFileName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The resend bookkeeping of one peer's lanes: a {@code sent} file is handed to the link again
 * from the sender's store when its resend time comes (capped exponential backoff with jitter,
 * at once after a nack), abandoned once all its messages expired, and rebuilt under its own
 * number instead when its stored copy is missing or its session ends before a resend could
 * arrive. Every step applies only to a file still {@code sent} (see {@link OutgoingTables}).
 */
final class Resender {
    private static final Logger log = LoggerFactory.getLogger(Resender.class);

    private final ChannelContext ctx;
    private final NodeId peer;
    private final Link link;
    private final Path sentDir;
    private final OutgoingTables tables;
    private final Settler settler;
    private final AtomicLong resends = new AtomicLong();

    Resender(ChannelContext ctx, NodeId peer, Link link, Path sentDir, OutgoingTables tables, Settler settler) {
        this.ctx = ctx;
        this.peer = peer;
        this.link = link;
        this.sentDir = sentDir;
        this.tables = tables;
        this.settler = settler;
    }

    long resends() {
        return resends.get();
    }

    /**
     * Resends what is due, then learns when the next resend is due (a nack meanwhile keeps
     * "now"); {@code rebuild} runs for a file that is to be rebuilt instead.
     */
    void resendIfDue(int lane, LaneHints hints, Runnable rebuild, long nowMs) {
        AtomicLong resendAt = hints.resendAtMs;
        long seen = resendAt.get();
        if (nowMs < seen) {
            return;
        }
        resendDue(lane, rebuild, nowMs);
        long next = ctx.store().inTransactionDurableLater(tx -> tables.nextResendMs(tx, lane));
        resendAt.compareAndSet(seen, Math.min(next < 0 ? Long.MAX_VALUE : next, nowMs + LaneHints.RESEND_RECHECK_MS));
    }

    private void resendDue(int lane, Runnable rebuild, long nowMs) {
        List<OutgoingTables.DueFile> due = ctx.store().inTransactionDurableLater(tx -> tables.dueForResend(tx, lane, nowMs));
        for (OutgoingTables.DueFile file : due) {
            if (file.expiresMs() < nowMs) {
                ctx.store().inTransaction(tx -> settler.abandon(tx, file.seq(), file.name(), nowMs));
                continue;
            }
            // `due` was read before this loop: an ack taking in the meantime (on the receiving
            // thread) marks a file acked and then deletes its stored copy. Each step below
            // therefore applies only to a file still 'sent'; without that guard an acked file
            // whose copy the ack had just deleted was set back to 'writing', rebuilt and sent again.
            Path stored = sentDir.resolve(file.name());
            boolean missing = !Files.exists(stored);
            boolean sessionEnding = file.keysExpireMs() != null
                    && ctx.config().sessions().rebuildBeforeResend(file.keysExpireMs(), nowMs);
            if (missing || sessionEnding) {
                // Rebuilt with the same number and messages: under the current session if its
                // own would end before a resend could arrive (the peer then refuses it).
                int rebuilding = ctx.store().inTransactionDurableLater(tx -> tables.rebuildSent(tx, file.seq()));
                if (rebuilding > 0 && missing) {
                    log.warn("stored copy of {} is missing; rebuilding it", file.name());
                } else if (rebuilding > 0) {
                    log.info("the session of {} ends before a resend could arrive; rebuilding it", file.name());
                }
                if (rebuilding > 0) {
                    rebuild.run();
                }
                continue;
            }
            SpoolFileName name = SpoolFileName.parse(file.name()).orElseThrow();
            int attempts = file.attempts() + 1;
            long next = nowMs + ctx.config().resend().delayMillis(attempts, ThreadLocalRandom.current());
            int stillSent = ctx.store().inTransactionDurableLater(tx -> tables.recordResend(tx, file.seq(), attempts, nowMs,
                    next));
            if (stillSent == 0) {
                continue; // acked or abandoned since `due` was read
            }
            handToLink(stored, name);
            resends.incrementAndGet();
            ctx.metrics().increment("hoft_files_resent_total", "peer", peer.value());
        }
    }

    /** Hands a stored file to the link; a failure is left to the resend timer. */
    void handToLink(Path stored, SpoolFileName name) {
        try {
            link.send(stored, name);
        } catch (IOException e) {
            // The resend timer retries; the file is safe in the store.
            log.warn("cannot hand {} to the link: {}", name, e.toString());
            ctx.metrics().increment("hoft_link_errors_total", "peer", peer.value());
        }
    }
}
