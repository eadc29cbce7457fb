package io.hoft.transport.channel;

import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.Link;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.spool.SpoolFileName;
import io.hoft.transport.store.StoreTx;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles what was sent to one peer: a message is settled once, as {@code acked} or
 * {@code expired}, in the transaction that decides it, which also frees its body and its share
 * of the backlog and tells the layer above (a message already settled is left alone, so a
 * second ack or an expiry racing an ack settles nothing twice). An abandoned file settles its
 * unsettled messages as expired and moves the floor. Stored copies of settled files are deleted
 * once their transaction has committed.
 */
final class Settler {
    private static final Logger log = LoggerFactory.getLogger(Settler.class);

    private final ChannelContext ctx;
    private final NodeId peer;
    private final Link link;
    private final Path sentDir;
    private final OutgoingTables tables;
    private final Runnable floorMoved;

    /** {@code floorMoved} runs when a file was abandoned, once its transaction has committed. */
    Settler(ChannelContext ctx, NodeId peer, Link link, Path sentDir, OutgoingTables tables, Runnable floorMoved) {
        this.ctx = ctx;
        this.peer = peer;
        this.link = link;
        this.sentDir = sentDir;
        this.tables = tables;
        this.floorMoved = floorMoved;
    }

    /**
     * Gives up a file whose messages all expired unacknowledged: those messages are reported
     * expired, and the floor moves past the file so the peer stops waiting for it. A file
     * settled since it was read (an ack on the receiving thread) is left as it is.
     */
    Void abandon(StoreTx tx, long seq, String name, long nowMs) {
        if (!tables.abandonFile(tx, seq, nowMs)) {
            return null;
        }
        settleMessages(tx, tables.unsettledMessagesOf(tx, seq), "expired", nowMs);
        dropStoredCopy(tx, name);
        tx.onCommit(floorMoved);
        ctx.metrics().increment("hoft_files_abandoned_total", "peer", peer.value());
        return null;
    }

    /** Queued messages that expired before being written are settled as expired. */
    void expireQueued(long nowMs) {
        ctx.store().inTransactionDurableLater(tx -> {
            settleMessages(tx, tables.expiredUnwritten(tx, nowMs), "expired", nowMs);
            return null;
        });
    }

    /** Marks messages acked or expired, frees their bodies and backlog, and tells the listener. */
    void settleMessages(StoreTx tx, List<String> ids, String outcome, long nowMs) {
        if (ids.isEmpty()) {
            return;
        }
        List<MessageId> settled = new ArrayList<>();
        for (String id : ids) {
            Optional<OutgoingTables.BodyRef> body = tables.unsettledBody(tx, id);
            if (body.isEmpty()) {
                continue;
            }
            tables.settleMessage(tx, id, outcome, nowMs);
            releaseBody(tx, body.get());
            settled.add(MessageId.of(id));
        }
        if (settled.isEmpty()) {
            return;
        }
        if (outcome.equals("acked")) {
            ctx.listener().onAcked(tx, peer, settled);
            ctx.metrics().add("hoft_messages_acked_total", settled.size(), "peer", peer.value());
        } else {
            ctx.listener().onSendExpired(tx, peer, settled);
            ctx.metrics().add("hoft_messages_expired_total", settled.size(), "peer", peer.value(), "side", "sender");
        }
    }

    /** Takes a settled message out of the backlog and releases its body file, if it has one. */
    void releaseBody(StoreTx tx, OutgoingTables.BodyRef body) {
        tables.removeFromBacklog(tx, body.bodyLength());
        if (body.bodyName() != null) {
            ctx.bodies().release(tx, body.bodyName());
        }
    }

    /**
     * Deletes the stored copy, and any copy on the link, once the transaction has committed. Not
     * waiting for it to be durable is safe: if power loss takes the acknowledgement back, the
     * resend finds the copy missing and rebuilds the file with the same number and messages.
     */
    void dropStoredCopy(StoreTx tx, String name) {
        if (name.isEmpty()) {
            return;
        }
        tx.onCommit(() -> {
            try {
                ctx.disk().deleteIfExists(sentDir.resolve(name));
                SpoolFileName.parse(name).ifPresent(n -> {
                    try {
                        link.retract(n);
                    } catch (IOException e) {
                        log.debug("cannot retract {}: {}", name, e.toString());
                    }
                });
            } catch (IOException e) {
                log.warn("cannot delete stored copy {}: {}", name, e.toString());
            }
        });
    }
}
