package io.hoft.transport.channel;

import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.Link;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.message.MessageKind;
import io.hoft.transport.spool.CodecException;
import io.hoft.transport.spool.Collator;
import io.hoft.transport.spool.Fragmenter;
import io.hoft.transport.spool.MetaCodec;
import io.hoft.transport.spool.OutgoingFrame;
import io.hoft.transport.spool.SpoolFileWriter;
import io.hoft.transport.store.StoreTx;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file writer step of one peer's two lanes ({@link OutgoingChannel}'s class comment has the
 * three steps of a data file): each pass of a lane rebuilds files a crash or a lost copy left
 * {@code writing}, writes what waits ({@code open} small files, collated queued small messages,
 * the next bulk file or fragment), resends what is due, and sends a control file when an ack, a
 * nack, a heartbeat or a moved floor is due. Only the lane's own thread calls a pass; a file
 * leaves the node only after the log was forced up to its reservation and the acks it carries.
 */
final class LaneWriter {
    private static final Logger log = LoggerFactory.getLogger(LaneWriter.class);
    static final int SMALL = 0;
    static final int BULK = 1;
    static final int BATCH_ROWS = 2000;

    private final ChannelContext ctx;
    private final NodeId peer;
    private final Link link;
    private final IncomingChannel incoming;
    private final Path sentDir;
    private final OutgoingTables tables;
    private final LaneHints[] hints;
    private final Map<String, Long> growing;
    private final Settler settler;
    private final Resender resender;
    private final IntConsumer wake;
    private volatile long nextExpiryCheckMs;
    /** The highest {@code open} file the small lane has read to write: later messages open new files. */
    private long takenThroughSeq;
    private volatile long lastFileSentMs;
    private volatile boolean floorMoved;

    LaneWriter(ChannelContext ctx, NodeId peer, Link link, IncomingChannel incoming, Path sentDir, OutgoingTables tables,
            LaneHints[] hints, Map<String, Long> growing, IntConsumer wake) {
        this.ctx = ctx;
        this.peer = peer;
        this.link = link;
        this.incoming = incoming;
        this.sentDir = sentDir;
        this.tables = tables;
        this.hints = hints;
        this.growing = growing;
        this.wake = wake;
        this.settler = new Settler(ctx, peer, link, sentDir, tables, () -> {
            floorMoved = true;
            wake.accept(SMALL);
        });
        this.resender = new Resender(ctx, peer, link, sentDir, tables, settler);
    }

    Settler settler() {
        return settler;
    }

    long resends() {
        return resender.resends();
    }

    /** The highest {@code open} file the small lane took (read under the store's lock, by a small message's acceptance). */
    long takenThroughSeq() {
        return takenThroughSeq;
    }

    /** Whether the lane's window of unacknowledged files has room. */
    boolean windowOpen(StoreTx tx, int lane) {
        OutgoingTables.InFlight inFlight = tables.inFlight(tx, lane);
        return inFlight.files() < ctx.config().windowFiles() && inFlight.bytes() < ctx.config().windowBytes();
    }

    private boolean windowOpen(int lane) {
        return ctx.store().inTransactionDurableLater(tx -> windowOpen(tx, lane));
    }

