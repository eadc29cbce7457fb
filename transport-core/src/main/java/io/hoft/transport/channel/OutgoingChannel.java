package io.hoft.transport.channel;

import io.hoft.transport.fs.OwnerOnly;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.Link;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.message.MessageKind;
import io.hoft.transport.message.SeqRange;
import io.hoft.transport.spool.Collator;
import io.hoft.transport.spool.Fragmenter;
import io.hoft.transport.spool.OutgoingFrame;
import io.hoft.transport.spool.SpoolFileName;
import io.hoft.transport.spool.SpoolFileWriter;
import io.hoft.transport.spool.CodecException;
import io.hoft.transport.spool.MetaCodec;
import io.hoft.transport.store.StoreTx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
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
 */
final class OutgoingChannel {
    private static final Logger log = LoggerFactory.getLogger(OutgoingChannel.class);
    static final int SMALL = 0;
    static final int BULK = 1;
    private static final int BATCH_ROWS = 2000;

    private final ChannelContext ctx;
    private final NodeId peer;
    private final Link link;
    private final IncomingChannel incoming;
    private final Path sentDir;
    private final Wakeup smallLane = new Wakeup();
    private final Wakeup bulkLane = new Wakeup();
    private final LaneHints[] hints = {new LaneHints(), new LaneHints()};
    private volatile long nextExpiryCheckMs;
    private final AtomicLong resends = new AtomicLong();
    private volatile long epoch;
    /** The highest {@code open} file the small lane has read to write: later messages open new files. */
    private long takenThroughSeq;
    private volatile long lastFileSentMs;
    private volatile boolean floorMoved;
    /** Growing messages by id: how many bytes of the body the layer above made durable so far. */
    private final Map<String, Long> growing = new ConcurrentHashMap<>();

    OutgoingChannel(ChannelContext ctx, NodeId peer, Link link, IncomingChannel incoming) throws IOException {
        this.ctx = ctx;
        this.peer = peer;
        this.link = link;
        this.incoming = incoming;
        this.sentDir = ctx.sentDir().resolve(peer.value());
        OwnerOnly.createDirectories(sentDir);
    }

    NodeId peer() {
        return peer;
    }

    Link link() {
        return link;
    }

    Wakeup lane(int lane) {
        return lane == SMALL ? smallLane : bulkLane;
    }

    long resends() {
        return resends.get();
    }

    /** Creates the channel row on first use (a new epoch) and loads the sending epoch. */
    void load(StoreTx tx, long nowMs) {
        tx.update("INSERT OR IGNORE INTO channel (peer, out_epoch, out_next_seq, in_epoch, in_up_to, in_ranges,"
                + " in_last_seq, last_heard_ms) VALUES (?, ?, 1, -1, 0, '[]', 0, 0)", peer.value(), nowMs);
        tx.update("INSERT OR IGNORE INTO out_backlog (peer, messages, bytes) VALUES (?, 0, 0)", peer.value());
        epoch = tx.queryLong("SELECT out_epoch FROM channel WHERE peer = ?", peer.value());
    }

