package io.hoft.front.internal;

import io.hoft.front.CallbackFormat;
import io.hoft.front.FrontConfig;
import io.hoft.front.StoredResponse;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.store.StoreTx;
import java.net.URI;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The front's request table, {@code front_request} in the node database: one row per accepted
 * call from the moment it is stored (in the same transaction that hands its REQUEST message to
 * the channel) until {@code retention} after its TTL. This class is the only code that reads or
 * writes it: the front changes it through the package's operations, and {@code hoft spool}
 * reads it through the public read-only view ({@link #TABLE}, {@link #view}, {@link #views},
 * {@link #countsByState}, {@link #countOpen}, {@link #oldestOpenAcceptedMs}, {@link #replaysOf}),
 * which also reads the tables of older nodes, whose rows lack the columns of later schema steps.
 *
 * <pre>
 *            accept (row + REQUEST message, one transaction)
 *                 |
 *              queued ──ack of REQUEST──▶ transferred ──STATUS delivered──▶ delivered
 *                 │                          │                                │
 *                 └──────────────┬───────────┴────────────────────────────────┘
 *                                ├── RESPONSE without error ──▶ responded   (terminal)
 *                                ├── RESPONSE with error ─────▶ failed      (terminal)
 *                                └── TTL passed / send expired ▶ expired     (terminal)
 * </pre>
 *
 * <p>The request itself is kept with the call (schema step 2) for as long as the row lives, so
 * an operator can export it (HAR) and replay it after the channel has forgotten it (the
 * channel drops its copy an hour after the acknowledgement): {@code request_headers} (the
 * fields sent to the back, as JSON), the body inline up to 64 KiB ({@code request_body_inline}),
 * or a body file owned by {@code front:request:ID} ({@code request_body_name}), released with
 * the row. {@code replay_of} names the call a replayed call was made from. Rows from before
 * step 2 have none of these (null).
 *
 * <p>Attempts (schema step 3): a failed or expired call whose callee was never reached may be
 * sent again under the same id ({@link #reattempt}): {@code attempt} counts up and
 * {@code message_id} names the new REQUEST message (null for the first attempt, whose message id
 * is the call's id). The row goes back to {@code queued} with its steps and response cleared,
 * {@code accepted_ms} and {@code expires_ms} those of the new attempt. Acks, status events and
 * responses are matched to the row by the message id of its current attempt
 * ({@link #findByMessage}); those of an earlier attempt are ignored.
 *
 * <p>Schema step 4 indexes calls by caller and id, for the latest calls of one caller
 * ({@link #latest}, the dashboard) without a scan of every call.
 *
 * <p>A step's timestamp is recorded the first time it is seen, even out of order (an ack may be
 * applied after the response it travelled with); the state only moves forward, and a terminal
 * state never changes: a second response, or one after expiry, is ignored.
 */
public final class RequestStore {
    /** The table, for a reader that checks whether a node has it (a node whose front never ran has not). */
    public static final String TABLE = "front_request";
    static final String MODULE = "front";

    static final List<String> SCHEMA = List.of(
            "CREATE TABLE front_request ("
                    + " id TEXT PRIMARY KEY,"
                    + " peer TEXT NOT NULL,"
                    + " route TEXT NOT NULL,"
                    + " upstream TEXT NOT NULL,"
                    + " method TEXT NOT NULL,"
                    + " target TEXT NOT NULL,"
                    + " caller TEXT,"
                    + " request_body_length INTEGER NOT NULL,"
                    + " state TEXT NOT NULL,"
                    + " accepted_ms INTEGER NOT NULL,"
                    + " transferred_ms INTEGER,"
                    + " delivered_ms INTEGER,"
                    + " responded_ms INTEGER,"
                    + " expired_ms INTEGER,"
                    + " expires_ms INTEGER NOT NULL,"
                    + " callback_url TEXT,"
                    + " callback_format TEXT,"
                    + " status_callback_url TEXT,"
                    + " response_status INTEGER,"
                    + " response_reason TEXT,"
                    + " response_headers TEXT,"
                    + " response_body_inline BLOB,"
                    + " response_body_name TEXT,"
                    + " response_body_length INTEGER,"
                    + " response_error TEXT);"
                    + "CREATE INDEX front_request_open ON front_request (state, expires_ms);"
                    + "CREATE INDEX front_request_expires ON front_request (expires_ms)",
            "ALTER TABLE front_request ADD COLUMN request_headers TEXT;"
                    + "ALTER TABLE front_request ADD COLUMN request_body_inline BLOB;"
                    + "ALTER TABLE front_request ADD COLUMN request_body_name TEXT;"
                    + "ALTER TABLE front_request ADD COLUMN replay_of TEXT",
            "ALTER TABLE front_request ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;"
                    + "ALTER TABLE front_request ADD COLUMN message_id TEXT;"
                    + "CREATE INDEX front_request_message ON front_request (message_id) WHERE message_id IS NOT NULL",
            "CREATE INDEX front_request_caller ON front_request (caller, id)");

    /** The states; the order is the order a call moves in. */
    enum State {
        QUEUED("queued"),
        TRANSFERRED("transferred"),
        DELIVERED("delivered"),
        RESPONDED("responded"),
        FAILED("failed"),
        EXPIRED("expired");

        static final String OPEN_SQL = "('queued', 'transferred', 'delivered')";

        final String wire;

        State(String wire) {
            this.wire = wire;
        }

        boolean terminal() {
            return ordinal() >= RESPONDED.ordinal();
        }

        static State of(String wire) {
            for (State s : values()) {
                if (s.wire.equals(wire)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("unknown request state " + wire);
        }
    }

    /**
     * Who asked what, and where it goes: the peer and route the call was sent over, the
     * callee's upstream name, the request line, and the authenticated caller (null without
     * caller authentication).
     */
    public record Routing(String peer, String route, String upstream, String method, String target, String caller) {
        /** A call that came in on {@code route}. */
        static Routing of(FrontConfig.Route route, String method, String target, String caller) {
            return new Routing(route.peer(), route.name(), route.upstream(), method, target, caller);
        }
    }

    /** Where the call's outcome is told: the result callback and its format, and the status events; each may be null. */
    public record Callbacks(URI resultUrl, CallbackFormat format, URI statusUrl) {}

    /** The request as the call keeps it: the header fields sent to the back, the body's length, and the body if it is small. */
    record RequestCopy(List<HeaderField> headers, long bodyLength, byte[] bodyInline) {}

    /** When the call moved: accepted and expiring always, each step once it was seen (null before). */
    public record Steps(long acceptedMs, Long transferredMs, Long deliveredMs, Long respondedMs, Long expiredMs, long expiresMs) {}

    /** A new call, as stored at acceptance; {@code replayOf} names the call it was replayed from (or null). */
    record NewRequest(String id, Routing routing, RequestCopy request, long acceptedMs, long expiresMs, Callbacks callbacks,
            String replayOf) {}

    /** One row. */
    record Row(String id, Routing routing, State state, Steps steps, Callbacks callbacks, StoredResponse response, int attempt,
            String messageId) {
    }

    /** Stores a new call; {@code requestBodyName} is the kept body file (already registered), or null. */
    void insert(StoreTx tx, NewRequest r, String requestBodyName) {
        tx.update("INSERT INTO front_request (id, peer, route, upstream, method, target, caller, request_body_length, state,"
                        + " accepted_ms, expires_ms, callback_url, callback_format, status_callback_url, request_headers,"
                        + " request_body_inline, request_body_name, replay_of)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                r.id(), r.routing().peer(), r.routing().route(), r.routing().upstream(), r.routing().method(),
                r.routing().target(), r.routing().caller(), r.request().bodyLength(), r.acceptedMs(), r.expiresMs(),
                str(r.callbacks().resultUrl()), r.callbacks().format() == null ? null : r.callbacks().format().headerValue(),
                str(r.callbacks().statusUrl()), Json.headers(r.request().headers()), r.request().bodyInline(), requestBodyName,
                r.replayOf());
    }

    /**
     * The request as kept with the call: headers, and the body inline or as a body file; for a
     * row from before step 2 the view gives null headers and body, the length alone.
     */
    public record KeptRequest(List<HeaderField> headers, byte[] bodyInline, String bodyName, long bodyLength) {}

    Optional<KeptRequest> kept(StoreTx tx, String id) {
        return tx.queryOne("SELECT request_headers, request_body_inline, request_body_name, request_body_length"
                        + " FROM front_request WHERE id = ? AND request_headers IS NOT NULL",
                rs -> new KeptRequest(Json.headers(rs.getString(1)), rs.getBytes(2), rs.getString(3), rs.getLong(4)), id);
    }

    Optional<Row> find(StoreTx tx, String id) {
        return tx.queryOne("SELECT * FROM front_request WHERE id = ?", RequestStore::row, id);
    }

    /** The call whose current attempt is the REQUEST message {@code messageId}; empty for an earlier attempt's message. */
    Optional<Row> findByMessage(StoreTx tx, String messageId) {
        return tx.queryOne("SELECT * FROM front_request WHERE (id = ? AND message_id IS NULL) OR message_id = ?",
                RequestStore::row, messageId, messageId);
    }

    /**
     * Makes the finished call {@code id} (attempt {@code attempt}, failed or expired) a new
     * attempt: {@code attempt + 1} under {@code messageId}, queued, its steps and response
     * cleared, accepted now and expiring at {@code expiresMs}. False if the call is no longer
     * that attempt or not failed or expired (someone else got there first).
     */
    boolean reattempt(StoreTx tx, String id, int attempt, String messageId, long nowMs, long expiresMs) {
        return tx.update("UPDATE front_request SET state = 'queued', attempt = ?, message_id = ?, accepted_ms = ?, expires_ms = ?,"
                        + " transferred_ms = NULL, delivered_ms = NULL, responded_ms = NULL, expired_ms = NULL,"
                        + " response_status = NULL, response_reason = NULL, response_headers = NULL, response_body_inline = NULL,"
                        + " response_body_name = NULL, response_body_length = NULL, response_error = NULL"
                        + " WHERE id = ? AND attempt = ? AND state IN ('failed', 'expired')",
                attempt + 1, messageId, nowMs, expiresMs, id, attempt) == 1;
    }

    RequestStore() {}

    /** Calls not finished yet: queued, transferred or delivered. */
    public static long countOpen(StoreTx tx) {
        return tx.queryLong("SELECT COUNT(*) FROM front_request WHERE state IN " + State.OPEN_SQL);
    }

    /** Records when a step happened (first time only) and moves an open call forward to it; true if it moved. */
    boolean step(StoreTx tx, String id, State step, long atMs) {
        if (step != State.TRANSFERRED && step != State.DELIVERED) {
            throw new IllegalArgumentException("not a step: " + step);
        }
        String column = step == State.TRANSFERRED ? "transferred_ms" : "delivered_ms";
        tx.update("UPDATE front_request SET " + column + " = COALESCE(" + column + ", ?) WHERE id = ?", atMs, id);
        String earlier = step == State.TRANSFERRED ? "('queued')" : "('queued', 'transferred')";
        return tx.update("UPDATE front_request SET state = ? WHERE id = ? AND state IN " + earlier, step.wire, id) == 1;
    }

    /** Stores the response of an open call; false if the call is unknown or already finished. */
    boolean respond(StoreTx tx, String id, StoredResponse response, long atMs) {
        State state = response.isError() ? State.FAILED : State.RESPONDED;
        return tx.update("UPDATE front_request SET state = ?, responded_ms = ?, response_status = ?, response_reason = ?,"
                        + " response_headers = ?, response_body_inline = ?, response_body_name = ?, response_body_length = ?,"
                        + " response_error = ? WHERE id = ? AND state IN " + State.OPEN_SQL,
                state.wire, atMs, response.status(), response.reason(), Json.headers(response.headers()),
                response.inlineBody(), response.bodyName(), response.bodyLength(), response.error(), id) == 1;
    }

    /** Marks an open call expired; false if it had already finished. */
    boolean expire(StoreTx tx, String id, long atMs) {
        return tx.update("UPDATE front_request SET state = 'expired', expired_ms = ? WHERE id = ? AND state IN "
                + State.OPEN_SQL, atMs, id) == 1;
    }

    /** Open calls whose TTL has passed, oldest first. */
    List<String> overdue(StoreTx tx, long nowMs, int limit) {
        return tx.query("SELECT id FROM front_request WHERE state IN " + State.OPEN_SQL + " AND expires_ms < ?"
                + " ORDER BY expires_ms LIMIT ?", rs -> rs.getString(1), nowMs, limit);
    }

    /** Finished calls whose TTL passed before {@code beforeMs}: id, response body file and kept request body file (may be null). */
    List<String[]> prunable(StoreTx tx, long beforeMs, int limit) {
        return tx.query("SELECT id, response_body_name, request_body_name FROM front_request WHERE expires_ms < ? AND state NOT IN "
                + State.OPEN_SQL + " ORDER BY expires_ms LIMIT ?",
                rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)}, beforeMs, limit);
    }

    void delete(StoreTx tx, String id) {
        tx.update("DELETE FROM front_request WHERE id = ?", id);
    }

    /** A call as a list of calls shows it (the dashboard): no headers, no bodies. */
    record Summary(String id, String method, String target, State state, long acceptedMs, Long finishedMs,
            Integer responseStatus, int attempt) {}

    /**
     * The latest calls, newest first (ids sort by time of acceptance): those of {@code caller},
     * or every call when {@code caller} is null (a front without caller authentication).
     */
    List<Summary> latest(StoreTx tx, String caller, int limit) {
        String columns = "SELECT id, method, target, state, accepted_ms, COALESCE(responded_ms, expired_ms) AS finished_ms,"
                + " response_status, attempt FROM front_request";
        return caller == null
                ? tx.query(columns + " ORDER BY id DESC LIMIT ?", RequestStore::summary, limit)
                : tx.query(columns + " WHERE caller = ? ORDER BY id DESC LIMIT ?", RequestStore::summary, caller, limit);
    }

    /** Which of {@code ids} are calls of {@code caller}. */
    Set<String> ownedBy(StoreTx tx, String caller, Collection<String> ids) {
        Set<String> owned = new HashSet<>();
        for (String id : ids) {
            tx.queryOne("SELECT id FROM front_request WHERE id = ? AND caller = ?", rs -> rs.getString(1), id, caller)
                    .ifPresent(owned::add);
        }
        return owned;
    }

    private static Summary summary(ResultSet rs) throws SQLException {
        Long finishedMs = nullableLong(rs, "finished_ms");
        Long status = nullableLong(rs, "response_status");
        return new Summary(rs.getString("id"), rs.getString("method"), rs.getString("target"), State.of(rs.getString("state")),
                rs.getLong("accepted_ms"), finishedMs, status == null ? null : status.intValue(), rs.getInt("attempt"));
    }

    /** Calls per state, in the order of the state's name. */
    public static Map<String, Long> countsByState(StoreTx tx) {
        Map<String, Long> counts = new LinkedHashMap<>();
        tx.query("SELECT state, COUNT(*) FROM front_request GROUP BY state ORDER BY state", rs -> counts.put(rs.getString(1),
                rs.getLong(2)));
        return counts;
    }

    /** When the oldest open call was accepted (epoch ms), 0 if none is open. */
    public static long oldestOpenAcceptedMs(StoreTx tx) {
        return tx.queryLong("SELECT COALESCE(MIN(accepted_ms), 0) FROM front_request WHERE state IN " + State.OPEN_SQL);
    }

    /**
     * A call as the command line shows it: everything the row holds. {@code request} has null
     * headers and body when the front kept no request (a row from before schema step 2);
     * {@code response} is null until there is one.
     */
    public record CallView(String id, Routing routing, String state, Steps steps, Callbacks callbacks, KeptRequest request,
            StoredResponse response, String replayOf, int attempt) {}

    /** The call {@code id}, read-only. */
    public static Optional<CallView> view(StoreTx tx, String id) {
        return tx.queryOne("SELECT * FROM front_request WHERE id = ?", RequestStore::callView, id);
    }

    /**
     * Calls, newest first, in the given states (all if empty), accepted at or after
     * {@code sinceMs} (if not null), at most {@code limit} (all if 0).
     */
    public static List<CallView> views(StoreTx tx, List<String> states, Long sinceMs, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM front_request WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        if (!states.isEmpty()) {
            sql.append(" AND state IN (").append(String.join(", ", states.stream().map(s -> "?").toList())).append(")");
            args.addAll(states);
        }
        if (sinceMs != null) {
            sql.append(" AND accepted_ms >= ?");
            args.add(sinceMs);
        }
        sql.append(" ORDER BY accepted_ms DESC, id DESC");
        if (limit > 0) {
            sql.append(" LIMIT ").append(limit);
        }
        return tx.query(sql.toString(), RequestStore::callView, args.toArray());
    }

    /** The calls replayed from call {@code id} (schema step 2; none on an older node), oldest first. */
    public static List<String> replaysOf(StoreTx tx, String id) {
        if (tx.queryLong("SELECT COUNT(*) FROM pragma_table_info('front_request') WHERE name = 'replay_of'") == 0) {
            return List.of();
        }
        return tx.query("SELECT id FROM front_request WHERE replay_of = ? ORDER BY accepted_ms", rs -> rs.getString(1), id);
    }

    private static CallView callView(ResultSet rs) throws SQLException {
        Set<String> columns = columns(rs);
        boolean kept = columns.contains("request_headers") && rs.getString("request_headers") != null;
        KeptRequest request = kept
                ? new KeptRequest(Json.headers(rs.getString("request_headers")), rs.getBytes("request_body_inline"),
                        rs.getString("request_body_name"), rs.getLong("request_body_length"))
                : new KeptRequest(null, null, null, rs.getLong("request_body_length"));
        return new CallView(rs.getString("id"), routing(rs), rs.getString("state"), steps(rs), callbacks(rs), request,
                response(rs), columns.contains("replay_of") ? rs.getString("replay_of") : null,
                columns.contains("attempt") ? rs.getInt("attempt") : 1);
    }

    private static Set<String> columns(ResultSet rs) throws SQLException {
        Set<String> names = new HashSet<>();
        ResultSetMetaData meta = rs.getMetaData();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
            names.add(meta.getColumnName(i).toLowerCase(Locale.ROOT));
        }
        return names;
    }

    private static Row row(ResultSet rs) throws SQLException {
        return new Row(rs.getString("id"), routing(rs), State.of(rs.getString("state")), steps(rs), callbacks(rs), response(rs),
                rs.getInt("attempt"), rs.getString("message_id"));
    }

    private static Routing routing(ResultSet rs) throws SQLException {
        return new Routing(rs.getString("peer"), rs.getString("route"), rs.getString("upstream"), rs.getString("method"),
                rs.getString("target"), rs.getString("caller"));
    }

    private static Steps steps(ResultSet rs) throws SQLException {
        return new Steps(rs.getLong("accepted_ms"), nullableLong(rs, "transferred_ms"), nullableLong(rs, "delivered_ms"),
                nullableLong(rs, "responded_ms"), nullableLong(rs, "expired_ms"), rs.getLong("expires_ms"));
    }

    private static Callbacks callbacks(ResultSet rs) throws SQLException {
        String format = rs.getString("callback_format");
        return new Callbacks(uri(rs.getString("callback_url")),
                format == null ? null : CallbackFormat.fromHeader(format).orElseThrow(), uri(rs.getString("status_callback_url")));
    }

    private static StoredResponse response(ResultSet rs) throws SQLException {
        if (rs.getObject("response_status") == null) {
            return null;
        }
        byte[] inline = rs.getBytes("response_body_inline");
        String bodyName = rs.getString("response_body_name");
        long length = rs.getLong("response_body_length");
        if (inline == null && bodyName == null) {
            inline = new byte[0];
        }
        return new StoredResponse(rs.getInt("response_status"), rs.getString("response_reason"),
                Json.headers(rs.getString("response_headers")), inline, bodyName, length, rs.getString("response_error"));
    }

    private static Long nullableLong(ResultSet rs, String column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : value;
    }

    private static URI uri(String value) {
        return value == null ? null : URI.create(value);
    }

    private static String str(URI uri) {
        return uri == null ? null : uri.toString();
    }
}
