package io.hoft.transport.channel;

import io.hoft.transport.store.StoreTx;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * The sending side's tables for one peer ({@code out_message}, {@code out_file},
 * {@code out_file_frame}, {@code out_backlog}; see {@link ChannelSchema}): the only code that
 * reads or writes them while the node runs. Each method is one named statement run in the
 * caller's transaction, so the callers decide which statements share a transaction and in what
 * order; nothing here opens one.
 *
 * <p>Who changes {@code out_file} rows, and the rule that keeps them apart. The peer's lanes
 * ({@code hoft-send-PEER}, {@code hoft-bulk-PEER}) write files, mark them sent, resend, rebuild
 * and abandon them; the receivers ({@code hoft-receive}, {@code hoft-receive-bulk}) settle them
 * on acks and make them due on nacks; the layer above, on its own threads, reserves small
 * messages into {@code open} files and abandons the files of a cancelled growing message; and
 * {@code hoft spool gc}, from another process, expires sent ones. The rows were not given one
 * owning thread: an ack must settle its files in the transaction that records the file carrying
 * it (on the receiving thread), and a small call's reservation must be in the caller's own
 * transaction, so that one force covers it. Instead the store's lock serialises every
 * transaction, and a statement that moves a file on from a state read in an <em>earlier</em>
 * transaction names that state ({@link #markSent}: {@code open} or {@code writing}; {@link
 * #rebuildSent}, {@link #recordResend}, {@link #resendRangeNow}: {@code sent}), so a file settled
 * by another thread meanwhile is left as it is and the caller sees 0 rows changed. Acked and
 * abandoned files never change again: {@link #abandonFile}, which the resend step calls for an
 * expired file read in an earlier transaction, leaves a file acked meanwhile as it is.
 * The small lane marks {@code open} files taken in the transaction that reads their messages,
 * under the store's lock, so no reservation joins a file after it was read.
 */
final class OutgoingTables {
    private final String peer;
    private volatile long epoch;

    OutgoingTables(String peer) {
        this.peer = peer;
    }

    /** The sending epoch the file statements below name (set once the channel row is loaded). */
    long epoch() {
        return epoch;
    }

    void epoch(long epoch) {
        this.epoch = epoch;
    }

    // ---------------------------------------------------------------- records

    /** A queued or in-progress message as the lanes need it. */
    record OutRow(String id, String kind, long createdMs, long expiresMs, byte[] meta, byte[] inline,
            String bodyName, long bodyLength, int fragmentCount, long fragmentSize, int fragmentsWritten) {

        static OutRow map(ResultSet row) throws SQLException {
            return new OutRow(row.getString("id"), row.getString("kind"), row.getLong("created_ms"),
                    row.getLong("expires_ms"), row.getBytes("meta"), row.getBytes("body_inline"),
                    row.getString("body_name"), row.getLong("body_length"), row.getInt("fragment_count"),
                    row.getLong("fragment_size"), row.getInt("fragments_written"));
        }
    }

    /** A message to write next on the bulk lane, and whether its body still grows. */
    record BulkCandidate(OutRow row, boolean growing) {}

    /** One message (or fragment, {@code fragmentIndex >= 0}) of a reserved file. */
    record Member(OutRow row, int fragmentIndex) {}

    /** A file's number and name ({@code ""} until written). */
    record FileRef(long seq, String name) {}

    /** What a message in a file is: a whole message ({@code fragmentIndex < 0}) or one fragment. */
    record FrameRef(String messageId, int fragmentIndex) {}

    /** An unsettled message's body, released when it settles. */
    record BodyRef(String bodyName, long bodyLength) {}

    /** The peer's queue and the node's spool total the send limits are checked against. */
    record Backlog(long messages, long bytes, long allPeersBytes) {}

    /** The newest {@code open} file of the small lane: its size so far and how many frames it holds. */
    record OpenFile(long seq, long size, long frames) {}

    /** A lane's unacknowledged files. */
    record InFlight(long files, long bytes) {}

    /** A stored file due for a resend. */
    record DueFile(long seq, String name, long expiresMs, int attempts, Long keysExpireMs) {}

    /** The counts the health report shows for the peer. */
    record Health(long queuedMessages, long unackedFiles, long unackedBytes, long oldestUnackedMs) {}

    private static final String OUT_ROW_COLUMNS = "id, kind, created_ms, expires_ms, meta, body_inline, body_name,"
            + " body_length, fragment_count, fragment_size, fragments_written";

    private static String prefixed(String alias) {
        return alias + OUT_ROW_COLUMNS.replace(", ", ", " + alias);
    }

    // ---------------------------------------------------------------- out_backlog

    void createBacklogIfAbsent(StoreTx tx) {
        tx.update("INSERT OR IGNORE INTO out_backlog (peer, messages, bytes) VALUES (?, 0, 0)", peer);
    }

    Backlog backlog(StoreTx tx) {
        return tx.queryOne("SELECT messages, bytes, (SELECT COALESCE(SUM(bytes), 0) FROM out_backlog) FROM out_backlog"
                + " WHERE peer = ?", row -> new Backlog(row.getLong(1), row.getLong(2), row.getLong(3)), peer).orElseThrow();
    }

    void addToBacklog(StoreTx tx, long bytes) {
        tx.update("UPDATE out_backlog SET messages = messages + 1, bytes = bytes + ? WHERE peer = ?", bytes, peer);
    }

    void removeFromBacklog(StoreTx tx, long bytes) {
        tx.update("UPDATE out_backlog SET messages = messages - 1, bytes = bytes - ? WHERE peer = ?", bytes, peer);
    }

    // ---------------------------------------------------------------- out_message

    /** Stores an accepted message; false if one with its id was already sent to the peer. */
    boolean insertMessage(StoreTx tx, String id, String kind, long createdMs, long expiresMs, byte[] meta, byte[] inlineBody,
            String bodyName, long length, int lane, String state, long fragments, long fragmentSize, int fragmentsWritten,
            long nowMs) {
        return tx.update("INSERT OR IGNORE INTO out_message (peer, id, kind, created_ms, expires_ms, meta,"
                        + " body_inline, body_name, body_length, lane, state, fragment_count, fragment_size,"
                        + " fragments_written, fragments_acked, enqueued_ms)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                peer, id, kind, createdMs, expiresMs, meta, inlineBody, bodyName, length, lane, state, fragments, fragmentSize,
                fragmentsWritten, nowMs) > 0;
    }

    List<String> growingIds(StoreTx tx) {
        return tx.query("SELECT id FROM out_message WHERE peer = ? AND state = 'growing'", row -> row.getString(1), peer);
    }

    /** A growing message becomes queued (or sending, once a fragment was written); false if it no longer grows. */
    boolean completeGrowing(StoreTx tx, String id) {
        return tx.update("UPDATE out_message SET state = CASE WHEN fragments_written = 0 THEN 'queued' ELSE 'sending' END"
                + " WHERE peer = ? AND id = ? AND state = 'growing'", peer, id) == 1;
    }

    Optional<BodyRef> growingBody(StoreTx tx, String id) {
        return tx.queryOne("SELECT body_name, body_length FROM out_message WHERE peer = ? AND id = ?"
                + " AND state = 'growing'", r -> new BodyRef(r.getString(1), r.getLong(2)), peer, id);
    }

    Optional<BodyRef> unsettledBody(StoreTx tx, String id) {
        return tx.queryOne("SELECT body_name, body_length FROM out_message WHERE peer = ? AND id = ?"
                + " AND state NOT IN ('acked', 'expired')", r -> new BodyRef(r.getString(1), r.getLong(2)), peer, id);
    }

    void expireGrowing(StoreTx tx, String id, long nowMs) {
        tx.update("UPDATE out_message SET state = 'expired', settled_ms = ? WHERE peer = ? AND id = ?", nowMs, peer, id);
    }

    /** Settles a message as {@code outcome} ({@code acked} or {@code expired}). */
    void settleMessage(StoreTx tx, String id, String outcome, long nowMs) {
        tx.update("UPDATE out_message SET state = ?, settled_ms = ? WHERE peer = ? AND id = ?", outcome, nowMs, peer, id);
    }

    boolean anyQueued(StoreTx tx, int lane) {
        return tx.queryOne("SELECT 1 FROM out_message WHERE peer = ? AND lane = ? AND state = 'queued' LIMIT 1",
                row -> true, peer, lane).isPresent();
    }

    List<OutRow> queued(StoreTx tx, int lane, int limit) {
        return tx.query("SELECT " + OUT_ROW_COLUMNS
                + " FROM out_message WHERE peer = ? AND lane = ? AND state = 'queued' ORDER BY enqueued_ms, rowid LIMIT ?",
                OutRow::map, peer, lane, limit);
    }

    long oldestQueuedMs(StoreTx tx, int lane) {
        return tx.queryLong("SELECT MIN(enqueued_ms) FROM out_message WHERE peer = ? AND lane = ? AND state = 'queued'",
                peer, lane);
    }

    List<BulkCandidate> bulkCandidates(StoreTx tx, int lane, long nowMs) {
        return tx.query("SELECT " + OUT_ROW_COLUMNS
                + ", state FROM out_message WHERE peer = ? AND lane = ? AND state IN ('queued', 'sending', 'growing')"
                + " AND expires_ms >= ? ORDER BY enqueued_ms, rowid LIMIT 32",
                row -> new BulkCandidate(OutRow.map(row), row.getString("state").equals("growing")), peer, lane, nowMs);
    }

    List<String> expiredUnwritten(StoreTx tx, long nowMs) {
        return tx.query("SELECT id FROM out_message WHERE peer = ? AND lane IN (0, 1)"
                + " AND state IN ('queued', 'sending') AND expires_ms < ?", row -> row.getString(1), peer, nowMs);
    }

    /** A whole message is in a file now; false if it was no longer queued or sending. */
    boolean markWholeWritten(StoreTx tx, String id) {
        return tx.update("UPDATE out_message SET state = 'sent', fragments_written = 1 WHERE peer = ? AND id = ?"
                + " AND fragments_written = 0 AND state IN ('queued', 'sending')", peer, id) > 0;
    }

    /** Fragment {@code index} of a message is in a file now; false if the message moved on since it was read. */
    boolean markFragmentWritten(StoreTx tx, String id, int index, boolean last) {
        return tx.update("UPDATE out_message SET state = CASE WHEN ? THEN 'sent' WHEN state = 'growing' THEN 'growing'"
                + " ELSE 'sending' END, fragments_written = ? WHERE peer = ? AND id = ? AND fragments_written = ?"
                + " AND state IN ('queued', 'sending', 'growing')", last ? 1 : 0, index + 1, peer, id, index) > 0;
    }

    void countFragmentAcked(StoreTx tx, String id) {
        tx.update("UPDATE out_message SET fragments_acked = fragments_acked + 1 WHERE peer = ? AND id = ?", peer, id);
    }

    long fragmentsUnacked(StoreTx tx, String id) {
        return tx.queryLong("SELECT fragment_count - fragments_acked FROM out_message WHERE peer = ? AND id = ?", peer, id);
    }

    // ---------------------------------------------------------------- out_file and out_file_frame

    /** Files still {@code open} after a stop are written like interrupted ones. */
    void reopenOpenFiles(StoreTx tx) {
        tx.update("UPDATE out_file SET state = 'writing' WHERE peer = ? AND state = 'open'", peer);
    }

    /** Every unacknowledged file is to be rebuilt; returns how many. */
    int rebuildAllSent(StoreTx tx) {
        return tx.update("UPDATE out_file SET state = 'writing' WHERE peer = ? AND state = 'sent'", peer);
    }

    void resendAllNow(StoreTx tx, long nowMs) {
        tx.update("UPDATE out_file SET next_resend_ms = ? WHERE peer = ? AND state = 'sent'", nowMs, peer);
    }

    /** The names of the files the sender's store may hold. */
    List<String> storedNames(StoreTx tx) {
        return tx.query("SELECT name FROM out_file WHERE peer = ? AND state IN ('sent', 'writing')", row -> row.getString(1),
                peer);
    }

    /** The unacknowledged files that hold (a fragment of) message {@code id}. */
    List<FileRef> unackedFilesOf(StoreTx tx, String id) {
        return tx.query("SELECT f.seq, f.name FROM out_file f JOIN out_file_frame m ON m.peer = f.peer"
                + " AND m.epoch = f.epoch AND m.seq = f.seq WHERE f.peer = ? AND f.epoch = ? AND m.message_id = ?"
                + " AND f.state IN ('sent', 'writing')", r -> new FileRef(r.getLong(1), r.getString(2)), peer, epoch, id);
    }

    Optional<OpenFile> newestOpen(StoreTx tx, int lane) {
        return tx.queryOne("SELECT seq, size, (SELECT COUNT(*) FROM out_file_frame m WHERE m.peer = f.peer"
                        + " AND m.epoch = f.epoch AND m.seq = f.seq) FROM out_file f WHERE peer = ? AND epoch = ? AND lane = ?"
                        + " AND state = 'open' ORDER BY seq DESC LIMIT 1",
                row -> new OpenFile(row.getLong(1), row.getLong(2), row.getLong(3)), peer, epoch, lane);
    }

    void growOpen(StoreTx tx, long seq, long frameBytes, long expiresMs) {
        tx.update("UPDATE out_file SET size = size + ?, expires_ms = MAX(expires_ms, ?) WHERE peer = ? AND epoch = ?"
                + " AND seq = ?", frameBytes, expiresMs, peer, epoch, seq);
    }

    void insertOpen(StoreTx tx, long seq, int lane, long frameBytes, long expiresMs) {
        tx.update("INSERT INTO out_file (peer, epoch, seq, name, lane, size, expires_ms, state, attempts)"
                + " VALUES (?, ?, ?, '', ?, ?, ?, 'open', 0)", peer, epoch, seq, lane, frameBytes, expiresMs);
    }

    void insertWriting(StoreTx tx, long seq, int lane, long expiresMs) {
        tx.update("INSERT INTO out_file (peer, epoch, seq, name, lane, size, expires_ms, state, attempts)"
                + " VALUES (?, ?, ?, '', ?, 0, ?, 'writing', 0)", peer, epoch, seq, lane, expiresMs);
    }

    void insertFrame(StoreTx tx, long seq, String messageId, int fragmentIndex) {
        tx.update("INSERT INTO out_file_frame (peer, epoch, seq, message_id, fragment_index) VALUES (?, ?, ?, ?, ?)",
                peer, epoch, seq, messageId, fragmentIndex);
    }

    /** Records a small message reserved into an open file (a whole message: fragment index -1). */
    void insertWholeFrame(StoreTx tx, long seq, String messageId) {
        tx.update("INSERT INTO out_file_frame (peer, epoch, seq, message_id, fragment_index) VALUES (?, ?, ?, ?, -1)",
                peer, epoch, seq, messageId);
    }

    InFlight inFlight(StoreTx tx, int lane) {
        return tx.queryOne(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM out_file WHERE peer = ? AND epoch = ? AND lane = ?"
                        + " AND state IN ('sent', 'writing', 'open')",
                row -> new InFlight(row.getLong(1), row.getLong(2)), peer, epoch, lane).orElseThrow();
    }

    List<Long> openSeqs(StoreTx tx, int lane) {
        return tx.query("SELECT seq FROM out_file WHERE peer = ? AND epoch = ? AND lane = ? AND state = 'open'"
                + " ORDER BY seq", row -> row.getLong(1), peer, epoch, lane);
    }

    List<Long> writingSeqs(StoreTx tx, int lane) {
        return tx.query("SELECT seq FROM out_file WHERE peer = ?"
                + " AND epoch = ? AND lane = ? AND state = 'writing' ORDER BY seq", row -> row.getLong(1), peer, epoch, lane);
    }

    boolean isWriting(StoreTx tx, long seq) {
        return tx.queryOne("SELECT 1 FROM out_file WHERE peer = ? AND epoch = ?"
                + " AND seq = ? AND state = 'writing'", row -> true, peer, epoch, seq).isPresent();
    }

    /** The messages (or fragments) of the reserved file {@code seq}, in the order they joined it. */
    List<Member> members(StoreTx tx, long seq) {
        return tx.query("SELECT " + prefixed("m.")
                        + ", f.fragment_index FROM out_file_frame f JOIN out_message m ON m.peer = f.peer AND m.id = f.message_id"
                        + " WHERE f.peer = ? AND f.epoch = ? AND f.seq = ? ORDER BY f.rowid",
                row -> new Member(OutRow.map(row), row.getInt("fragment_index")), peer, epoch, seq);
    }

    List<FrameRef> frames(StoreTx tx, long seq) {
        return tx.query("SELECT message_id, fragment_index FROM out_file_frame WHERE peer = ?"
                + " AND epoch = ? AND seq = ?", row -> new FrameRef(row.getString(1), row.getInt(2)), peer, epoch, seq);
    }

    /** Marks a written file sent; 0 if it was no longer {@code open} or {@code writing} (acknowledged meanwhile). */
    int markSent(StoreTx tx, long seq, String name, long size, long nowMs, long nextResendMs, Long keysExpireMs) {
        return tx.update("UPDATE out_file SET name = ?, size = ?,"
                        + " state = 'sent', attempts = 1, first_sent_ms = ?, last_sent_ms = ?, next_resend_ms = ?,"
                        + " keys_expire_ms = ? WHERE peer = ? AND epoch = ? AND seq = ? AND state IN ('open', 'writing')",
                name, size, nowMs, nowMs, nextResendMs, keysExpireMs, peer, epoch, seq);
    }

    /** The earliest resend time of the lane's sent files, or -1. */
    long nextResendMs(StoreTx tx, int lane) {
        return tx.queryOne("SELECT MIN(next_resend_ms) FROM out_file WHERE peer = ?"
                + " AND epoch = ? AND lane = ? AND state = 'sent'", row -> row.getObject(1) == null ? -1L : row.getLong(1),
                peer, epoch, lane).orElse(-1L);
    }

    List<DueFile> dueForResend(StoreTx tx, int lane, long nowMs) {
        return tx.query("SELECT seq, name, expires_ms, attempts,"
                + " keys_expire_ms FROM out_file WHERE peer = ? AND epoch = ? AND lane = ? AND state = 'sent'"
                + " AND next_resend_ms <= ? ORDER BY seq LIMIT 500",
                row -> new DueFile(row.getLong(1), row.getString(2), row.getLong(3), row.getInt(4),
                        row.getObject(5) == null ? null : row.getLong(5)),
                peer, epoch, lane, nowMs);
    }

    /** A sent file is to be rebuilt; 0 if it is no longer {@code sent}. */
    int rebuildSent(StoreTx tx, long seq) {
        return tx.update("UPDATE out_file SET state = 'writing'"
                + " WHERE peer = ? AND epoch = ? AND seq = ? AND state = 'sent'", peer, epoch, seq);
    }

    /** Records a resend of a sent file; 0 if it is no longer {@code sent}. */
    int recordResend(StoreTx tx, long seq, int attempts, long nowMs, long nextResendMs) {
        return tx.update("UPDATE out_file SET attempts = ?, last_sent_ms = ?,"
                + " next_resend_ms = ? WHERE peer = ? AND epoch = ? AND seq = ? AND state = 'sent'", attempts, nowMs,
                nextResendMs, peer, epoch, seq);
    }

    /** Abandons file {@code seq}; false, leaving it as it is, when it was settled meanwhile. */
    boolean abandonFile(StoreTx tx, long seq, long nowMs) {
        return tx.update("UPDATE out_file SET state = 'abandoned', settled_ms = ? WHERE peer = ? AND epoch = ? AND seq = ?"
                + " AND state NOT IN ('acked', 'abandoned')", nowMs, peer, epoch, seq) > 0;
    }

    /** The messages of file {@code seq} not yet settled. */
    List<String> unsettledMessagesOf(StoreTx tx, long seq) {
        return tx.query("SELECT f.message_id FROM out_file_frame f JOIN out_message m"
                + " ON m.peer = f.peer AND m.id = f.message_id WHERE f.peer = ? AND f.epoch = ? AND f.seq = ?"
                + " AND m.state NOT IN ('acked', 'expired')", row -> row.getString(1), peer, epoch, seq);
    }

    /** The unacknowledged files an ack up to {@code highest} may name. */
    List<FileRef> ackable(StoreTx tx, long highest) {
        return tx.query("SELECT seq, name FROM out_file WHERE peer = ? AND epoch = ? AND lane IN (0, 1)"
                + " AND state IN ('sent', 'writing') AND seq <= ?", row -> new FileRef(row.getLong(1), row.getString(2)),
                peer, epoch, highest);
    }

    void ackFile(StoreTx tx, long seq, long nowMs) {
        tx.update("UPDATE out_file SET state = 'acked', settled_ms = ? WHERE peer = ? AND epoch = ? AND seq = ?",
                nowMs, peer, epoch, seq);
    }

    /** Makes sent files in {@code first..last} not sent since {@code quietSince} due now; returns how many. */
    int resendRangeNow(StoreTx tx, long first, long last, long quietSince, long nowMs) {
        return tx.update("UPDATE out_file SET next_resend_ms = ? WHERE peer = ? AND epoch = ? AND state = 'sent'"
                + " AND seq BETWEEN ? AND ? AND last_sent_ms <= ?", nowMs, peer, epoch, first, last, quietSince);
    }

    /** The lowest number the peer must still wait for, or {@code next} when nothing is unacknowledged. */
    long floor(StoreTx tx, long next) {
        return tx.queryOne("SELECT MIN(seq) FROM out_file WHERE peer = ? AND epoch = ? AND lane IN (0, 1)"
                        + " AND state IN ('sent', 'writing', 'open')",
                row -> row.getObject(1) == null ? next : row.getLong(1), peer, epoch).orElse(next);
    }

    /** What {@link Transport#health} reports, in the statements it always ran. */
    Health health(StoreTx tx) {
        return new Health(
                tx.queryLong("SELECT COUNT(*) FROM out_message WHERE peer = ? AND lane IN (0, 1)"
                        + " AND state IN ('queued', 'sending', 'growing')", peer),
                tx.queryLong("SELECT COUNT(*) FROM out_file WHERE peer = ? AND state = 'sent'", peer),
                tx.queryLong("SELECT COALESCE(SUM(size), 0) FROM out_file WHERE peer = ? AND state = 'sent'", peer),
                tx.queryLong("SELECT COALESCE(MIN(first_sent_ms), 0) FROM out_file WHERE peer = ? AND state = 'sent'", peer));
    }
}
