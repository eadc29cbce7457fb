package io.hoft.transport.channel;

import io.hoft.transport.store.StoreTx;

/**
 * The channel's own operations for {@code hoft spool gc}, run in a transaction of the caller's
 * on the node's store (which SQLite serialises with a running node's): deleting settled rows
 * past an age, and making given unacknowledged messages and files expire, so that the node
 * settles them by its own rules when it next looks (it abandons the files, tells the layer above
 * the messages expired, deletes the stored copies and moves the floor). Every statement names
 * the state it acts on, so a row settled or changed since gc listed it is judged again. The
 * node's maintenance prunes settled rows here too ({@link Maintenance}).
 */
public final class ChannelHousekeeping {
    private ChannelHousekeeping() {
    }

    /** Settled rows per table: data files, their frames, messages. */
    public record SettledRows(long files, long frames, long messages) {
        public long total() {
            return files + frames + messages;
        }
    }

    /** The settled rows older than the cutoff, of {@code peer} (null: every peer); see {@link ChannelView#settledRows}. */
    static final String SETTLED_FRAMES = "FROM out_file_frame WHERE EXISTS (SELECT 1 FROM out_file f"
            + " WHERE f.peer = out_file_frame.peer AND f.epoch = out_file_frame.epoch AND f.seq = out_file_frame.seq"
            + " AND f.state IN ('acked', 'abandoned') AND f.settled_ms < ?) AND (peer = ? OR ? IS NULL)";
    static final String SETTLED_FILES = "FROM out_file WHERE state IN ('acked', 'abandoned') AND settled_ms < ?"
            + " AND (peer = ? OR ? IS NULL)";
    static final String SETTLED_MESSAGES = "FROM out_message WHERE state IN ('acked', 'expired') AND settled_ms < ?"
            + " AND (peer = ? OR ? IS NULL)";

    /** Deletes the settled rows older than {@code cutoffMs} of {@code peer} (null: every peer); returns what went. */
    public static SettledRows deleteSettled(StoreTx tx, long cutoffMs, String peer) {
        long frames = tx.update("DELETE " + SETTLED_FRAMES, cutoffMs, peer, peer);
        long files = tx.update("DELETE " + SETTLED_FILES, cutoffMs, peer, peer);
        long messages = tx.update("DELETE " + SETTLED_MESSAGES, cutoffMs, peer, peer);
        return new SettledRows(files, frames, messages);
    }

    /** Makes a sent file expire now and due at once, so the node abandons it; 1 if it was still sent, else 0. */
    public static int expireFile(StoreTx tx, String peer, String name, long nowMs) {
        return tx.update("UPDATE out_file SET expires_ms = ?, next_resend_ms = ? WHERE peer = ? AND name = ?"
                + " AND state = 'sent'", nowMs - 1, nowMs, peer, name);
    }

    /** Makes an unsettled message expire now; 1 if it was still unsettled, else 0. */
    public static int expireMessage(StoreTx tx, String peer, String id, long nowMs) {
        return tx.update("UPDATE out_message SET expires_ms = ? WHERE peer = ? AND id = ?"
                + " AND state IN ('queued', 'sending', 'sent')", nowMs - 1, peer, id);
    }

    /** The maintenance's pruning of every peer's rows settled before {@code settledBefore}. */
    static void pruneSettled(StoreTx tx, long settledBefore) {
        tx.update("DELETE FROM out_file_frame WHERE EXISTS (SELECT 1 FROM out_file f WHERE f.peer = out_file_frame.peer"
                + " AND f.epoch = out_file_frame.epoch AND f.seq = out_file_frame.seq"
                + " AND f.state IN ('acked', 'abandoned') AND f.settled_ms < ?)", settledBefore);
        tx.update("DELETE FROM out_file WHERE state IN ('acked', 'abandoned') AND settled_ms < ?", settledBefore);
        tx.update("DELETE FROM out_message WHERE state IN ('acked', 'expired') AND settled_ms < ?", settledBefore);
    }
}
