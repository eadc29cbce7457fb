package io.hoft.transport.channel;

import io.hoft.transport.agent.Agent;
import io.hoft.transport.agent.AgentRunner;
import io.hoft.transport.fs.OwnerOnly;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.Link;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.message.SeqRange;
import io.hoft.transport.spool.Collator;
import io.hoft.transport.spool.SpoolFileWriter;
import io.hoft.transport.spool.MetaCodec;
import io.hoft.transport.store.StoreTx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sending end of this node's channel to one peer.
 *
 * <p>Messages are accepted into {@code out_message} by {@link #enqueue} (inside the caller's
 * transaction, so a call is stored together with its message or not at all). Two lanes turn
 * them into files: the small lane collates messages with small bodies; the bulk lane writes
 * large bodies one file (or fragment) at a time, so small messages never wait behind them.
 * Each lane has its own window of unacknowledged files.
 *
 * <p>A data file is written in three steps: (1) a transaction reserves its sequence number
 * and records which messages it holds: for a small message the caller's own transaction, which
 * puts it into the newest {@code open} file or opens one, so one force makes the call and its
 * file's number durable together; for queued messages and bulk files the lane's ({@code
 * writing}); (2) the file is written to the sender's store ({@code sent/PEER/}) without a force
 * of its own, and the log is forced up to the reservation and the acks the file carries (free
 * when the caller's force already covered it); (3) it is handed to the link and marked
 * {@code sent} with a resend time, a mark that needs no force. A crash before (3), or power loss
 * that takes the mark back, rebuilds the file from its messages with the same number; after a
 * reboot every unacknowledged file is rebuilt, since its unforced copy may be damaged (SPEC.md
 * section 15.12). Resends reuse the stored bytes, with capped exponential backoff and jitter,
 * and at once on a nack; a file whose session ends before a resend could arrive is rebuilt
 * under the current one. An acknowledged file is deleted from the store and taken back from
 * the link; a file whose messages all expired is abandoned, and heartbeats tell the peer the
 * floor moved so it stops waiting for it.
 *
 * <p>A large body may be sent while it still arrives ({@link #enqueueGrowing}): its message
 * waits as {@code growing}, and the bulk lane writes each fragment as soon as the layer above
 * reports its slice durable ({@link #grown}), but never the last one: that waits until the
 * layer above completes the message in the transaction that accepts it ({@link
 * #completeGrowing}), so the peer can never deliver a message whose sender did not accept it.
 * A message that does not complete ({@link #cancelGrowing}, or a restart: only an accepted
 * message is the node's promise) is settled as expired and the files of it already written are
 * abandoned; the peer's partial copy expires with it.
 *
 * <p>Control files (acks, nacks, heartbeats) are not sequenced, stored or resent: the next
 * one carries newer state anyway.
 *
 * <p>This class accepts messages, settles them on acks and nacks, and runs the two lanes as
 * agents ({@code hoft-send-PEER}, {@code hoft-bulk-PEER}); {@link LaneWriter} writes the
 * files, {@link Resender} resends them, {@link Settler} settles messages and files, and every
 * statement is {@link OutgoingTables}'s or {@link ChannelTable}'s.
 */
final class OutgoingChannel {
    private static final Logger log = LoggerFactory.getLogger(OutgoingChannel.class);
    static final int SMALL = LaneWriter.SMALL;
    static final int BULK = LaneWriter.BULK;

    private final ChannelContext ctx;
    private final NodeId peer;
    private final Link link;
    private final Path sentDir;
    private final OutgoingTables tables;
    private final LaneHints[] hints = {new LaneHints(), new LaneHints()};
    /** Growing messages by id: how many bytes of the body the layer above made durable so far. */
    private final Map<String, Long> growing = new ConcurrentHashMap<>();
    private final LaneWriter writer;
    private final Settler settler;
    private volatile AgentRunner smallLane;
    private volatile AgentRunner bulkLane;

    OutgoingChannel(ChannelContext ctx, NodeId peer, Link link, IncomingChannel incoming) throws IOException {
        this.ctx = ctx;
        this.peer = peer;
        this.link = link;
        this.sentDir = ctx.sentDir().resolve(peer.value());
        this.tables = new OutgoingTables(peer.value());
        this.writer = new LaneWriter(ctx, peer, link, incoming, sentDir, tables, hints, growing, this::wake);
        this.settler = writer.settler();
        OwnerOnly.createDirectories(sentDir);
    }

    NodeId peer() {
        return peer;
    }

    Link link() {
        return link;
    }

    long resends() {
        return writer.resends();
    }

    /** The peer's counts for the health report, read in the caller's transaction. */
    OutgoingTables.Health health(StoreTx tx) {
        return tables.health(tx);
    }

    // ---------------------------------------------------------------- the lanes' threads

    /** Starts the small and the bulk lane, each an agent on its own thread; they work while {@code running}. */
    synchronized void startLanes(BooleanSupplier running) {
        smallLane = AgentRunner.start(new Lane(SMALL, "hoft-send-" + peer, running), ctx.clock());
        bulkLane = AgentRunner.start(new Lane(BULK, "hoft-bulk-" + peer, running), ctx.clock());
    }

    /** Stops the lanes, each after the pass in progress (a drain). */
    synchronized void closeLanes() {
        for (AgentRunner lane : new AgentRunner[] {smallLane, bulkLane}) {
            if (lane != null) {
                lane.close();
            }
        }
    }

    /** Runs the lane now (or right after its pass in progress); nothing before the lanes started. */
    void wake(int lane) {
        AgentRunner runner = lane == SMALL ? smallLane : bulkLane;
        if (runner != null) {
            runner.wake();
        }
    }

    /** One lane's duty cycle: a pass of its writer, with a writer of its own. */
    private final class Lane implements Agent {
        private final int lane;
        private final String name;
        private final BooleanSupplier running;
        private final SpoolFileWriter fileWriter = ctx.newWriter();

        Lane(int lane, String name, BooleanSupplier running) {
            this.lane = lane;
            this.name = name;
            this.running = running;
        }

        @Override
        public long doWork(long nowMs) throws IOException {
            if (!running.getAsBoolean()) {
                return IDLE; // stopping: no new pass
            }
            return lane == SMALL ? writer.workSmall(fileWriter, nowMs) : writer.workBulk(fileWriter, nowMs);
        }

        @Override
        public String roleName() {
            return name;
        }
    }

    // ---------------------------------------------------------------- start

    /** Creates the channel row on first use (a new epoch) and loads the sending epoch. */
    void load(StoreTx tx, long nowMs) {
        ChannelTable.createIfAbsent(tx, peer.value(), nowMs);
        tables.createBacklogIfAbsent(tx);
        tables.epoch(ChannelTable.sendingEpoch(tx, peer.value()));
    }

    /**
     * After a restart every unacknowledged file is resent at once, files still {@code open}
     * are written like interrupted ones, and stray store files go. After a reboot of the
     * machine every unacknowledged file is rebuilt instead: spool files are written without a
     * force of their own, so power loss may have left a stored copy damaged.
     */
    void recover(StoreTx tx, long nowMs, boolean afterReboot) throws IOException {
        for (String id : tables.growingIds(tx)) {
            log.info("message {} to {} was still arriving when the node stopped; its files already written are abandoned",
                    id, peer);
            cancelGrowing(tx, MessageId.of(id), nowMs);
        }
        tables.reopenOpenFiles(tx);
        if (afterReboot) {
            int rebuilt = tables.rebuildAllSent(tx);
            if (rebuilt > 0) {
                log.info("the machine restarted since this node last ran: rebuilding {} unacknowledged files to {}", rebuilt,
                        peer);
            }
        }
        tables.resendAllNow(tx, nowMs);
        List<String> known = tables.storedNames(tx);
        try (var files = Files.newDirectoryStream(sentDir)) {
            for (Path file : files) {
                if (!known.contains(file.getFileName().toString())) {
                    ctx.disk().deleteIfExists(file);
                }
            }
        }
    }

    // ---------------------------------------------------------------- accepting messages

    /**
     * Accepts a message for this peer inside the caller's transaction. Refused, with nothing
     * stored, when the peer's queue or the node's spool quota is full.
     */
    void enqueue(StoreTx tx, Message message, String bodyName, byte[] inlineBody, long nowMs, long spoolQuotaBytes)
            throws ChannelFullException {
        enqueue(tx, message, bodyName, inlineBody, nowMs, spoolQuotaBytes, false);
    }

    /**
     * Accepts, inside the caller's transaction, a message whose body file {@code bodyName} is
     * still being written towards {@code message.body().length()} bytes (see the class comment).
     * Only for a body of more than one fragment.
     */
    void enqueueGrowing(StoreTx tx, Message message, String bodyName, long nowMs, long spoolQuotaBytes)
            throws ChannelFullException {
        if (message.body().length() <= Math.max(ctx.config().fragmentBodyBytes(), ctx.config().bulkThresholdBytes())) {
            throw new IllegalArgumentException("only a body of several fragments is sent while it grows");
        }
        enqueue(tx, message, bodyName, null, nowMs, spoolQuotaBytes, true);
        tx.onCommit(() -> growing.putIfAbsent(message.id().value(), 0L));
    }

    /** The first {@code durableBytes} of a growing message's body are written and forced. */
    void grown(MessageId id, long durableBytes) {
        if (growing.computeIfPresent(id.value(), (k, had) -> Math.max(had, durableBytes)) != null) {
            hints[BULK].queued = true;
            wake(BULK);
        }
    }

    /**
     * The growing message's body is whole and forced: it becomes an ordinary queued message (in
     * the caller's transaction, which accepts it). False if it is no longer growing (cancelled).
     */
    boolean completeGrowing(StoreTx tx, MessageId id) {
        boolean completed = tables.completeGrowing(tx, id.value());
        tx.onCommit(() -> {
            growing.remove(id.value());
            hints[BULK].queued = true;
            wake(BULK);
        });
        return completed;
    }

    /**
     * Gives up a growing message: settled as expired without telling the layer above (it never
     * accepted it), its body released, and every file of it not yet acknowledged abandoned.
     */
    void cancelGrowing(StoreTx tx, MessageId id, long nowMs) {
        Optional<OutgoingTables.BodyRef> body = tables.growingBody(tx, id.value());
        tx.onCommit(() -> growing.remove(id.value()));
        if (body.isEmpty()) {
            return;
        }
        tables.expireGrowing(tx, id.value(), nowMs);
        settler.releaseBody(tx, body.get());
        for (OutgoingTables.FileRef file : tables.unackedFilesOf(tx, id.value())) {
            settler.abandon(tx, file.seq(), file.name(), nowMs);
        }
    }

    private void enqueue(StoreTx tx, Message message, String bodyName, byte[] inlineBody, long nowMs, long spoolQuotaBytes,
            boolean isGrowing) throws ChannelFullException {
        ChannelConfig config = ctx.config();
        long length = message.body().length();
        OutgoingTables.Backlog backlog = tables.backlog(tx);
        long queued = backlog.messages();
        long queuedBytes = backlog.bytes();
        Duration retryAfter = Duration.ofSeconds(Math.max(1, config.heartbeatInterval().toSeconds()));
        if (queued >= config.maxQueuedMessages()) {
            throw new ChannelFullException(queued + " messages already wait for " + peer, retryAfter);
        }
        if (queuedBytes + length > config.maxQueuedBytes()) {
            throw new ChannelFullException("the queue to " + peer + " is over " + config.maxQueuedBytes() + " bytes", retryAfter);
        }
        long total = backlog.allPeersBytes();
        if (total + length > spoolQuotaBytes) {
            throw new ChannelFullException("the spool quota of " + spoolQuotaBytes + " bytes is reached", retryAfter);
        }
        int lane = length > config.bulkThresholdBytes() ? BULK : SMALL;
        long fragmentSize = config.fragmentBodyBytes();
        long fragments = length <= fragmentSize ? 1 : (length + fragmentSize - 1) / fragmentSize;
        byte[] meta = MetaCodec.encode(message.envelope());
        // A small message goes straight into a reserved file when nothing queues before it, so the
        // caller's commit (one force) also makes the file's number and contents durable, and the
        // lane only writes and publishes it; see the class comment.
        long reserved = lane == SMALL ? reserveSmall(tx, message, Collator.HEADER_BYTES_PER_FRAME + meta.length + length) : -1;
        boolean inserted = tables.insertMessage(tx, message.id().value(), message.kind().wireName(),
                message.created().toEpochMilli(), message.expires().toEpochMilli(), meta, inlineBody, bodyName, length, lane,
                isGrowing ? "growing" : reserved < 0 ? "queued" : "sent", fragments, fragmentSize, reserved < 0 ? 0 : 1, nowMs);
        if (!inserted) {
            throw new IllegalArgumentException("message " + message.id() + " was already sent to " + peer);
        }
        if (reserved >= 0) {
            tables.insertWholeFrame(tx, reserved, message.id().value());
        }
        tables.addToBacklog(tx, length);
        // The lane may start at once: it forces the log before anything it writes leaves the node.
        boolean queuedForLane = reserved < 0;
        tx.onCommit(() -> {
            if (queuedForLane) {
                hints[lane].queued = true;
            } else {
                hints[lane].open = true;
            }
            wake(lane);
        });
    }

    /**
     * Puts a small message into the newest {@code open} file of the small lane if it fits, or
     * into a newly reserved one if the window allows; returns the file's sequence number, or -1
     * to leave the message queued (older messages still queue, or the window is full).
     */
    private long reserveSmall(StoreTx tx, Message message, long frameBytes) {
        ChannelConfig config = ctx.config();
        if (tables.anyQueued(tx, SMALL)) {
            return -1;
        }
        long expiresMs = message.expires().toEpochMilli();
        Optional<OutgoingTables.OpenFile> open = tables.newestOpen(tx, SMALL);
        if (open.isPresent() && open.get().seq() > writer.takenThroughSeq()
                && open.get().size() + frameBytes <= config.collateTargetBytes() && open.get().frames() < LaneWriter.BATCH_ROWS) {
            long seq = open.get().seq();
            tables.growOpen(tx, seq, frameBytes, expiresMs);
            return seq;
        }
        if (!writer.windowOpen(tx, SMALL)) {
            return -1;
        }
        long seq = ChannelTable.takeSeq(tx, peer.value());
        tables.insertOpen(tx, seq, SMALL, frameBytes, expiresMs);
        return seq;
    }

    // ---------------------------------------------------------------- acks and nacks from the peer

    /** Applies the peer's ack of this channel (inside the receiving transaction). */
    void onAck(StoreTx tx, Envelope.Ack ack, long nowMs) {
        if (ack.epoch() != tables.epoch()) {
            return; // an ack of an older epoch of ours: nothing it names exists any more
        }
        ReceiveState acked = new ReceiveState(ack.upTo(), ack.ranges());
        List<String> completed = new ArrayList<>();
        int count = 0;
        for (OutgoingTables.FileRef file : tables.ackable(tx, acked.highest())) {
            if (!acked.contains(file.seq())) {
                continue;
            }
            count++;
            tables.ackFile(tx, file.seq(), nowMs);
            for (OutgoingTables.FrameRef frame : tables.frames(tx, file.seq())) {
                String id = frame.messageId();
                if (frame.fragmentIndex() < 0) {
                    completed.add(id);
                    continue;
                }
                tables.countFragmentAcked(tx, id);
                if (tables.fragmentsUnacked(tx, id) == 0) {
                    completed.add(id);
                }
            }
            settler.dropStoredCopy(tx, file.name());
        }
        settler.settleMessages(tx, completed, "acked", nowMs);
        if (count > 0) {
            ctx.metrics().add("hoft_files_acked_total", count, "peer", peer.value());
            tx.onCommit(() -> {
                wake(SMALL);
                wake(BULK);
            });
        }
    }

    /** Makes nacked files due for resend now (each at most once per {@code minNackResendInterval}). */
    void onNack(StoreTx tx, Envelope.Nack nack, long nowMs) {
        if (nack.epoch() != tables.epoch()) {
            return;
        }
        long quietSince = nowMs - ctx.config().minNackResendInterval().toMillis();
        int due = 0;
        for (SeqRange range : nack.ranges()) {
            due += tables.resendRangeNow(tx, range.first(), range.last(), quietSince, nowMs);
        }
        ctx.metrics().increment("hoft_nacks_received_total", "peer", peer.value());
        if (due > 0) {
            tx.onCommit(() -> {
                hints[SMALL].resendBy(0);
                hints[BULK].resendBy(0);
                wake(SMALL);
                wake(BULK);
            });
        }
    }
}
