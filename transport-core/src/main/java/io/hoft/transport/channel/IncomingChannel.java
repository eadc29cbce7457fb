package io.hoft.transport.channel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.SeqRange;
import io.hoft.transport.spool.StrictJson;
import io.hoft.transport.store.StoreTx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The receiving end of one peer's channel to this node: which of its files arrived (the
 * state every ack announces), when the peer was last heard, and which gaps to nack.
 *
 * <p>The database row is the truth and is changed only inside store transactions, read and
 * written in the same transaction; this object caches the last committed row (by a version
 * taken under the store's lock), so threads that build acks or check for duplicates never
 * see a state that did not commit. Receipts are committed without waiting for the disk; a
 * thread that announces this state to the peer (an ack) syncs the store first, so an ack never
 * names a file whose receipt power loss could take back.
 */
final class IncomingChannel {
    /** Gaps are tracked for at most this many sequence numbers at a time. */
    private static final int MAX_TRACKED_GAPS = 4096;

    private final NodeId peer;
    private final ChannelConfig config;

    private long committedVersion = -1;
    private long epoch = -1;
    private ReceiveState state = new ReceiveState();
    private long lastSeqAnnounced;
    private volatile long lastHeardMs;
    private long ackDueSinceMs = -1;
    private final Map<Long, Long> gapFirstSeenMs = new HashMap<>();
    private final Map<Long, Long> lastNackedMs = new HashMap<>();
    private final TreeSet<Long> urgent = new TreeSet<>();
    private long versionCounter;

    IncomingChannel(NodeId peer, ChannelConfig config) {
        this.peer = peer;
        this.config = config;
    }

    NodeId peer() {
        return peer;
    }

    /** The committed row, as read inside a transaction. */
    static final class Row {
        long epoch;
        ReceiveState state;
        long lastSeq;
        long version;
    }

    Row read(StoreTx tx) {
        ChannelTable.ReceiveRow stored = ChannelTable.receiveState(tx, peer.value())
                .orElseThrow(() -> new IllegalStateException("no channel row for " + peer));
        Row r = new Row();
        r.epoch = stored.epoch();
        r.state = new ReceiveState(stored.upTo(), parseRanges(stored.rangesJson()));
        r.lastSeq = stored.lastSeq();
        return r;
    }

    /**
     * Writes the row and arranges for the cache to take it once the transaction commits (before
     * it is durable: whoever announces the state to the peer syncs the store first). The row
     * also takes when the peer was last heard, so {@code hoft spool stats} sees a peer heard
     * since the last minute's record as soon as a file from it changed what was received.
     */
    void write(StoreTx tx, Row row) {
        ChannelTable.setReceiveState(tx, peer.value(),
                new ChannelTable.ReceiveRow(row.epoch, row.state.upTo(), formatRanges(row.state.ranges()), row.lastSeq),
                lastHeardMs);
        synchronized (this) {
            row.version = ++versionCounter; // under the store lock: versions follow commit order
        }
        tx.onCommit(() -> adopt(row));
    }

    synchronized void adopt(Row row) {
        if (row.version <= committedVersion) {
            return;
        }
        committedVersion = row.version;
        epoch = row.epoch;
        state = row.state;
        lastSeqAnnounced = row.lastSeq;
    }

    void load(StoreTx tx, long lastHeard) {
        Row row = read(tx);
        synchronized (this) {
            row.version = ++versionCounter;
        }
        adopt(row);
        lastHeardMs = lastHeard;
    }

    /**
     * Records a received data file inside {@code tx}. Returns false if it was a duplicate or
     * from an older epoch (then nothing in the file may be delivered).
     */
    boolean recordReceived(StoreTx tx, long fileEpoch, long seq, long nowMs) {
        Row row = read(tx);
        if (fileEpoch < row.epoch) {
            return false;
        }
        if (fileEpoch > row.epoch) {
            startEpoch(row, fileEpoch);
        }
        if (!row.state.add(seq)) {
            return false;
        }
        write(tx, row);
        tx.onCommit(() -> markAckDue(nowMs));
        return true;
    }

    /** Applies a heartbeat's send state inside {@code tx}: the last number sent and the floor. */
    void applyHeartbeat(StoreTx tx, long fileEpoch, Envelope.Heartbeat heartbeat) {
        Row row = read(tx);
        if (fileEpoch < row.epoch) {
            return;
        }
        if (fileEpoch > row.epoch) {
            startEpoch(row, fileEpoch);
        }
        row.lastSeq = Math.max(row.lastSeq, heartbeat.lastSeq());
        row.state.abandonBelow(heartbeat.floor());
        write(tx, row);
    }

    private static void startEpoch(Row row, long epoch) {
        row.epoch = epoch;
        row.state = new ReceiveState();
        row.lastSeq = 0;
    }

    synchronized boolean isStale(long fileEpoch) {
        return fileEpoch < epoch;
    }

    synchronized boolean hasReceived(long fileEpoch, long seq) {
        return fileEpoch == epoch && state.contains(seq);
    }

    void heard(long nowMs) {
        lastHeardMs = Math.max(lastHeardMs, nowMs);
    }

    long lastHeardMs() {
        return lastHeardMs;
    }

    /** Something new arrived, or a duplicate (its sender has evidently not seen our ack yet). */
    synchronized void markAckDue(long nowMs) {
        if (ackDueSinceMs < 0) {
            ackDueSinceMs = nowMs;
        }
    }

    synchronized boolean ackDue(long nowMs) {
        return ackDueSinceMs >= 0 && nowMs - ackDueSinceMs >= config.ackDelay().toMillis();
    }

    /** When an ack will be due, or -1 if none is pending. */
    synchronized long ackDueAtMs() {
        return ackDueSinceMs < 0 ? -1 : ackDueSinceMs + config.ackDelay().toMillis();
    }

    synchronized void ackSent() {
        ackDueSinceMs = -1;
    }

    /** The ack every outgoing file carries, once the peer's epoch is known. */
    synchronized Optional<Envelope.Ack> ack() {
        return epoch < 0 ? Optional.empty() : Optional.of(state.toAck(epoch));
    }

    /** A file whose header verified arrived damaged: nack it with the next file. */
    synchronized void nackNow(long fileEpoch, long seq) {
        if (fileEpoch == epoch || epoch < 0 || fileEpoch > epoch) {
            urgent.add(seq);
        }
    }

    /** True if a nack is due now (damaged files, or gaps open past the reorder window). */
    synchronized boolean nackDue(long nowMs) {
        return !dueNacks(nowMs).isEmpty();
    }

    /**
     * The nack to send now, if any: damaged files at once, and gaps that stayed open past the
     * reorder window, each at most once per reorder window.
     */
    synchronized Optional<Envelope.Nack> takeNacks(long nowMs) {
        TreeSet<Long> due = dueNacks(nowMs);
        urgent.clear();
        if (due.isEmpty()) {
            return Optional.empty();
        }
        due.forEach(seq -> lastNackedMs.put(seq, nowMs));
        return Optional.of(new Envelope.Nack(epoch, toRanges(due), "missing or damaged"));
    }

    /** Updates gap tracking and returns what is due, without marking anything sent. */
    private TreeSet<Long> dueNacks(long nowMs) {
        TreeSet<Long> due = new TreeSet<>();
        if (epoch < 0) {
            urgent.clear();
            return due;
        }
        for (Long seq : urgent) {
            if (!state.contains(seq)) {
                due.add(seq);
            }
        }
        long windowMs = config.reorderWindow().toMillis();
        TreeSet<Long> open = new TreeSet<>();
        outer:
        for (SeqRange gap : state.gaps(Math.max(state.highest(), lastSeqAnnounced))) {
            for (long seq = gap.first(); seq <= gap.last(); seq++) {
                if (open.size() >= MAX_TRACKED_GAPS) {
                    break outer;
                }
                open.add(seq);
            }
        }
        gapFirstSeenMs.keySet().retainAll(open);
        lastNackedMs.keySet().retainAll(open);
        for (Long seq : open) {
            long firstSeen = gapFirstSeenMs.computeIfAbsent(seq, s -> nowMs);
            Long lastNack = lastNackedMs.get(seq);
            if (nowMs - firstSeen >= windowMs && (lastNack == null || nowMs - lastNack >= windowMs)) {
                due.add(seq);
            }
        }
        return due;
    }

    /** When a tracked gap next comes due, or -1 if none is tracked (call {@link #nackDue} first). */
    synchronized long nextNackCheckMs() {
        if (!urgent.isEmpty()) {
            return 0;
        }
        long next = -1;
        long windowMs = config.reorderWindow().toMillis();
        for (Map.Entry<Long, Long> entry : gapFirstSeenMs.entrySet()) {
            Long lastNack = lastNackedMs.get(entry.getKey());
            long at = Math.max(entry.getValue(), lastNack == null ? 0 : lastNack) + windowMs;
            next = next < 0 ? at : Math.min(next, at);
        }
        return next;
    }

    synchronized long epoch() {
        return epoch;
    }

    synchronized ReceiveState state() {
        return new ReceiveState(state.upTo(), state.ranges());
    }

    static List<SeqRange> toRanges(TreeSet<Long> seqs) {
        List<SeqRange> ranges = new ArrayList<>();
        Iterator<Long> it = seqs.iterator();
        long first = it.next();
        long last = first;
        while (it.hasNext()) {
            long seq = it.next();
            if (seq == last + 1) {
                last = seq;
            } else {
                ranges.add(new SeqRange(first, last));
                first = seq;
                last = seq;
            }
        }
        ranges.add(new SeqRange(first, last));
        return ranges;
    }

    static List<SeqRange> parseRanges(String json) {
        List<SeqRange> ranges = new ArrayList<>();
        try {
            for (JsonNode pair : StrictJson.MAPPER.readTree(json)) {
                ranges.add(new SeqRange(pair.get(0).asLong(), pair.get(1).asLong()));
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("unreadable receive ranges in the node database", e);
        }
        return ranges;
    }

    static String formatRanges(List<SeqRange> ranges) {
        ArrayNode array = StrictJson.MAPPER.createArrayNode();
        for (SeqRange range : ranges) {
            array.addArray().add(range.first()).add(range.last());
        }
        return array.toString();
    }
}