    /**
     * After a restart every unacknowledged file is resent at once, files still {@code open}
     * are written like interrupted ones, and stray store files go. After a reboot of the
     * machine every unacknowledged file is rebuilt instead: spool files are written without a
     * force of their own, so power loss may have left a stored copy damaged.
     */
    void recover(StoreTx tx, long nowMs, boolean afterReboot) throws IOException {
        List<String> unfinished = tx.query("SELECT id FROM out_message WHERE peer = ? AND state = 'growing'",
                row -> row.getString(1), peer.value());
        for (String id : unfinished) {
            log.info("message {} to {} was still arriving when the node stopped; its files already written are abandoned",
                    id, peer);
            cancelGrowing(tx, MessageId.of(id), nowMs);
        }
        tx.update("UPDATE out_file SET state = 'writing' WHERE peer = ? AND state = 'open'", peer.value());
        if (afterReboot) {
            int rebuilt = tx.update("UPDATE out_file SET state = 'writing' WHERE peer = ? AND state = 'sent'", peer.value());
            if (rebuilt > 0) {
                log.info("the machine restarted since this node last ran: rebuilding {} unacknowledged files to {}", rebuilt,
                        peer);
            }
        }
        tx.update("UPDATE out_file SET next_resend_ms = ? WHERE peer = ? AND state = 'sent'", nowMs, peer.value());
        List<String> known = tx.query("SELECT name FROM out_file WHERE peer = ? AND state IN ('sent', 'writing')",
                row -> row.getString(1), peer.value());
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
            bulkLane.signal();
        }
    }

    /**
     * The growing message's body is whole and forced: it becomes an ordinary queued message (in
     * the caller's transaction, which accepts it). False if it is no longer growing (cancelled).
     */
    boolean completeGrowing(StoreTx tx, MessageId id) {
        int updated = tx.update("UPDATE out_message SET state = CASE WHEN fragments_written = 0 THEN 'queued' ELSE 'sending' END"
                + " WHERE peer = ? AND id = ? AND state = 'growing'", peer.value(), id.value());
        tx.onCommit(() -> {
            growing.remove(id.value());
            hints[BULK].queued = true;
            bulkLane.signal();
        });
        return updated == 1;
    }

    /**
     * Gives up a growing message: settled as expired without telling the layer above (it never
     * accepted it), its body released, and every file of it not yet acknowledged abandoned.
     */
    void cancelGrowing(StoreTx tx, MessageId id, long nowMs) {
        Optional<Object[]> row = tx.queryOne("SELECT body_name, body_length FROM out_message WHERE peer = ? AND id = ?"
                + " AND state = 'growing'", r -> new Object[] {r.getString(1), r.getLong(2)}, peer.value(), id.value());
        tx.onCommit(() -> growing.remove(id.value()));
        if (row.isEmpty()) {
            return;
        }
        tx.update("UPDATE out_message SET state = 'expired', settled_ms = ? WHERE peer = ? AND id = ?", nowMs, peer.value(),
                id.value());
        tx.update("UPDATE out_backlog SET messages = messages - 1, bytes = bytes - ? WHERE peer = ?", row.get()[1], peer.value());
        if (row.get()[0] != null) {
            ctx.bodies().release(tx, (String) row.get()[0]);
        }
        List<Object[]> files = tx.query("SELECT f.seq, f.name FROM out_file f JOIN out_file_frame m ON m.peer = f.peer"
                + " AND m.epoch = f.epoch AND m.seq = f.seq WHERE f.peer = ? AND f.epoch = ? AND m.message_id = ?"
                + " AND f.state IN ('sent', 'writing')", r -> new Object[] {r.getLong(1), r.getString(2)}, peer.value(), epoch,
                id.value());
        for (Object[] file : files) {
            abandon(tx, (Long) file[0], (String) file[1], nowMs);
        }
    }

    private void enqueue(StoreTx tx, Message message, String bodyName, byte[] inlineBody, long nowMs, long spoolQuotaBytes,
            boolean isGrowing) throws ChannelFullException {
        ChannelConfig config = ctx.config();
        long length = message.body().length();
        long[] backlog = tx.queryOne("SELECT messages, bytes, (SELECT COALESCE(SUM(bytes), 0) FROM out_backlog) FROM out_backlog"
                + " WHERE peer = ?", row -> new long[] {row.getLong(1), row.getLong(2), row.getLong(3)}, peer.value()).orElseThrow();
        long queued = backlog[0];
        long queuedBytes = backlog[1];
        Duration retryAfter = Duration.ofSeconds(Math.max(1, config.heartbeatInterval().toSeconds()));
        if (queued >= config.maxQueuedMessages()) {
            throw new ChannelFullException(queued + " messages already wait for " + peer, retryAfter);
        }
        if (queuedBytes + length > config.maxQueuedBytes()) {
            throw new ChannelFullException("the queue to " + peer + " is over " + config.maxQueuedBytes() + " bytes", retryAfter);
        }
        long total = backlog[2];
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
        int inserted = tx.update("INSERT OR IGNORE INTO out_message (peer, id, kind, created_ms, expires_ms, meta,"
                        + " body_inline, body_name, body_length, lane, state, fragment_count, fragment_size,"
                        + " fragments_written, fragments_acked, enqueued_ms)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                peer.value(), message.id().value(), message.kind().wireName(), message.created().toEpochMilli(),
                message.expires().toEpochMilli(), meta, inlineBody, bodyName, length, lane,
                isGrowing ? "growing" : reserved < 0 ? "queued" : "sent", fragments, fragmentSize, reserved < 0 ? 0 : 1, nowMs);
        if (inserted == 0) {
            throw new IllegalArgumentException("message " + message.id() + " was already sent to " + peer);
        }
        if (reserved >= 0) {
            tx.update("INSERT INTO out_file_frame (peer, epoch, seq, message_id, fragment_index) VALUES (?, ?, ?, ?, -1)",
                    peer.value(), epoch, reserved, message.id().value());
        }
        tx.update("UPDATE out_backlog SET messages = messages + 1, bytes = bytes + ? WHERE peer = ?", length, peer.value());
        // The lane may start at once: it forces the log before anything it writes leaves the node.
        boolean queuedForLane = reserved < 0;
        tx.onCommit(() -> {
            if (queuedForLane) {
                hints[lane].queued = true;
            } else {
                hints[lane].open = true;
            }
            lane(lane).signal();
        });
    }

    /**
     * Puts a small message into the newest {@code open} file of the small lane if it fits, or
     * into a newly reserved one if the window allows; returns the file's sequence number, or -1
     * to leave the message queued (older messages still queue, or the window is full).
     */
    private long reserveSmall(StoreTx tx, Message message, long frameBytes) {
        ChannelConfig config = ctx.config();
        if (tx.queryOne("SELECT 1 FROM out_message WHERE peer = ? AND lane = ? AND state = 'queued' LIMIT 1",
                row -> true, peer.value(), SMALL).isPresent()) {
            return -1;
        }
        long expiresMs = message.expires().toEpochMilli();
        Optional<long[]> open = tx.queryOne("SELECT seq, size, (SELECT COUNT(*) FROM out_file_frame m WHERE m.peer = f.peer"
                        + " AND m.epoch = f.epoch AND m.seq = f.seq) FROM out_file f WHERE peer = ? AND epoch = ? AND lane = ?"
                        + " AND state = 'open' ORDER BY seq DESC LIMIT 1",
                row -> new long[] {row.getLong(1), row.getLong(2), row.getLong(3)}, peer.value(), epoch, SMALL);
        if (open.isPresent() && open.get()[0] > takenThroughSeq && open.get()[1] + frameBytes <= config.collateTargetBytes()
                && open.get()[2] < BATCH_ROWS) {
            long seq = open.get()[0];
            tx.update("UPDATE out_file SET size = size + ?, expires_ms = MAX(expires_ms, ?) WHERE peer = ? AND epoch = ?"
                    + " AND seq = ?", frameBytes, expiresMs, peer.value(), epoch, seq);
            return seq;
        }
        if (!windowOpen(tx, SMALL)) {
            return -1;
        }
        long seq = tx.queryLong("SELECT out_next_seq FROM channel WHERE peer = ?", peer.value());
        tx.update("UPDATE channel SET out_next_seq = ? WHERE peer = ?", seq + 1, peer.value());
        tx.update("INSERT INTO out_file (peer, epoch, seq, name, lane, size, expires_ms, state, attempts)"
                + " VALUES (?, ?, ?, '', ?, ?, ?, 'open', 0)", peer.value(), epoch, seq, SMALL, frameBytes, expiresMs);
        return seq;
    }

    // ---------------------------------------------------------------- lane work

    /**
     * What a lane knows without asking the database, so that a pass asks only about what may
     * have changed. Every hint errs towards looking: a stale one costs a query, never a file left
     * behind. Set from any thread (acceptances, acks, nacks), reset by the lane's own thread
     * before it looks, so a change made while it looks is seen on the next pass.
     */
    private static final class LaneHints {
        /** How long a resend time read from the database is trusted (tools may change rows meanwhile). */
        static final long RESEND_RECHECK_MS = 5000;

        /** Files may be {@code writing} (after a start, a lost stored copy, a session ending). */
        volatile boolean rebuild = true;
        /** Small messages may wait in {@code open} files that the lane has not taken yet. */
        volatile boolean open = true;
        /** Messages may wait in {@code queued} (the window was full when they came) or {@code sending}. */
        volatile boolean queued = true;
        /** No stored file is due for a resend before this (epoch millis); 0 means look now. */
        final AtomicLong resendAtMs = new AtomicLong();

        void resendBy(long atMs) {
            resendAtMs.accumulateAndGet(atMs, Math::min);
        }
    }

    /** One pass of the small lane; returns when it wants to run again (epoch millis). */
    long workSmall(SpoolFileWriter writer, long nowMs) throws IOException {
        LaneHints hint = hints[SMALL];
        rebuildIfHinted(writer, SMALL, nowMs);
        sendOpenFiles(writer, nowMs);
        if (nowMs >= nextExpiryCheckMs) {
            nextExpiryCheckMs = nowMs + 1000;
            expireQueued(nowMs);
        }
        resendIfDue(SMALL, nowMs);
        long collateDeadline = -1;
        if (hint.queued) {
            hint.queued = false;
            collateDeadline = sendSmallBatches(writer, nowMs);
        }
        sendControlIfDue(writer, nowMs);
        return earliest(collateDeadline, hint.resendAtMs.get(), lastFileSentMs + ctx.config().heartbeatInterval().toMillis(),
                incoming.ackDueAtMs(), incoming.nextNackCheckMs());
    }

    /** One pass of the bulk lane. */
    long workBulk(SpoolFileWriter writer, long nowMs) throws IOException {
        LaneHints hint = hints[BULK];
        rebuildIfHinted(writer, BULK, nowMs);
        resendIfDue(BULK, nowMs);
        if (hint.queued) {
            hint.queued = false;
            sendNextBulkFile(writer, nowMs);
        }
        return earliest(-1, hint.resendAtMs.get(), -1, -1, -1);
    }

    private void rebuildIfHinted(SpoolFileWriter writer, int lane, long nowMs) throws IOException {
        if (hints[lane].rebuild) {
            hints[lane].rebuild = false;
            rebuildWriting(writer, lane, nowMs);
        }
    }

    /** Resends what is due, then learns when the next resend is due (a nack meanwhile keeps "now"). */
    private void resendIfDue(int lane, long nowMs) {
        AtomicLong resendAt = hints[lane].resendAtMs;
        long seen = resendAt.get();
        if (nowMs < seen) {
            return;
        }
        resendDue(lane, nowMs);
        long next = nextResendMs(lane);
        resendAt.compareAndSet(seen, Math.min(next < 0 ? Long.MAX_VALUE : next, nowMs + LaneHints.RESEND_RECHECK_MS));
    }

    private static long earliest(long... times) {
        long min = Long.MAX_VALUE;
        for (long t : times) {
            if (t >= 0 && t < min) {
                min = t;
            }
        }
        return min;
    }

    /** A queued or in-progress message as the lanes need it. */
    private record OutRow(String id, String kind, long createdMs, long expiresMs, byte[] meta, byte[] inline,
            String bodyName, long bodyLength, int fragmentCount, long fragmentSize, int fragmentsWritten) {

        static OutRow map(ResultSet row) throws SQLException {
            return new OutRow(row.getString("id"), row.getString("kind"), row.getLong("created_ms"),
                    row.getLong("expires_ms"), row.getBytes("meta"), row.getBytes("body_inline"),
                    row.getString("body_name"), row.getLong("body_length"), row.getInt("fragment_count"),
                    row.getLong("fragment_size"), row.getInt("fragments_written"));
        }
    }

    private static final String OUT_ROW_COLUMNS = "id, kind, created_ms, expires_ms, meta, body_inline, body_name,"
            + " body_length, fragment_count, fragment_size, fragments_written";

    private Message toMessage(OutRow row) throws IOException {
        MessageKind kind = MessageKind.fromWireName(row.kind())
                .orElseThrow(() -> new IOException("unknown kind " + row.kind() + " in out_message"));
        Envelope envelope;
        try {
            envelope = MetaCodec.decode(kind, row.meta());
        } catch (CodecException e) {
            throw new IOException("unreadable meta of queued message " + row.id() + ": " + e.getMessage(), e);
        }
        Body body = row.inline() != null ? Body.ofBytes(row.inline())
                : row.bodyName() != null ? Body.ofFile(ctx.bodies().path(row.bodyName()), row.bodyLength()) : Body.EMPTY;
        return new Message(MessageId.of(row.id()), Instant.ofEpochMilli(row.createdMs()),
                Instant.ofEpochMilli(row.expiresMs()), envelope, body);
    }

    private OutgoingFrame frame(OutRow row, int fragmentIndex) throws IOException {
        Message message = toMessage(row);
        if (row.fragmentCount() <= 1) {
            return OutgoingFrame.whole(message);
        }
        return Fragmenter.split(message, row.fragmentSize()).get(fragmentIndex);
    }

    private boolean windowOpen(int lane) {
        return ctx.store().inTransactionDurableLater(tx -> windowOpen(tx, lane));
    }

    private boolean windowOpen(StoreTx tx, int lane) {
        long[] inFlight = tx.queryOne(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM out_file WHERE peer = ? AND epoch = ? AND lane = ?"
                        + " AND state IN ('sent', 'writing', 'open')",
                row -> new long[] {row.getLong(1), row.getLong(2)}, peer.value(), epoch, lane).orElseThrow();
        return inFlight[0] < ctx.config().windowFiles() && inFlight[1] < ctx.config().windowBytes();
    }

    /**
     * Takes the small lane's {@code open} files and writes them. Taking is a mark in memory, made
     * under the store's lock in the transaction that reads the files' messages, so no message
     * joins a file after it was read, and no commit of its own that the file's force would have
     * to wait for; a file that stays {@code open} because a crash interrupted it is rebuilt.
     */
    private void sendOpenFiles(SpoolFileWriter writer, long nowMs) throws IOException {
        if (!hints[SMALL].open) {
            return;
        }
        hints[SMALL].open = false;
        try {
            for (OpenFile file : takeOpenFiles()) {
                writeReserved(writer, file.seq(), SMALL, file.frames(), nowMs);
            }
        } catch (IOException | RuntimeException e) {
            hints[SMALL].open = true; // a file left open is written on the next pass
            throw e;
        }
    }

    /** The small lane's {@code open} files with their frames, marked taken. */
    private List<OpenFile> takeOpenFiles() {
        return ctx.store().inTransactionDurableLater(tx -> {
            List<Long> seqs = tx.query("SELECT seq FROM out_file WHERE peer = ? AND epoch = ? AND lane = ? AND state = 'open'"
                    + " ORDER BY seq", row -> row.getLong(1), peer.value(), epoch, SMALL);
            List<OpenFile> files = new ArrayList<>();
            for (long seq : seqs) {
                files.add(new OpenFile(seq, members(tx, seq)));
                takenThroughSeq = Math.max(takenThroughSeq, seq);
            }
            return files;
        });
    }

    private record OpenFile(long seq, List<OutgoingFrame> frames) {}

    /** Collates queued small messages into files; returns when a waiting batch is due, or -1. */
    private long sendSmallBatches(SpoolFileWriter writer, long nowMs) throws IOException {
        ChannelConfig config = ctx.config();
        hints[SMALL].queued = true; // unless the loop finds nothing left: the window may close on messages
        while (windowOpen(SMALL)) {
            List<OutRow> rows = ctx.store().inTransactionDurableLater(tx -> tx.query("SELECT " + OUT_ROW_COLUMNS
                    + " FROM out_message WHERE peer = ? AND lane = ? AND state = 'queued' ORDER BY enqueued_ms, rowid LIMIT ?",
                    OutRow::map, peer.value(), SMALL, BATCH_ROWS));
            if (rows.isEmpty()) {
                hints[SMALL].queued = false;
                return -1;
            }
            List<OutRow> batch = new ArrayList<>();
            long bytes = 0;
            for (OutRow row : rows) {
                long size = Collator.HEADER_BYTES_PER_FRAME + row.meta().length + row.bodyLength();
                if (!batch.isEmpty() && bytes + size > config.collateTargetBytes()) {
                    break;
                }
                batch.add(row);
                bytes += size;
            }
            long oldest = ctx.store().inTransactionDurableLater(tx -> tx.queryLong(
                    "SELECT MIN(enqueued_ms) FROM out_message WHERE peer = ? AND lane = ? AND state = 'queued'",
                    peer.value(), SMALL));
            long due = oldest + config.collateDelay().toMillis();
            if (batch.size() == rows.size() && rows.size() < BATCH_ROWS && bytes < config.collateTargetBytes() && nowMs < due) {
                return due;
            }
            List<Integer> indexes = new ArrayList<>();
            batch.forEach(row -> indexes.add(-1));
            writeDataFile(writer, SMALL, batch, indexes, nowMs);
        }
        return -1;
    }

    /** Writes the next file of the oldest bulk message, if the bulk window allows. */
    private void sendNextBulkFile(SpoolFileWriter writer, long nowMs) throws IOException {
        if (!windowOpen(BULK)) {
            hints[BULK].queued = true; // looked at again when an ack opens the window
            return;
        }
        // The oldest message with a file to write: a growing one only once its next slice is durable.
        List<Object[]> candidates = ctx.store().inTransactionDurableLater(tx -> tx.query("SELECT " + OUT_ROW_COLUMNS
                + ", state FROM out_message WHERE peer = ? AND lane = ? AND state IN ('queued', 'sending', 'growing')"
                + " AND expires_ms >= ? ORDER BY enqueued_ms, rowid LIMIT 32",
                row -> new Object[] {OutRow.map(row), row.getString("state").equals("growing")}, peer.value(), BULK, nowMs));
        Optional<OutRow> next = candidates.stream().filter(c -> !(Boolean) c[1] || nextSliceDurable((OutRow) c[0]))
                .map(c -> (OutRow) c[0]).findFirst();
        if (next.isEmpty()) {
            return; // a growing message's next slice wakes the lane (grown, completeGrowing)
        }
        OutRow row = next.get();
        int index = row.fragmentCount() <= 1 ? -1 : row.fragmentsWritten();
        if (!writeDataFile(writer, BULK, List.of(row), List.of(index), nowMs)) {
            return; // cancelled meanwhile
        }
        hints[BULK].queued = true; // there may be more fragments, or more messages
        bulkLane.signal();
    }

    /** For a growing message: true if its next fragment is not the last and its slice is durable. */
    private boolean nextSliceDurable(OutRow row) {
        long durable = growing.getOrDefault(row.id(), 0L);
        int index = row.fragmentsWritten();
        return index + 1 < row.fragmentCount() && durable >= (index + 1) * row.fragmentSize();
    }

    /**
     * Step 1 to 3 of a data file (see the class comment). {@code indexes} holds -1 for whole
     * messages. False, with nothing written, if a message was settled since it was read (a
     * growing one cancelled).
     */
    private boolean writeDataFile(SpoolFileWriter writer, int lane, List<OutRow> rows, List<Integer> indexes, long nowMs)
            throws IOException {
        long expiresMs = rows.stream().mapToLong(OutRow::expiresMs).max().orElseThrow();
        // Step 1 need not wait for the disk: nothing leaves this node before the force of step 2.
        // If power loss takes step 1 back, the file written under its number in sent/ is unknown
        // to the database and recover() deletes it.
        long seq;
        try {
            seq = ctx.store().inTransactionDurableLater(tx -> {
                for (int i = 0; i < rows.size(); i++) {
                    markWritten(tx, rows.get(i), indexes.get(i));
                }
                long s = tx.queryLong("SELECT out_next_seq FROM channel WHERE peer = ?", peer.value());
                tx.update("UPDATE channel SET out_next_seq = ? WHERE peer = ?", s + 1, peer.value());
                tx.update("INSERT INTO out_file (peer, epoch, seq, name, lane, size, expires_ms, state, attempts)"
                        + " VALUES (?, ?, ?, '', ?, 0, ?, 'writing', 0)", peer.value(), epoch, s, lane, expiresMs);
                for (int i = 0; i < rows.size(); i++) {
                    tx.update("INSERT INTO out_file_frame (peer, epoch, seq, message_id, fragment_index) VALUES (?, ?, ?, ?, ?)",
                            peer.value(), epoch, s, rows.get(i).id(), indexes.get(i));
                }
                return s;
            });
        } catch (SettledMeanwhile e) {
            return false;
        }
        List<OutgoingFrame> frames = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            frames.add(frame(rows.get(i), Math.max(0, indexes.get(i))));
        }
        try {
            storeAndSend(writer, seq, lane, frames, nowMs);
        } catch (IOException e) {
            if (stillWriting(seq)) {
                throw e;
            }
            return false; // a growing message given up meanwhile: its body went, and the file was abandoned
        }
        return true;
    }

    /**
     * Records that {@code row}'s file (or fragment {@code index}) is being written; the update
     * names the state it was read in, so a message settled since (a growing one cancelled) rolls
     * the whole transaction back instead of costing every file a read of its own.
     */
    private void markWritten(StoreTx tx, OutRow row, int index) {
        int updated;
        if (index < 0) {
            updated = tx.update("UPDATE out_message SET state = 'sent', fragments_written = 1 WHERE peer = ? AND id = ?"
                    + " AND fragments_written = 0 AND state IN ('queued', 'sending')", peer.value(), row.id());
        } else {
            boolean last = index + 1 == row.fragmentCount();
            updated = tx.update("UPDATE out_message SET state = CASE WHEN ? THEN 'sent' WHEN state = 'growing' THEN 'growing'"
                    + " ELSE 'sending' END, fragments_written = ? WHERE peer = ? AND id = ? AND fragments_written = ?"
                    + " AND state IN ('queued', 'sending', 'growing')", last ? 1 : 0, index + 1, peer.value(), row.id(), index);
        }
        if (updated == 0) {
            throw new SettledMeanwhile();
        }
    }

    /** Rolls back a file's first step when one of its messages was settled after it was read. */
    private static final class SettledMeanwhile extends RuntimeException {
        SettledMeanwhile() {
            super(null, null, false, false);
        }
    }

    private boolean stillWriting(long seq) {
        return ctx.store().inTransactionDurableLater(tx -> tx.queryOne("SELECT 1 FROM out_file WHERE peer = ? AND epoch = ?"
                + " AND seq = ? AND state = 'writing'", row -> true, peer.value(), epoch, seq).isPresent());
    }

    /**
     * Step 2 and 3 of a data file: written to the sender's store without a force of its own
     * (after power loss, {@link #recover} rebuilds every unacknowledged file), the log forced so
     * that the file's number and messages and the acks it carries are durable before the file
     * leaves, then handed to the link and marked sent (durable with the next force; if power
     * loss takes the mark back, the file is rebuilt with the same number and messages).
     */
    private void storeAndSend(SpoolFileWriter writer, long seq, int lane, List<OutgoingFrame> dataFrames, long nowMs)
            throws IOException {
        List<OutgoingFrame> frames = new ArrayList<>(controlFrames(nowMs, false));
        frames.addAll(dataFrames);
        long mustBeDurable = ctx.store().lastCommit(); // covers the file's messages and the acks it carries
        SpoolFileWriter.WrittenFile written = writer.write(new SpoolFileWriter.Address(peer, epoch, seq), frames, ctx.tmpDir(),
                false);
        Path stored = writer.publish(written, sentDir, false);
        ctx.store().sync(mustBeDurable);
        long nextResend = nowMs + ctx.config().resend().delayMillis(1, ThreadLocalRandom.current());
        Long keysExpireMs = written.keysExpire() == null ? null : written.keysExpire().toEpochMilli();
        // Only a file still being written is marked sent: one the peer acknowledged meanwhile (its
        // earlier copy arrived before a restart) is settled and stays so.
        int marked = ctx.store().inTransactionDurableLater(tx -> tx.update("UPDATE out_file SET name = ?, size = ?,"
                        + " state = 'sent', attempts = 1, first_sent_ms = ?, last_sent_ms = ?, next_resend_ms = ?,"
                        + " keys_expire_ms = ? WHERE peer = ? AND epoch = ? AND seq = ? AND state IN ('open', 'writing')",
                written.name().toString(), written.size(), nowMs, nowMs, nextResend, keysExpireMs, peer.value(), epoch, seq));
        if (marked == 0) {
            ctx.disk().deleteIfExists(stored);
            return;
        }
        hints[lane].resendBy(nextResend);
        handToLink(stored, written.name());
        incoming.ackSent();
        lastFileSentMs = nowMs;
        ctx.metrics().increment("hoft_files_sent_total", "peer", peer.value(), "kind", "data");
        ctx.metrics().add("hoft_bytes_sent_total", written.size(), "peer", peer.value());
    }

    private void handToLink(Path stored, SpoolFileName name) {
        try {
            link.send(stored, name);
        } catch (IOException e) {
            // The resend timer retries; the file is safe in the store.
            log.warn("cannot hand {} to the link: {}", name, e.toString());
            ctx.metrics().increment("hoft_link_errors_total", "peer", peer.value());
        }
    }

    /** Rebuilds files a crash left half-written: same sequence number, same messages. */
    private void rebuildWriting(SpoolFileWriter writer, int lane, long nowMs) throws IOException {
        List<Long> seqs = ctx.store().inTransactionDurableLater(tx -> tx.query("SELECT seq FROM out_file WHERE peer = ?"
                + " AND epoch = ? AND lane = ? AND state = 'writing' ORDER BY seq", row -> row.getLong(1), peer.value(), epoch,
                lane));
        for (long seq : seqs) {
            log.info("rebuilding file {} to {} after an interrupted write", seq, peer);
            writeReserved(writer, seq, lane, ctx.store().inTransactionDurableLater(tx -> members(tx, seq)), nowMs);
        }
    }

    /** The frames of the reserved file {@code seq}, from the messages the database holds for it. */
    private List<OutgoingFrame> members(StoreTx tx, long seq) throws IOException {
        List<Object[]> members = tx.query("SELECT " + prefixed("m.")
                        + ", f.fragment_index FROM out_file_frame f JOIN out_message m ON m.peer = f.peer AND m.id = f.message_id"
                        + " WHERE f.peer = ? AND f.epoch = ? AND f.seq = ? ORDER BY f.rowid",
                row -> new Object[] {OutRow.map(row), row.getInt("fragment_index")}, peer.value(), epoch, seq);
        List<OutgoingFrame> frames = new ArrayList<>();
        for (Object[] member : members) {
            frames.add(frame((OutRow) member[0], Math.max(0, (Integer) member[1])));
        }
        return frames;
    }

    /** Writes the reserved file {@code seq} holding {@code frames} (abandons it if it holds none). */
    private void writeReserved(SpoolFileWriter writer, long seq, int lane, List<OutgoingFrame> frames, long nowMs)
            throws IOException {
        if (frames.isEmpty()) {
            ctx.store().inTransaction(tx -> abandon(tx, seq, "", nowMs));
            return;
        }
        storeAndSend(writer, seq, lane, frames, nowMs);
    }

    private static String prefixed(String alias) {
        return alias + OUT_ROW_COLUMNS.replace(", ", ", " + alias);
    }

    // ---------------------------------------------------------------- resends and expiry

    private long nextResendMs(int lane) {
        return ctx.store().inTransactionDurableLater(tx -> tx.queryOne("SELECT MIN(next_resend_ms) FROM out_file WHERE peer = ?"
                + " AND epoch = ? AND lane = ? AND state = 'sent'", row -> row.getObject(1) == null ? -1L : row.getLong(1),
                peer.value(), epoch, lane).orElse(-1L));
    }

    private record DueFile(long seq, String name, long expiresMs, int attempts, Long keysExpireMs) {}

    private void resendDue(int lane, long nowMs) {
        List<DueFile> due = ctx.store().inTransactionDurableLater(tx -> tx.query("SELECT seq, name, expires_ms, attempts,"
                + " keys_expire_ms FROM out_file WHERE peer = ? AND epoch = ? AND lane = ? AND state = 'sent'"
                + " AND next_resend_ms <= ? ORDER BY seq LIMIT 500",
                row -> new DueFile(row.getLong(1), row.getString(2), row.getLong(3), row.getInt(4),
                        row.getObject(5) == null ? null : row.getLong(5)),
                peer.value(), epoch, lane, nowMs));
        for (DueFile file : due) {
            if (file.expiresMs() < nowMs) {
                ctx.store().inTransaction(tx -> abandon(tx, file.seq(), file.name(), nowMs));
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
                int rebuilding = ctx.store().inTransactionDurableLater(tx -> tx.update("UPDATE out_file SET state = 'writing'"
                        + " WHERE peer = ? AND epoch = ? AND seq = ? AND state = 'sent'", peer.value(), epoch, file.seq()));
                if (rebuilding > 0 && missing) {
                    log.warn("stored copy of {} is missing; rebuilding it", file.name());
                } else if (rebuilding > 0) {
                    log.info("the session of {} ends before a resend could arrive; rebuilding it", file.name());
                }
                if (rebuilding > 0) {
                    hints[lane].rebuild = true;
                    lane(lane).signal();
                }
                continue;
            }
            SpoolFileName name = SpoolFileName.parse(file.name()).orElseThrow();
            int attempts = file.attempts() + 1;
            long next = nowMs + ctx.config().resend().delayMillis(attempts, ThreadLocalRandom.current());
            int stillSent = ctx.store().inTransactionDurableLater(tx -> tx.update("UPDATE out_file SET attempts = ?, last_sent_ms = ?,"
                    + " next_resend_ms = ? WHERE peer = ? AND epoch = ? AND seq = ? AND state = 'sent'", attempts, nowMs, next,
                    peer.value(), epoch, file.seq()));
            if (stillSent == 0) {
                continue; // acked or abandoned since `due` was read
            }
            handToLink(stored, name);
            resends.incrementAndGet();
            ctx.metrics().increment("hoft_files_resent_total", "peer", peer.value());
        }
    }

    /**
     * Gives up a file whose messages all expired unacknowledged: those messages are reported
     * expired, and the floor moves past the file so the peer stops waiting for it.
     */
    private Void abandon(StoreTx tx, long seq, String name, long nowMs) {
        tx.update("UPDATE out_file SET state = 'abandoned', settled_ms = ? WHERE peer = ? AND epoch = ? AND seq = ?",
                nowMs, peer.value(), epoch, seq);
        List<String> ids = tx.query("SELECT f.message_id FROM out_file_frame f JOIN out_message m"
                + " ON m.peer = f.peer AND m.id = f.message_id WHERE f.peer = ? AND f.epoch = ? AND f.seq = ?"
                + " AND m.state NOT IN ('acked', 'expired')", row -> row.getString(1), peer.value(), epoch, seq);
        settleMessages(tx, ids, "expired", nowMs);
        dropStoredCopy(tx, name);
        floorMoved = true;
        tx.onCommit(smallLane::signal);
        ctx.metrics().increment("hoft_files_abandoned_total", "peer", peer.value());
        return null;
    }

    /** Queued messages that expired before being written are settled as expired. */
    private void expireQueued(long nowMs) {
        ctx.store().inTransactionDurableLater(tx -> {
            List<String> ids = tx.query("SELECT id FROM out_message WHERE peer = ? AND lane IN (0, 1)"
                    + " AND state IN ('queued', 'sending') AND expires_ms < ?", row -> row.getString(1), peer.value(), nowMs);
            settleMessages(tx, ids, "expired", nowMs);
            return null;
        });
    }

    /** Marks messages acked or expired, frees their bodies and backlog, and tells the listener. */
    private void settleMessages(StoreTx tx, List<String> ids, String outcome, long nowMs) {
        if (ids.isEmpty()) {
            return;
        }
        List<MessageId> settled = new ArrayList<>();
        for (String id : ids) {
            Optional<Object[]> row = tx.queryOne("SELECT body_name, body_length FROM out_message WHERE peer = ? AND id = ?"
                    + " AND state NOT IN ('acked', 'expired')", r -> new Object[] {r.getString(1), r.getLong(2)}, peer.value(), id);
            if (row.isEmpty()) {
                continue;
            }
            tx.update("UPDATE out_message SET state = ?, settled_ms = ? WHERE peer = ? AND id = ?", outcome, nowMs, peer.value(), id);
            tx.update("UPDATE out_backlog SET messages = messages - 1, bytes = bytes - ? WHERE peer = ?", row.get()[1], peer.value());
            if (row.get()[0] != null) {
                ctx.bodies().release(tx, (String) row.get()[0]);
            }
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

    /**
     * Deletes the stored copy, and any copy on the link, once the transaction has committed. Not
     * waiting for it to be durable is safe: if power loss takes the acknowledgement back, the
     * resend finds the copy missing and rebuilds the file with the same number and messages.
     */
    private void dropStoredCopy(StoreTx tx, String name) {
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

    // ---------------------------------------------------------------- acks and nacks from the peer

    /** Applies the peer's ack of this channel (inside the receiving transaction). */
    void onAck(StoreTx tx, Envelope.Ack ack, long nowMs) {
        if (ack.epoch() != epoch) {
            return; // an ack of an older epoch of ours: nothing it names exists any more
        }
        ReceiveState acked = new ReceiveState(ack.upTo(), ack.ranges());
        List<Object[]> files = tx.query("SELECT seq, name FROM out_file WHERE peer = ? AND epoch = ? AND lane IN (0, 1)"
                + " AND state IN ('sent', 'writing') AND seq <= ?", row -> new Object[] {row.getLong(1), row.getString(2)},
                peer.value(), epoch, acked.highest());
        List<String> completed = new ArrayList<>();
        int count = 0;
        for (Object[] file : files) {
            long seq = (Long) file[0];
            if (!acked.contains(seq)) {
                continue;
            }
            count++;
            tx.update("UPDATE out_file SET state = 'acked', settled_ms = ? WHERE peer = ? AND epoch = ? AND seq = ?",
                    nowMs, peer.value(), epoch, seq);
            for (Object[] frame : tx.query("SELECT message_id, fragment_index FROM out_file_frame WHERE peer = ?"
                    + " AND epoch = ? AND seq = ?", row -> new Object[] {row.getString(1), row.getInt(2)}, peer.value(), epoch, seq)) {
                String id = (String) frame[0];
                if ((Integer) frame[1] < 0) {
                    completed.add(id);
                    continue;
                }
                tx.update("UPDATE out_message SET fragments_acked = fragments_acked + 1 WHERE peer = ? AND id = ?", peer.value(), id);
                if (tx.queryLong("SELECT fragment_count - fragments_acked FROM out_message WHERE peer = ? AND id = ?",
                        peer.value(), id) == 0) {
                    completed.add(id);
                }
            }
            dropStoredCopy(tx, (String) file[1]);
        }
        settleMessages(tx, completed, "acked", nowMs);
        if (count > 0) {
            ctx.metrics().add("hoft_files_acked_total", count, "peer", peer.value());
            tx.onCommit(() -> {
                smallLane.signal();
                bulkLane.signal();
            });
        }
    }

    /** Makes nacked files due for resend now (each at most once per {@code minNackResendInterval}). */
    void onNack(StoreTx tx, Envelope.Nack nack, long nowMs) {
        if (nack.epoch() != epoch) {
            return;
        }
        long quietSince = nowMs - ctx.config().minNackResendInterval().toMillis();
        int due = 0;
        for (SeqRange range : nack.ranges()) {
            due += tx.update("UPDATE out_file SET next_resend_ms = ? WHERE peer = ? AND epoch = ? AND state = 'sent'"
                    + " AND seq BETWEEN ? AND ? AND last_sent_ms <= ?", nowMs, peer.value(), epoch, range.first(), range.last(),
                    quietSince);
        }
        ctx.metrics().increment("hoft_nacks_received_total", "peer", peer.value());
        if (due > 0) {
            tx.onCommit(() -> {
                hints[SMALL].resendBy(0);
                hints[BULK].resendBy(0);
                smallLane.signal();
                bulkLane.signal();
            });
        }
    }

    // ---------------------------------------------------------------- control files

    /** The ack (and any nack) every file carries, plus a heartbeat in control files. */
    private List<OutgoingFrame> controlFrames(long nowMs, boolean heartbeat) {
        List<OutgoingFrame> frames = new ArrayList<>();
        Instant now = Instant.ofEpochMilli(nowMs);
        Instant expires = now.plus(ctx.config().controlFileTtl());
        incoming.ack().ifPresent(ack -> frames.add(control(ack, now, expires)));
        incoming.takeNacks(nowMs).ifPresent(nack -> {
            frames.add(control(nack, now, expires));
            ctx.metrics().increment("hoft_nacks_sent_total", "peer", peer.value());
        });
        if (heartbeat) {
            long[] sendState = ctx.store().inTransactionDurableLater(tx -> {
                long next = tx.queryLong("SELECT out_next_seq FROM channel WHERE peer = ?", peer.value());
                long floor = tx.queryOne("SELECT MIN(seq) FROM out_file WHERE peer = ? AND epoch = ? AND lane IN (0, 1)"
                                + " AND state IN ('sent', 'writing', 'open')",
                        row -> row.getObject(1) == null ? next : row.getLong(1), peer.value(), epoch).orElse(next);
                return new long[] {next - 1, floor};
            });
            frames.add(control(new Envelope.Heartbeat(ctx.config().heartbeatInterval().toMillis(), sendState[0], sendState[1]),
                    now, expires));
        }
        return frames;
    }

    private OutgoingFrame control(Envelope envelope, Instant now, Instant expires) {
        return OutgoingFrame.whole(Message.of(MessageId.generate(ctx.clock()), now, expires, envelope));
    }

    /** Sends a control file when an ack, a nack, a heartbeat or news of a moved floor is due. */
    private void sendControlIfDue(SpoolFileWriter writer, long nowMs) throws IOException {
        boolean heartbeatDue = nowMs - lastFileSentMs >= ctx.config().heartbeatInterval().toMillis();
        if (!(heartbeatDue || floorMoved || incoming.nackDue(nowMs) || incoming.ackDue(nowMs))) {
            return;
        }
        floorMoved = false;
        List<OutgoingFrame> frames = controlFrames(nowMs, true);
        long mustBeDurable = ctx.store().lastCommit(); // covers the acks the file carries
        long lastSeq = ctx.store().inTransactionDurableLater(tx -> tx.queryLong("SELECT out_next_seq FROM channel WHERE peer = ?",
                peer.value())) - 1;
        SpoolFileWriter.WrittenFile written = writer.write(new SpoolFileWriter.Address(peer, epoch, lastSeq), frames, ctx.tmpDir(),
                false);
        try {
            ctx.store().sync(mustBeDurable); // what the ack announces is on disk before the peer may drop its copies
            link.send(written.path(), written.name());
            lastFileSentMs = nowMs;
            incoming.ackSent();
            ctx.metrics().increment("hoft_files_sent_total", "peer", peer.value(), "kind", "control");
        } catch (IOException e) {
            log.warn("cannot send a control file to {}: {}", peer, e.toString());
        } finally {
            ctx.disk().deleteIfExists(written.path());
        }
    }
}
