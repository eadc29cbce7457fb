package io.hoft.back;

import io.hoft.transport.channel.TransportMetrics;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.CallError;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.BodyFiles;
import io.hoft.transport.store.StoreTx;
import java.io.IOException;
import java.io.InputStream;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Every read and write of {@link BackSchema}'s tables. Methods take the caller's transaction,
 * so that a state change commits together with the message it causes, or not at all. The back
 * changes them through the package's operations; {@code hoft spool} reads {@code back_request}
 * through the public read-only view ({@link #TABLE}, {@link #view}, {@link #views},
 * {@link #countsByState}, {@link #countOpen}, {@link #oldestOpenReceivedMs}), which also reads
 * the table of an older node, whose rows lack the columns of later schema steps.
 */
public final class RequestStore {
    /** The requests' table, for a reader that checks whether a node has it (a node whose back never ran has not). */
    public static final String TABLE = "back_request";

    private final BodyFiles bodies;
    private final long retentionMs;

    RequestStore(BodyFiles bodies, long retentionMs) {
        this.bodies = bodies;
        this.retentionMs = retentionMs;
    }

    /** What {@link #record} found. */
    enum Recorded {
        /** A request id not seen before: recorded, queued for its call. */
        NEW,
        /** A later attempt of a request whose callee was never reached: the record is replaced, queued for a call. */
        ATTEMPT,
        /** Seen before (a repeated message, or an attempt that may not call again): answered from the record. */
        DUPLICATE
    }

    /**
     * Records a delivered request, or, if its request id is known, counts the duplicate and owes
     * {@code peer} the recorded answer (at once if there is one, else when it comes; nothing
     * more when the same peer asks again before the answer exists, since the answer goes to it).
     *
     * <p>A later attempt ({@link Envelope.Request#attempt()} above the recorded one) of a known
     * request becomes the message the answer is addressed to. It is called only if the record
     * proves the callee was never reached: answered, never marked {@code calling}, with an error
     * {@link CallError#notCalled}; then, in this transaction, the record is
     * replaced by the new attempt (request, expiry, queued, no answer) and the old answer is
     * dropped. Otherwise it gets the recorded answer, now or when it exists, and no call.
     */
    Recorded record(StoreTx tx, NodeId peer, Message message, Supplier<Optional<String>> claimBody, TransportMetrics metrics,
            long nowMs) throws IOException {
        Envelope.Request request = (Envelope.Request) message.envelope();
        String id = request.requestIdOr(message.id()).value();
        String messageId = message.id().value().equals(id) ? null : message.id().value();
        Optional<Known> existing = tx.queryOne("SELECT state, peer, attempt, calling_ms IS NOT NULL, error, response_name"
                        + " FROM back_request WHERE id = ?",
                row -> new Known(row.getString(1), row.getString(2), row.getInt(3), row.getBoolean(4), row.getString(5),
                        row.getString(6)), id);
        if (existing.isPresent()) {
            Known known = existing.get();
            boolean later = request.attempt() > known.attempt();
            if (later && known.state().equals("responded") && !known.called() && CallError.provesNotCalled(known.error())) {
                KeptBody body = keepBody(message, claimBody);
                if (known.responseName() != null) {
                    bodies.release(tx, known.responseName());
                }
                tx.update("DELETE FROM back_reply WHERE request_id = ?", id);
                tx.update("UPDATE back_request SET peer = ?, state = 'queued', attempt = ?, message_id = ?, upstream = ?, method = ?,"
                                + " target = ?, headers = ?, body_inline = ?, body_name = ?, body_length = ?, created_ms = ?,"
                                + " expires_ms = ?, received_ms = ?, calling_ms = NULL, responded_ms = NULL, connect_attempts = 0,"
                                + " status = NULL, reason = NULL, response_headers = NULL, error = NULL, response_inline = NULL,"
                                + " response_name = NULL, response_length = NULL, purge_after_ms = ? WHERE id = ?",
                        peer.value(), request.attempt(), messageId, request.upstream(), request.method(), request.target(),
                        HeaderJson.encode(request.headers()), body.inline(), body.name(), message.body().length(),
                        message.created().toEpochMilli(), message.expires().toEpochMilli(), nowMs,
                        Math.max(message.expires().toEpochMilli() + retentionMs, nowMs), id);
                metrics.increment("hoft_back_attempts_total", "upstream", request.upstream());
                return Recorded.ATTEMPT;
            }
            tx.update("UPDATE back_request SET duplicates = duplicates + 1 WHERE id = ?", id);
            metrics.increment("hoft_back_duplicates_total", "peer", peer.value());
            if (later) {
                // The answer, recorded or to come, is addressed to the newest attempt the front sent.
                tx.update("UPDATE back_request SET attempt = ?, message_id = ? WHERE id = ?", request.attempt(), messageId, id);
            }
            if (known.state().equals("responded") || !known.peer().equals(peer.value())) {
                tx.update("INSERT OR IGNORE INTO back_reply (request_id, peer, due_ms) VALUES (?, ?, ?)", id, peer.value(), nowMs);
            }
            return Recorded.DUPLICATE;
        }
        KeptBody body = keepBody(message, claimBody);
        tx.update("INSERT INTO back_request (id, peer, state, upstream, method, target, headers, body_inline, body_name,"
                        + " body_length, created_ms, expires_ms, received_ms, purge_after_ms, attempt, message_id)"
                        + " VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                id, peer.value(), request.upstream(), request.method(), request.target(), HeaderJson.encode(request.headers()),
                body.inline(), body.name(), message.body().length(), message.created().toEpochMilli(),
                message.expires().toEpochMilli(), nowMs, message.expires().toEpochMilli() + retentionMs, request.attempt(),
                messageId);
        metrics.increment("hoft_back_requests_total", "upstream", request.upstream());
        return Recorded.NEW;
    }

    /** A known request as {@link #record} sees it. */
    private record Known(String state, String peer, int attempt, boolean called, String error, String responseName) {}

    /** A request body as recorded: a claimed body file, or the bytes of a small one (both null when empty). */
    private record KeptBody(byte[] inline, String name) {}

    private static KeptBody keepBody(Message message, Supplier<Optional<String>> claimBody) throws IOException {
        Optional<String> claimed = claimBody.get();
        if (claimed.isPresent()) {
            return new KeptBody(null, claimed.get());
        }
        if (message.body().length() > 0) {
            try (InputStream in = message.body().open()) {
                return new KeptBody(in.readAllBytes(), null);
            }
        }
        return new KeptBody(null, null);
    }

    static String requestBodyOwner(MessageId id) {
        return "back:request:" + id;
    }

    static String responseBodyOwner(MessageId id) {
        return "back:response:" + id;
    }

    /** A queued request waiting for a call: what the dispatcher needs to place it. */
    record Queued(MessageId id, String upstream, String method, String target, long expiresMs) {}

    /**
     * The oldest queued requests naming {@code upstream}, in the order they arrived. Requests
     * delivered together share {@code received_ms}; the row id then keeps their arrival order
     * (request ids are random within a millisecond, so they cannot).
     */
    List<Queued> queued(StoreTx tx, String upstream, int limit) {
        return tx.query("SELECT id, upstream, method, target, expires_ms FROM back_request WHERE state = 'queued' AND upstream = ?"
                + " ORDER BY received_ms, rowid LIMIT ?", RequestStore::queuedRow, upstream, limit);
    }

    /** The oldest queued requests naming none of {@code known}, or expired by {@code nowMs}. */
    List<Queued> queuedUnknownOrExpired(StoreTx tx, List<String> known, long nowMs, int limit) {
        String placeholders = String.join(", ", java.util.Collections.nCopies(known.size(), "?"));
        Object[] args = new Object[known.size() + 2];
        args[0] = nowMs;
        for (int i = 0; i < known.size(); i++) {
            args[i + 1] = known.get(i);
        }
        args[args.length - 1] = limit;
        return tx.query("SELECT id, upstream, method, target, expires_ms FROM back_request WHERE state = 'queued'"
                + " AND (expires_ms <= ? OR upstream NOT IN (" + placeholders + ")) ORDER BY received_ms, rowid LIMIT ?",
                RequestStore::queuedRow, args);
    }

    private static Queued queuedRow(java.sql.ResultSet row) throws java.sql.SQLException {
        return new Queued(MessageId.of(row.getString(1)), row.getString(2), row.getString(3), row.getString(4), row.getLong(5));
    }

    /**
     * A request as the command line shows it: the request as received, when it moved, its
     * answer (null until there is one), how often it came again and how many connections the
     * call tried.
     */
    public record CallView(StoredRequest request, long receivedMs, Long callingMs, Long respondedMs, RecordedResponse answer,
            long duplicates, long connectAttempts, int attempt) {}

    /** The request {@code id}, read-only. */
    public static Optional<CallView> view(StoreTx tx, String id) {
        return tx.queryOne("SELECT * FROM back_request WHERE id = ?", RequestStore::callView, id);
    }

    /**
     * Requests, newest first, in the given states (all if empty), received at or after
     * {@code sinceMs} (if not null), at most {@code limit} (all if 0).
     */
    public static List<CallView> views(StoreTx tx, List<String> states, Long sinceMs, int limit) {
        List<Object> args = new ArrayList<>(states);
        String where = states.isEmpty() ? "" : " AND state IN (" + String.join(", ", Collections.nCopies(states.size(), "?")) + ")";
        if (sinceMs != null) {
            where += " AND received_ms >= ?";
            args.add(sinceMs);
        }
        return tx.query("SELECT * FROM back_request WHERE 1 = 1" + where + " ORDER BY received_ms DESC, id DESC"
                + (limit > 0 ? " LIMIT " + limit : ""), RequestStore::callView, args.toArray());
    }

    /** Requests per state, in the order of the state's name. */
    public static Map<String, Long> countsByState(StoreTx tx) {
        Map<String, Long> counts = new LinkedHashMap<>();
        tx.query("SELECT state, COUNT(*) FROM back_request GROUP BY state ORDER BY state",
                row -> counts.put(row.getString(1), row.getLong(2)));
        return counts;
    }

    /** Requests not answered yet: queued or calling. */
    public static long countOpen(StoreTx tx) {
        return tx.queryLong("SELECT COUNT(*) FROM back_request WHERE state IN ('queued', 'calling')");
    }

    /** When the oldest unanswered request was received (epoch ms), 0 if none is open. */
    public static long oldestOpenReceivedMs(StoreTx tx) {
        return tx.queryLong("SELECT COALESCE(MIN(received_ms), 0) FROM back_request WHERE state IN ('queued', 'calling')");
    }

    private static CallView callView(ResultSet row) throws SQLException {
        StoredRequest request = new StoredRequest(MessageId.of(row.getString("id")), NodeId.of(row.getString("peer")),
                row.getString("state"), row.getString("upstream"), row.getString("method"), row.getString("target"),
                HeaderJson.decode(row.getString("headers")), row.getBytes("body_inline"), row.getString("body_name"),
                row.getLong("body_length"), row.getLong("expires_ms"));
        RecordedResponse answer = row.getObject("status") == null ? null : new RecordedResponse(row.getInt("status"),
                row.getString("reason"), HeaderJson.decode(row.getString("response_headers")), row.getString("error"),
                row.getBytes("response_inline"), row.getString("response_name"), row.getLong("response_length"));
        return new CallView(request, row.getLong("received_ms"), nullableLong(row, "calling_ms"),
                nullableLong(row, "responded_ms"), answer, row.getLong("duplicates"), row.getLong("connect_attempts"),
                hasAttempts(row) ? row.getInt("attempt") : 1);
    }

    /** Whether the row has schema step 2's {@code attempt}. */
    private static boolean hasAttempts(ResultSet row) throws SQLException {
        ResultSetMetaData meta = row.getMetaData();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
            if (meta.getColumnName(i).equalsIgnoreCase("attempt")) {
                return true;
            }
        }
        return false;
    }

    private static Long nullableLong(ResultSet row, String column) throws SQLException {
        long value = row.getLong(column);
        return row.wasNull() ? null : value;
    }

    /** Ids of requests whose call had started: after a restart their outcome is unknown. */
    List<MessageId> calling(StoreTx tx) {
        return tx.query("SELECT id FROM back_request WHERE state = 'calling' ORDER BY received_ms, rowid",
                row -> MessageId.of(row.getString(1)));
    }

    Optional<StoredRequest> load(StoreTx tx, MessageId id) {
        return tx.queryOne("SELECT id, peer, state, upstream, method, target, headers, body_inline, body_name, body_length,"
                + " expires_ms FROM back_request WHERE id = ?", row -> new StoredRequest(MessageId.of(row.getString(1)),
                NodeId.of(row.getString(2)), row.getString(3), row.getString(4), row.getString(5), row.getString(6),
                HeaderJson.decode(row.getString(7)), row.getBytes(8), row.getString(9), row.getLong(10), row.getLong(11)), id.value());
    }

    /**
     * Moves a queued, unexpired request to {@code calling}; false if it is not queued any more or
     * has expired (then it must not be called).
     */
    boolean markCalling(StoreTx tx, MessageId id, int connectAttempts, long nowMs) {
        return tx.update("UPDATE back_request SET state = 'calling', calling_ms = ?, connect_attempts = ?"
                + " WHERE id = ? AND state = 'queued' AND expires_ms > ?", nowMs, connectAttempts, id.value(), nowMs) == 1;
    }

    /** True if the request's call has started and its answer is not recorded yet. */
    boolean isCalling(StoreTx tx, MessageId id) {
        return tx.queryLong("SELECT COUNT(*) FROM back_request WHERE id = ? AND state = 'calling'", id.value()) > 0;
    }

    /** Counts connection attempts of a call that never reached {@code calling} (of a request still queued). */
    void countAttempts(StoreTx tx, MessageId id, int connectAttempts) {
        tx.update("UPDATE back_request SET connect_attempts = ? WHERE id = ? AND state = 'queued'", connectAttempts, id.value());
    }

    /**
     * Records the answer of a request that has none yet, takes ownership of its body file, and
     * releases the request body. Returns the peer to answer, or empty if the request was
     * answered already (then nothing changed and the caller disposes of the body file).
     */
    Optional<NodeId> answer(StoreTx tx, MessageId id, RecordedResponse response, long nowMs) throws IOException {
        Optional<String[]> row = tx.queryOne("SELECT peer, body_name FROM back_request WHERE id = ? AND state <> 'responded'",
                r -> new String[] {r.getString(1), r.getString(2)}, id.value());
        if (row.isEmpty()) {
            return Optional.empty();
        }
        if (response.bodyName() != null) {
            bodies.register(tx, bodies.path(response.bodyName()), responseBodyOwner(id), nowMs);
        }
        if (row.get()[1] != null) {
            bodies.release(tx, row.get()[1]);
        }
        tx.update("UPDATE back_request SET state = 'responded', responded_ms = ?, status = ?, reason = ?, response_headers = ?,"
                        + " error = ?, response_inline = ?, response_name = ?, response_length = ?, body_inline = NULL,"
                        + " body_name = NULL WHERE id = ?",
                nowMs, response.status(), response.reason(), HeaderJson.encode(response.headers()), response.error(),
                response.bodyInline(), response.bodyName(), response.bodyLength(), id.value());
        return Optional.of(NodeId.of(row.get()[0]));
    }

    Optional<RecordedResponse> response(StoreTx tx, MessageId id) {
        return tx.queryOne("SELECT status, reason, response_headers, error, response_inline, response_name, response_length"
                + " FROM back_request WHERE id = ? AND state = 'responded'", row -> new RecordedResponse(row.getInt(1),
                row.getString(2), HeaderJson.decode(row.getString(3)), row.getString(4), row.getBytes(5), row.getString(6),
                row.getLong(7)), id.value());
    }

    /** The peer that sent request {@code id}, if the request is not answered yet. */
    Optional<NodeId> unansweredPeer(StoreTx tx, MessageId id) {
        return tx.queryOne("SELECT peer FROM back_request WHERE id = ? AND state <> 'responded'", row -> row.getString(1),
                id.value()).map(NodeId::of);
    }

    /**
     * The message id an answer or status about request {@code id} names: that of the newest
     * attempt received (the request id itself for a first attempt).
     */
    MessageId replyTo(StoreTx tx, MessageId id) {
        return tx.queryOne("SELECT COALESCE(message_id, id) FROM back_request WHERE id = ?", row -> row.getString(1), id.value())
                .map(MessageId::of).orElse(id);
    }

    long expiresMs(StoreTx tx, MessageId id) {
        return tx.queryLong("SELECT expires_ms FROM back_request WHERE id = ?", id.value());
    }

    void countReply(StoreTx tx, MessageId id) {
        tx.update("UPDATE back_request SET replies = replies + 1 WHERE id = ?", id.value());
    }

    /** An answer owed to a peer. */
    record PendingReply(MessageId requestId, NodeId peer, int tries) {}

    /** Owed answers that exist and are due. */
    List<PendingReply> dueReplies(StoreTx tx, long nowMs, int limit) {
        // CROSS JOIN keeps back_reply (a handful of owed answers) the outer loop: joined the other
        // way, SQLite walks every answered request still kept, on every dispatcher wake.
        return tx.query("SELECT r.request_id, r.peer, r.tries FROM back_reply r CROSS JOIN back_request q ON q.id = r.request_id"
                        + " WHERE q.state = 'responded' AND r.due_ms <= ? ORDER BY r.due_ms LIMIT ?",
                row -> new PendingReply(MessageId.of(row.getString(1)), NodeId.of(row.getString(2)), row.getInt(3)), nowMs, limit);
    }

    /** The earliest time an owed, answerable reply is due, or -1. */
    long nextReplyDueMs(StoreTx tx) {
        return tx.queryOne("SELECT MIN(r.due_ms) FROM back_reply r CROSS JOIN back_request q ON q.id = r.request_id"
                + " WHERE q.state = 'responded'", row -> row.getObject(1) == null ? -1L : row.getLong(1)).orElse(-1L);
    }

    void owe(StoreTx tx, MessageId id, NodeId peer, long dueMs) {
        tx.update("INSERT INTO back_reply (request_id, peer, due_ms) VALUES (?, ?, ?)"
                + " ON CONFLICT (request_id, peer) DO UPDATE SET due_ms = MIN(due_ms, excluded.due_ms)", id.value(), peer.value(), dueMs);
    }

    void postpone(StoreTx tx, PendingReply reply, long dueMs) {
        tx.update("UPDATE back_reply SET due_ms = ?, tries = tries + 1 WHERE request_id = ? AND peer = ?",
                dueMs, reply.requestId().value(), reply.peer().value());
    }

    void settle(StoreTx tx, PendingReply reply) {
        tx.update("DELETE FROM back_reply WHERE request_id = ? AND peer = ?", reply.requestId().value(), reply.peer().value());
    }

    /**
     * Deletes answered requests whose retention ended and that owe nobody an answer, with their
     * body files; returns how many.
     */
    int purge(StoreTx tx, long nowMs, int limit) {
        List<String[]> rows = tx.query("SELECT id, response_name FROM back_request q WHERE purge_after_ms < ? AND state = 'responded'"
                        + " AND NOT EXISTS (SELECT 1 FROM back_reply r WHERE r.request_id = q.id) LIMIT ?",
                row -> new String[] {row.getString(1), row.getString(2)}, nowMs, limit);
        for (String[] row : rows) {
            if (row[1] != null) {
                bodies.release(tx, row[1]);
            }
            tx.update("DELETE FROM back_request WHERE id = ?", row[0]);
        }
        return rows.size();
    }
}