    /** One pass of the small lane; returns when it wants to run again (epoch millis). */
    long workSmall(SpoolFileWriter writer, long nowMs) throws IOException {
        LaneHints hint = hints[SMALL];
        rebuildIfHinted(writer, SMALL, nowMs);
        sendOpenFiles(writer, nowMs);
        if (nowMs >= nextExpiryCheckMs) {
            nextExpiryCheckMs = nowMs + 1000;
            settler.expireQueued(nowMs);
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

    private void resendIfDue(int lane, long nowMs) {
        resender.resendIfDue(lane, hints[lane], () -> {
            hints[lane].rebuild = true;
            wake.accept(lane);
        }, nowMs);
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

    private Message toMessage(OutgoingTables.OutRow row) throws IOException {
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

    private OutgoingFrame frame(OutgoingTables.OutRow row, int fragmentIndex) throws IOException {
        Message message = toMessage(row);
        if (row.fragmentCount() <= 1) {
            return OutgoingFrame.whole(message);
        }
        return Fragmenter.split(message, row.fragmentSize()).get(fragmentIndex);
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
            List<OpenFile> files = new ArrayList<>();
            for (long seq : tables.openSeqs(tx, SMALL)) {
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
            List<OutgoingTables.OutRow> rows = ctx.store().inTransactionDurableLater(tx -> tables.queued(tx, SMALL, BATCH_ROWS));
            if (rows.isEmpty()) {
                hints[SMALL].queued = false;
                return -1;
            }
            List<OutgoingTables.OutRow> batch = new ArrayList<>();
            long bytes = 0;
            for (OutgoingTables.OutRow row : rows) {
                long size = Collator.HEADER_BYTES_PER_FRAME + row.meta().length + row.bodyLength();
                if (!batch.isEmpty() && bytes + size > config.collateTargetBytes()) {
                    break;
                }
                batch.add(row);
                bytes += size;
            }
            long oldest = ctx.store().inTransactionDurableLater(tx -> tables.oldestQueuedMs(tx, SMALL));
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
        List<OutgoingTables.BulkCandidate> candidates =
                ctx.store().inTransactionDurableLater(tx -> tables.bulkCandidates(tx, BULK, nowMs));
        Optional<OutgoingTables.OutRow> next = candidates.stream().filter(c -> !c.growing() || nextSliceDurable(c.row()))
                .map(OutgoingTables.BulkCandidate::row).findFirst();
        if (next.isEmpty()) {
            return; // a growing message's next slice wakes the lane (grown, completeGrowing)
        }
        OutgoingTables.OutRow row = next.get();
        int index = row.fragmentCount() <= 1 ? -1 : row.fragmentsWritten();
        if (!writeDataFile(writer, BULK, List.of(row), List.of(index), nowMs)) {
            return; // cancelled meanwhile
        }
        hints[BULK].queued = true; // there may be more fragments, or more messages
        wake.accept(BULK);
    }

    /** For a growing message: true if its next fragment is not the last and its slice is durable. */
    private boolean nextSliceDurable(OutgoingTables.OutRow row) {
        long durable = growing.getOrDefault(row.id(), 0L);
        int index = row.fragmentsWritten();
        return index + 1 < row.fragmentCount() && durable >= (index + 1) * row.fragmentSize();
    }

    /**
     * Step 1 to 3 of a data file (see the class comment). {@code indexes} holds -1 for whole
     * messages. False, with nothing written, if a message was settled since it was read (a
     * growing one cancelled).
     */
    private boolean writeDataFile(SpoolFileWriter writer, int lane, List<OutgoingTables.OutRow> rows, List<Integer> indexes,
            long nowMs) throws IOException {
        long expiresMs = rows.stream().mapToLong(OutgoingTables.OutRow::expiresMs).max().orElseThrow();
        // Step 1 need not wait for the disk: nothing leaves this node before the force of step 2.
        // If power loss takes step 1 back, the file written under its number in sent/ is unknown
        // to the database and recover() deletes it.
        long seq;
        try {
            seq = ctx.store().inTransactionDurableLater(tx -> {
                for (int i = 0; i < rows.size(); i++) {
                    markWritten(tx, rows.get(i), indexes.get(i));
                }
                long s = ChannelTable.takeSeq(tx, peer.value());
                tables.insertWriting(tx, s, lane, expiresMs);
                for (int i = 0; i < rows.size(); i++) {
                    tables.insertFrame(tx, s, rows.get(i).id(), indexes.get(i));
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
            if (ctx.store().inTransactionDurableLater(tx -> tables.isWriting(tx, seq))) {
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
    private void markWritten(StoreTx tx, OutgoingTables.OutRow row, int index) {
        boolean updated = index < 0 ? tables.markWholeWritten(tx, row.id())
                : tables.markFragmentWritten(tx, row.id(), index, index + 1 == row.fragmentCount());
        if (!updated) {
            throw new SettledMeanwhile();
        }
    }

    /** Rolls back a file's first step when one of its messages was settled after it was read. */
    private static final class SettledMeanwhile extends RuntimeException {
        SettledMeanwhile() {
            super(null, null, false, false);
        }
    }

    /**
     * Step 2 and 3 of a data file: written to the sender's store without a force of its own
     * (after power loss, {@link OutgoingChannel#recover} rebuilds every unacknowledged file), the
     * log forced so that the file's number and messages and the acks it carries are durable
     * before the file leaves, then handed to the link and marked sent (durable with the next
     * force; if power loss takes the mark back, the file is rebuilt with the same number and
     * messages).
     */
    private void storeAndSend(SpoolFileWriter writer, long seq, int lane, List<OutgoingFrame> dataFrames, long nowMs)
            throws IOException {
        List<OutgoingFrame> frames = new ArrayList<>(controlFrames(nowMs, false));
        frames.addAll(dataFrames);
        long mustBeDurable = ctx.store().lastCommit(); // covers the file's messages and the acks it carries
        SpoolFileWriter.WrittenFile written = writer.write(new SpoolFileWriter.Address(peer, tables.epoch(), seq), frames,
                ctx.tmpDir(), false);
        Path stored = writer.publish(written, sentDir, false);
        ctx.store().sync(mustBeDurable);
        long nextResend = nowMs + ctx.config().resend().delayMillis(1, ThreadLocalRandom.current());
        Long keysExpireMs = written.keysExpire() == null ? null : written.keysExpire().toEpochMilli();
        // Only a file still being written is marked sent: one the peer acknowledged meanwhile (its
        // earlier copy arrived before a restart) is settled and stays so.
        int marked = ctx.store().inTransactionDurableLater(tx -> tables.markSent(tx, seq, written.name().toString(),
                written.size(), nowMs, nextResend, keysExpireMs));
        if (marked == 0) {
            ctx.disk().deleteIfExists(stored);
            return;
        }
        hints[lane].resendBy(nextResend);
        resender.handToLink(stored, written.name());
        incoming.ackSent();
        lastFileSentMs = nowMs;
        ctx.metrics().increment("hoft_files_sent_total", "peer", peer.value(), "kind", "data");
        ctx.metrics().add("hoft_bytes_sent_total", written.size(), "peer", peer.value());
    }

    /** Rebuilds files a crash left half-written: same sequence number, same messages. */
    private void rebuildWriting(SpoolFileWriter writer, int lane, long nowMs) throws IOException {
        List<Long> seqs = ctx.store().inTransactionDurableLater(tx -> tables.writingSeqs(tx, lane));
        for (long seq : seqs) {
            log.info("rebuilding file {} to {} after an interrupted write", seq, peer);
            writeReserved(writer, seq, lane, ctx.store().inTransactionDurableLater(tx -> members(tx, seq)), nowMs);
        }
    }

    /** The frames of the reserved file {@code seq}, from the messages the database holds for it. */
    private List<OutgoingFrame> members(StoreTx tx, long seq) throws IOException {
        List<OutgoingFrame> frames = new ArrayList<>();
        for (OutgoingTables.Member member : tables.members(tx, seq)) {
            frames.add(frame(member.row(), Math.max(0, member.fragmentIndex())));
        }
        return frames;
    }

    /** Writes the reserved file {@code seq} holding {@code frames} (abandons it if it holds none). */
    private void writeReserved(SpoolFileWriter writer, long seq, int lane, List<OutgoingFrame> frames, long nowMs)
            throws IOException {
        if (frames.isEmpty()) {
            ctx.store().inTransaction(tx -> settler.abandon(tx, seq, "", nowMs));
            return;
        }
        storeAndSend(writer, seq, lane, frames, nowMs);
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
                long next = ChannelTable.nextSeq(tx, peer.value());
                return new long[] {next - 1, tables.floor(tx, next)};
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
        long lastSeq = ctx.store().inTransactionDurableLater(tx -> ChannelTable.nextSeq(tx, peer.value())) - 1;
        SpoolFileWriter.WrittenFile written = writer.write(new SpoolFileWriter.Address(peer, tables.epoch(), lastSeq), frames,
                ctx.tmpDir(), false);
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
