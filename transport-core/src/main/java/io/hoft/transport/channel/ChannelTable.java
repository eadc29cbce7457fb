package io.hoft.transport.channel;

import io.hoft.transport.store.StoreTx;
import java.util.Optional;

/**
 * The {@code channel} row of each peer (both directions' sequence state and when the peer was
 * last heard) and the node's {@code channel_meta} values: the only code that reads or writes
 * them (see {@link ChannelSchema}). Each method is one statement in the caller's transaction.
 */
final class ChannelTable {
    private ChannelTable() {
    }

    /** What the {@code channel} row says about what was received from the peer. */
    record ReceiveRow(long epoch, long upTo, String rangesJson, long lastSeq) {}

    /** Creates the peer's row on first use, with a new sending epoch {@code epoch}. */
    static void createIfAbsent(StoreTx tx, String peer, long epoch) {
        tx.update("INSERT OR IGNORE INTO channel (peer, out_epoch, out_next_seq, in_epoch, in_up_to, in_ranges,"
                + " in_last_seq, last_heard_ms) VALUES (?, ?, 1, -1, 0, '[]', 0, 0)", peer, epoch);
    }

    static long sendingEpoch(StoreTx tx, String peer) {
        return tx.queryLong("SELECT out_epoch FROM channel WHERE peer = ?", peer);
    }

    /** The sequence number the next data file to the peer gets. */
    static long nextSeq(StoreTx tx, String peer) {
        return tx.queryLong("SELECT out_next_seq FROM channel WHERE peer = ?", peer);
    }

    static void setNextSeq(StoreTx tx, String peer, long nextSeq) {
        tx.update("UPDATE channel SET out_next_seq = ? WHERE peer = ?", nextSeq, peer);
    }

    /** Reserves the next sequence number (a read and an update, as the lanes always did). */
    static long takeSeq(StoreTx tx, String peer) {
        long seq = nextSeq(tx, peer);
        setNextSeq(tx, peer, seq + 1);
        return seq;
    }

    static long lastHeardMs(StoreTx tx, String peer) {
        return tx.queryLong("SELECT last_heard_ms FROM channel WHERE peer = ?", peer);
    }

    static void setLastHeardMs(StoreTx tx, String peer, long lastHeardMs) {
        tx.update("UPDATE channel SET last_heard_ms = ? WHERE peer = ?", lastHeardMs, peer);
    }

    static Optional<ReceiveRow> receiveState(StoreTx tx, String peer) {
        return tx.queryOne("SELECT in_epoch, in_up_to, in_ranges, in_last_seq FROM channel WHERE peer = ?",
                row -> new ReceiveRow(row.getLong(1), row.getLong(2), row.getString(3), row.getLong(4)), peer);
    }

    /** Writes what was received, and when the peer was last heard (never moving it back). */
    static void setReceiveState(StoreTx tx, String peer, ReceiveRow row, long lastHeardMs) {
        tx.update("UPDATE channel SET in_epoch = ?, in_up_to = ?, in_ranges = ?, in_last_seq = ?,"
                + " last_heard_ms = MAX(last_heard_ms, ?) WHERE peer = ?",
                row.epoch(), row.upTo(), row.rangesJson(), row.lastSeq(), lastHeardMs, peer);
    }

    /** The machine's boot id when the node last started, if it recorded one. */
    static Optional<String> lastBootId(StoreTx tx) {
        return tx.queryOne("SELECT value FROM channel_meta WHERE name = 'boot_id'", row -> row.getString(1));
    }

    static void recordBootId(StoreTx tx, String bootId) {
        tx.update("INSERT OR REPLACE INTO channel_meta (name, value) VALUES ('boot_id', ?)", bootId);
    }
}
