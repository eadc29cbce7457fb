package io.hoft.transport.channel;

import io.hoft.transport.store.StoreTx;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * A read-only view of the channel's tables for the command line ({@code hoft spool stats},
 * {@code ls}, {@code requests}, {@code gc}): each method runs its queries in the given
 * transaction (a {@code NodeSnapshot}'s, which refuses writes, so a view never changes the node)
 * and returns records. What the view shows is the node's committed state at the snapshot; the
 * channel's in-memory state (what is queued to be received, hints) is not part of it.
 */
public final class ChannelView {
    private ChannelView() {
    }

    /** One peer's {@code channel} row: what was received from it and the sending epoch and next number. */
    public record PeerChannel(String peer, long inEpoch, ReceiveState received, long inLastSeq, long lastHeardMs,
            long outEpoch, long outNextSeq) {}

    /** A data file sent to a peer that the database still has a row for. */
    public record SentFile(String peer, long epoch, long seq, String name, String state, long size, int attempts,
            Long firstSentMs, Long lastSentMs, Long settledMs, long expiresMs) {}

    /** The sending side's counts for one peer, as {@code hoft spool stats} shows them (0: none). */
    public record SendingStats(long queuedMessages, long backlogMessages, long backlogBytes, long unackedFiles,
            long unackedBytes, long writingFiles, long oldestUnackedMs, long resends, long maxAttempts, long nextResendMs) {}

    /** A fragmented message being put together. */
    public record Reassembly(String id, String kind, long fragments, long count, long totalLength, long expiresMs) {}

    /** A message accepted for sending, as the channel remembers it. */
    public record SentMessage(String state, long enqueuedMs, Long settledMs, int fragmentCount, int lane) {}

    /** A data file that carried (a fragment of) a message; {@code fragment} is -1 for a whole message. */
    public record MessageFile(String name, long epoch, long seq, String state, int attempts, Long firstSentMs,
            Long lastSentMs, Long settledMs, long size, int fragment) {}

    /** The unacknowledged backlog: files and messages not yet settled. */
    public record Unacked(long files, long messages) {}

    /** An unacknowledged file {@code gc --force} would give up. */
    public record LostFile(String peer, String name, String state, long size, long firstSentMs, int attempts) {}

    /** An unacknowledged message {@code gc --force} would give up. */
    public record LostMessage(String peer, String id, String kind, String state, long bodyLength, long enqueuedMs) {}

    /** Whether the node created the channel's tables (a node that never started has not). */
    public static boolean exists(StoreTx tx) {
        return tx.queryLong("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'channel'") > 0;
    }

    public static List<PeerChannel> peers(StoreTx tx) {
        return tx.query("SELECT peer, in_epoch, in_up_to, in_ranges, in_last_seq, last_heard_ms, out_epoch,"
                + " out_next_seq FROM channel ORDER BY peer", row -> new PeerChannel(row.getString(1), row.getLong(2),
                received(row.getLong(3), row.getString(4)), row.getLong(5), row.getLong(6), row.getLong(7), row.getLong(8)));
    }

    private static ReceiveState received(long upTo, String rangesJson) {
        try {
            return new ReceiveState(upTo, IncomingChannel.parseRanges(rangesJson));
        } catch (RuntimeException e) {
            throw new IllegalStateException("unreadable receive ranges in the node database: " + rangesJson, e);
        }
    }

    public static List<SentFile> sentFiles(StoreTx tx) {
        return tx.query("SELECT peer, epoch, seq, name, state, size, attempts, first_sent_ms, last_sent_ms,"
                + " settled_ms, expires_ms FROM out_file", row -> new SentFile(row.getString(1), row.getLong(2), row.getLong(3),
                row.getString(4), row.getString(5), row.getLong(6), row.getInt(7), longOrNull(row, 8), longOrNull(row, 9),
                longOrNull(row, 10), row.getLong(11)));
    }

    private static Long longOrNull(ResultSet row, int column) throws SQLException {
        Object value = row.getObject(column);
        return value == null ? null : ((Number) value).longValue();
    }

    /** When a message from {@code peer} was last received, or 0. */
    public static long lastReceivedMs(StoreTx tx, String peer) {
        return tx.queryLong("SELECT COALESCE(MAX(received_ms), 0) FROM in_message WHERE peer = ?", peer);
    }

    public static SendingStats sending(StoreTx tx, String peer) {
        return new SendingStats(
                tx.queryLong("SELECT COUNT(*) FROM out_message WHERE peer = ? AND state IN ('queued', 'sending', 'growing')", peer),
                tx.queryLong("SELECT COALESCE(SUM(messages), 0) FROM out_backlog WHERE peer = ?", peer),
                tx.queryLong("SELECT COALESCE(SUM(bytes), 0) FROM out_backlog WHERE peer = ?", peer),
                tx.queryLong("SELECT COUNT(*) FROM out_file WHERE peer = ? AND state = 'sent'", peer),
                tx.queryLong("SELECT COALESCE(SUM(size), 0) FROM out_file WHERE peer = ? AND state = 'sent'", peer),
                tx.queryLong("SELECT COUNT(*) FROM out_file WHERE peer = ? AND state IN ('writing', 'open')", peer),
                tx.queryLong("SELECT COALESCE(MIN(first_sent_ms), 0) FROM out_file WHERE peer = ? AND state = 'sent'", peer),
                tx.queryLong("SELECT COALESCE(SUM(attempts - 1), 0) FROM out_file WHERE peer = ? AND state = 'sent'"
                        + " AND attempts > 0", peer),
                tx.queryLong("SELECT COALESCE(MAX(attempts), 0) FROM out_file WHERE peer = ? AND state = 'sent'", peer),
                tx.queryLong("SELECT COALESCE(MIN(next_resend_ms), 0) FROM out_file WHERE peer = ? AND state = 'sent'", peer));
    }

    /** The messages from {@code peer} being put together, oldest first. */
    public static List<Reassembly> reassemblies(StoreTx tx, String peer) {
        return tx.query("SELECT r.id, r.kind, r.fragment_count, r.total_length, r.expires_ms,"
                + " (SELECT COUNT(*) FROM in_fragment f WHERE f.peer = r.peer AND f.id = r.id)"
                + " FROM in_reassembly r WHERE r.peer = ? ORDER BY r.created_ms", row -> new Reassembly(row.getString(1),
                row.getString(2), row.getLong(6), row.getLong(3), row.getLong(4), row.getLong(5)), peer);
    }

    /** How many received ids from {@code peer} the node remembers for dedupe. */
    public static long rememberedIds(StoreTx tx, String peer) {
        return tx.queryLong("SELECT COUNT(*) FROM in_message WHERE peer = ?", peer);
    }

    /** The message {@code id} sent to {@code peer}, while the channel remembers it. */
    public static Optional<SentMessage> sentMessage(StoreTx tx, String peer, String id) {
        return tx.queryOne("SELECT state, enqueued_ms, settled_ms, fragment_count, lane FROM out_message WHERE peer = ? AND id = ?",
                row -> new SentMessage(row.getString(1), row.getLong(2), longOrNull(row, 3), row.getInt(4), row.getInt(5)),
                peer, id);
    }

    /** The files that carried message {@code id} to {@code peer}, by epoch and number. */
    public static List<MessageFile> filesOf(StoreTx tx, String peer, String id) {
        return tx.query("SELECT f.name, f.epoch, f.seq, f.state, f.attempts, f.first_sent_ms, f.last_sent_ms, f.settled_ms, f.size,"
                + " ff.fragment_index FROM out_file_frame ff JOIN out_file f ON f.peer = ff.peer AND f.epoch = ff.epoch"
                + " AND f.seq = ff.seq WHERE ff.peer = ? AND ff.message_id = ? ORDER BY f.epoch, f.seq",
                row -> new MessageFile(row.getString(1), row.getLong(2), row.getLong(3), row.getString(4), row.getInt(5),
                        longOrNull(row, 6), longOrNull(row, 7), longOrNull(row, 8), row.getLong(9), row.getInt(10)),
                peer, id);
    }

    /** The settled rows older than {@code cutoffMs} of {@code peer} (null: every peer), which gc deletes. */
    public static ChannelHousekeeping.SettledRows settledRows(StoreTx tx, long cutoffMs, String peer) {
        long frames = tx.queryLong("SELECT COUNT(*) " + ChannelHousekeeping.SETTLED_FRAMES, cutoffMs, peer, peer);
        long files = tx.queryLong("SELECT COUNT(*) " + ChannelHousekeeping.SETTLED_FILES, cutoffMs, peer, peer);
        long messages = tx.queryLong("SELECT COUNT(*) " + ChannelHousekeeping.SETTLED_MESSAGES, cutoffMs, peer, peer);
        return new ChannelHousekeeping.SettledRows(files, frames, messages);
    }

    // With no peer, "peer = ? OR ? IS NULL" matches every peer.
    private static final String OF_PEER = " AND (peer = ? OR ? IS NULL)";

    /** The unacknowledged backlog of {@code peer} (null: every peer). */
    public static Unacked unacked(StoreTx tx, String peer) {
        long files = tx.queryLong("SELECT COUNT(*) FROM out_file WHERE state IN ('sent', 'writing', 'open')" + OF_PEER, peer, peer);
        long messages = tx.queryLong("SELECT COUNT(*) FROM out_message WHERE state IN ('queued', 'sending', 'sent')" + OF_PEER,
                peer, peer);
        return new Unacked(files, messages);
    }

    /** Sent files first sent before {@code cutoffMs}, or holding a message queued before it. */
    public static List<LostFile> lostFiles(StoreTx tx, long cutoffMs, String peer) {
        return tx.query("SELECT peer, name, seq, state, size, first_sent_ms, attempts FROM out_file"
                + " WHERE state = 'sent' AND (first_sent_ms < ? OR EXISTS (SELECT 1 FROM out_file_frame ff JOIN out_message m"
                + " ON m.peer = ff.peer AND m.id = ff.message_id WHERE ff.peer = out_file.peer AND ff.epoch = out_file.epoch"
                + " AND ff.seq = out_file.seq AND m.state IN ('queued', 'sending', 'sent') AND m.enqueued_ms < ?))" + OF_PEER
                + " ORDER BY peer, epoch, seq", row -> new LostFile(row.getString(1), row.getString(2), row.getString(4),
                row.getLong(5), row.getLong(6), row.getInt(7)), cutoffMs, cutoffMs, peer, peer);
    }

    /** Unsettled messages queued before {@code cutoffMs}, or in a sent file first sent before it. */
    public static List<LostMessage> lostMessages(StoreTx tx, long cutoffMs, String peer) {
        return tx.query("SELECT peer, id, kind, state, body_length, enqueued_ms FROM out_message m"
                + " WHERE state IN ('queued', 'sending', 'sent') AND (enqueued_ms < ? OR EXISTS (SELECT 1 FROM out_file_frame ff"
                + " JOIN out_file f ON f.peer = ff.peer AND f.epoch = ff.epoch AND f.seq = ff.seq WHERE ff.peer = m.peer"
                + " AND ff.message_id = m.id AND f.state = 'sent' AND f.first_sent_ms < ?))" + OF_PEER
                + " ORDER BY peer, enqueued_ms", row -> new LostMessage(row.getString(1), row.getString(2), row.getString(3),
                row.getString(4), row.getLong(5), row.getLong(6)), cutoffMs, cutoffMs, peer, peer);
    }
}
