package io.hoft.transport.channel;

import io.hoft.transport.store.StoreTx;
import java.util.List;
import java.util.Optional;

/**
 * The receiving side's tables ({@code in_message}, {@code in_reassembly}, {@code in_fragment};
 * see {@link ChannelSchema}): the only code that reads or writes them while the node runs. Each
 * method is one statement in the caller's transaction. Written by the receivers ({@code
 * hoft-receive}, {@code hoft-receive-bulk}) and pruned by {@code hoft-maintenance}; the store's
 * lock serialises them, and every write is keyed by (peer, id), so a message is recorded once
 * whichever receiver sees it first.
 */
final class IncomingTables {
    private IncomingTables() {
    }

    /** The message a fragment belongs to, as its first fragment recorded it. */
    record Reassembly(long fragmentCount, long totalLength) {}

    /** A partial message past its expiry, with the body file its fragments went to. */
    record ExpiredPartial(String peer, String id, String bodyName) {}

    /** Whether a message with this id was received (delivered or expired) from the peer. */
    static boolean received(StoreTx tx, String peer, String id) {
        return tx.queryLong("SELECT COUNT(*) FROM in_message WHERE peer = ? AND id = ?", peer, id) > 0;
    }

    /** Records a received message as {@code outcome} ({@code delivered} or {@code expired}). */
    static void recordMessage(StoreTx tx, String peer, String id, String kind, String outcome, long nowMs, long expiresMs) {
        tx.update("INSERT INTO in_message (peer, id, kind, outcome, received_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)",
                peer, id, kind, outcome, nowMs, expiresMs);
    }

    /** Records a message of an expired file as expired, unless its id is known already. */
    static void recordExpiredIfAbsent(StoreTx tx, String peer, String id, String kind, long nowMs, long expiresMs) {
        tx.update("INSERT OR IGNORE INTO in_message (peer, id, kind, outcome, received_ms, expires_ms)"
                + " VALUES (?, ?, ?, 'expired', ?, ?)", peer, id, kind, nowMs, expiresMs);
    }

    static Optional<Reassembly> reassembly(StoreTx tx, String peer, String id) {
        return tx.queryOne("SELECT fragment_count, total_length FROM in_reassembly WHERE peer = ? AND id = ?",
                row -> new Reassembly(row.getLong(1), row.getLong(2)), peer, id);
    }

    static void startReassembly(StoreTx tx, String peer, String id, String kind, long createdMs, long expiresMs, byte[] meta,
            long fragmentCount, long totalLength, String bodyName) {
        tx.update("INSERT INTO in_reassembly (peer, id, kind, created_ms, expires_ms, meta, fragment_count, total_length,"
                        + " body_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                peer, id, kind, createdMs, expiresMs, meta, fragmentCount, totalLength, bodyName);
    }

    /** Records fragment {@code index} of a message, once. */
    static void recordFragment(StoreTx tx, String peer, String id, int index) {
        tx.update("INSERT OR IGNORE INTO in_fragment (peer, id, fragment_index) VALUES (?, ?, ?)", peer, id, index);
    }

    static long fragmentsIn(StoreTx tx, String peer, String id) {
        return tx.queryLong("SELECT COUNT(*) FROM in_fragment WHERE peer = ? AND id = ?", peer, id);
    }

    static byte[] reassemblyMeta(StoreTx tx, String peer, String id) {
        return tx.queryOne("SELECT meta FROM in_reassembly WHERE peer = ? AND id = ?", row -> row.getBytes(1), peer, id)
                .orElseThrow();
    }

    /** Forgets a partial message: its fragments, then its row. */
    static void endReassembly(StoreTx tx, String peer, String id) {
        tx.update("DELETE FROM in_fragment WHERE peer = ? AND id = ?", peer, id);
        tx.update("DELETE FROM in_reassembly WHERE peer = ? AND id = ?", peer, id);
    }

    static long partialMessages(StoreTx tx, String peer) {
        return tx.queryLong("SELECT COUNT(*) FROM in_reassembly WHERE peer = ?", peer);
    }

    /** Forgets received ids that expired before {@code beforeMs} (the dedupe grace is the caller's). */
    static void pruneReceived(StoreTx tx, long beforeMs) {
        tx.update("DELETE FROM in_message WHERE expires_ms < ?", beforeMs);
    }

    static List<ExpiredPartial> expiredPartials(StoreTx tx, long nowMs) {
        return tx.query("SELECT peer, id, body_name FROM in_reassembly WHERE expires_ms < ?",
                row -> new ExpiredPartial(row.getString(1), row.getString(2), row.getString(3)), nowMs);
    }
}
