package io.hoft.transport.channel;

import io.hoft.transport.agent.Agent;
import io.hoft.transport.link.Link;
import io.hoft.transport.store.StoreTx;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's maintenance, an agent on {@code hoft-maintenance}: at start it removes the links'
 * temporary files no transfer uses; a second later, and then a minute after each run ends, it
 * prunes what the rules allow (received ids a grace period after they expired, settled rows
 * after an hour, partial messages that expired), records when each peer was last heard, prunes
 * the quarantine beyond its age and size caps, has the links rescan their inboxes and removes
 * stale temporary files again. Its times are the clock it runs on (the machine's, as a
 * scheduled executor's were); what it prunes is judged by the node's clock. A run that fails is
 * logged by its runner and the next one comes a minute later, as after any other run.
 */
final class Maintenance implements Agent {
    private static final Logger log = LoggerFactory.getLogger(Maintenance.class);
    private static final Duration SETTLED_RETENTION = Duration.ofHours(1);
    private static final long FIRST_DELAY_MS = 1000;
    private static final long PERIOD_MS = 60_000;

    private final ChannelContext ctx;
    private final Collection<IncomingChannel> incoming;
    private final Collection<Link> links;
    private final Quarantine quarantine;
    private final Clock schedule;
    private long nextRunMs = -1;

    /** {@code schedule} is the clock its runner runs it on. */
    Maintenance(ChannelContext ctx, Collection<IncomingChannel> incoming, Collection<Link> links, Quarantine quarantine,
            Clock schedule) {
        this.ctx = ctx;
        this.schedule = schedule;
        this.incoming = incoming;
        this.links = links;
        this.quarantine = quarantine;
    }

    @Override
    public long doWork(long nowMs) {
        if (nextRunMs < 0) {
            nextRunMs = nowMs + FIRST_DELAY_MS;
            removeStaleTemporaryFiles();
        } else if (nowMs >= nextRunMs) {
            try {
                maintain();
            } finally {
                nextRunMs = schedule.millis() + PERIOD_MS; // a fixed delay after the run, failed or not
            }
        }
        return nextRunMs;
    }

    @Override
    public String roleName() {
        return "hoft-maintenance";
    }

    /** Prunes by rule; see the class comment. */
    private void maintain() {
        long nowMs = ctx.now();
        try {
            ctx.store().inTransaction(tx -> {
                IncomingTables.pruneReceived(tx, nowMs - ctx.config().dedupeGrace().toMillis());
                ChannelHousekeeping.pruneSettled(tx, nowMs - SETTLED_RETENTION.toMillis());
                for (IncomingTables.ExpiredPartial partial : IncomingTables.expiredPartials(tx, nowMs)) {
                    IncomingTables.endReassembly(tx, partial.peer(), partial.id());
                    ctx.bodies().release(tx, partial.bodyName());
                    ctx.metrics().increment("hoft_messages_expired_total", "peer", partial.peer(), "side", "receiver");
                }
                recordLastHeard(tx);
                return null;
            });
        } catch (RuntimeException e) {
            log.warn("maintenance failed: {}", e.toString());
        }
        quarantine.prune(nowMs);
        for (Link link : links) {
            link.rescan();
        }
        removeStaleTemporaryFiles();
    }

    /** Records when each peer was last heard (for the health report after a restart). */
    void recordLastHeard(StoreTx tx) {
        for (IncomingChannel in : incoming) {
            ChannelTable.setLastHeardMs(tx, in.peer().value(), in.lastHeardMs());
        }
    }

    private void removeStaleTemporaryFiles() {
        Set<Link> distinct = Collections.newSetFromMap(new IdentityHashMap<>());
        distinct.addAll(links);
        for (Link link : distinct) {
            int removed = link.removeStaleTemporaryFiles();
            if (removed > 0) {
                ctx.metrics().add("hoft_temp_files_removed_total", removed);
            }
        }
    }
}
