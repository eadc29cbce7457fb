package io.hoft.tools.spool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.tools.Json;
import io.hoft.tools.Main;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The calls a node's request store keeps, read from its database as they are: the front's
 * {@code front_request} (one row per accepted call) or the back's {@code back_request} (one row
 * per request id received). Which one a node has says which kind of node it is. Read-only.
 *
 * <p>Request header fields and bodies: the back keeps them with every row (the body until the
 * answer is recorded); the front keeps them since its schema step 2 (rows from before have
 * none, and then the body is {@link Body#notKept}).
 */
final class Calls {
    static final String FRONT_TABLE = "front_request";
    static final String BACK_TABLE = "back_request";

    /** Which store a node has. */
    enum Side {
        FRONT("front"), BACK("back");

        final String wireName;

        Side(String wireName) {
            this.wireName = wireName;
        }
    }

    /** A body as a store keeps it: inline bytes, a body file, or nothing kept (only its length known). */
    record Body(byte[] inline, String fileName, long length) {
        static Body notKept(long length) {
            return new Body(null, null, length);
        }

        boolean kept() {
            return inline != null || fileName != null || length == 0;
        }

        /** The bytes, or empty if they are not kept (or the body file is gone). */
        Optional<byte[]> read(Path stateDir) throws IOException {
            if (inline != null) {
                return Optional.of(inline);
            }
            if (length == 0) {
                return Optional.of(new byte[0]);
            }
            if (fileName == null || !fileName.matches("[0-9a-f]{32}\\.body")) {
                return Optional.empty();
            }
            try {
                return Optional.of(Files.readAllBytes(stateDir.resolve("bodies").resolve(fileName)));
            } catch (NoSuchFileException e) {
                return Optional.empty(); // released meanwhile by the running node
            }
        }
    }

    /** One call, front or back, in the terms both share. Times are epoch ms, null when not reached. */
    record Call(Side side, String id, String peer, String route, String upstream, String method, String target, String caller,
            String state, long acceptedMs, Long transferredMs, Long deliveredMs, Long callingMs, Long respondedMs, Long expiredMs,
            long expiresMs, Integer responseStatus, String responseReason, List<String[]> responseHeaders, Body responseBody,
            String error, List<String[]> requestHeaders, Body requestBody, String callbackUrl, String statusCallbackUrl,
            String replayOf, long duplicates, long connectAttempts, int attempt) {

        /** When the call last moved. */
        long lastChangeMs() {
            long last = acceptedMs;
            for (Long t : new Long[] {transferredMs, deliveredMs, callingMs, respondedMs, expiredMs}) {
                if (t != null && t > last) {
                    last = t;
                }
            }
            return last;
        }

        /** Why it failed: the Hoft-Error of the response, or {@code expired}. */
        String problem() {
            return error != null ? error : "expired".equals(state) ? "expired" : null;
        }
    }

    private Calls() {}

    /** The kind of store the database holds, if any. */
    static Optional<Side> side(NodeDatabase db) {
        return db.hasTable(FRONT_TABLE) ? Optional.of(Side.FRONT) : db.hasTable(BACK_TABLE) ? Optional.of(Side.BACK) : Optional.empty();
    }

    /** The side or a usage error: a node whose proxy never ran has no request store. */
    static Side requireSide(NodeDatabase db, String command) {
        return side(db).orElseThrow(() -> new Main.UsageException("hoft spool " + command + ": " + db.file()
                + " has no request store (neither front_request nor back_request): the node's proxy has not run yet"));
    }

    /**
     * Calls, newest first, in the given states (all if empty), accepted at or after
     * {@code sinceMs} (if not null), at most {@code limit} (all if 0).
     */
    static List<Call> list(NodeDatabase db, Side side, List<String> states, Long sinceMs, int limit) {
        String table = side == Side.FRONT ? FRONT_TABLE : BACK_TABLE;
        String accepted = side == Side.FRONT ? "accepted_ms" : "received_ms";
        StringBuilder sql = new StringBuilder("SELECT * FROM " + table + " WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        if (!states.isEmpty()) {
            sql.append(" AND state IN (").append(String.join(", ", states.stream().map(s -> "?").toList())).append(")");
            args.addAll(states);
        }
        if (sinceMs != null) {
            sql.append(" AND ").append(accepted).append(" >= ?");
            args.add(sinceMs);
        }
        sql.append(" ORDER BY ").append(accepted).append(" DESC, id DESC");
        if (limit > 0) {
            sql.append(" LIMIT ").append(limit);
        }
        return db.query(sql.toString(), side == Side.FRONT ? Calls::front : Calls::back, args.toArray());
    }

    static long count(NodeDatabase db, Side side, List<String> states, Long sinceMs) {
        return list(db, side, states, sinceMs, 0).size();
    }

    static Optional<Call> find(NodeDatabase db, Side side, String id) {
        String table = side == Side.FRONT ? FRONT_TABLE : BACK_TABLE;
        List<Call> found = db.query("SELECT * FROM " + table + " WHERE id = ?", side == Side.FRONT ? Calls::front : Calls::back, id);
        return found.stream().findFirst();
    }

    private static Call front(ResultSet rs) throws SQLException {
        boolean kept = hasColumn(rs, "request_headers") && rs.getString("request_headers") != null;
        Integer status = nullableInt(rs, "response_status");
        return new Call(Side.FRONT, rs.getString("id"), rs.getString("peer"), rs.getString("route"), rs.getString("upstream"),
                rs.getString("method"), rs.getString("target"), rs.getString("caller"), rs.getString("state"),
                rs.getLong("accepted_ms"), nullableLong(rs, "transferred_ms"), nullableLong(rs, "delivered_ms"), null,
                nullableLong(rs, "responded_ms"), nullableLong(rs, "expired_ms"), rs.getLong("expires_ms"), status,
                rs.getString("response_reason"), headers(rs.getString("response_headers")),
                status == null ? null : new Body(rs.getBytes("response_body_inline"), rs.getString("response_body_name"),
                        rs.getLong("response_body_length")),
                rs.getString("response_error"),
                kept ? headers(rs.getString("request_headers")) : null,
                kept ? new Body(rs.getBytes("request_body_inline"), rs.getString("request_body_name"), rs.getLong("request_body_length"))
                        : Body.notKept(rs.getLong("request_body_length")),
                rs.getString("callback_url"), rs.getString("status_callback_url"),
                hasColumn(rs, "replay_of") ? rs.getString("replay_of") : null, 0, 0,
                hasColumn(rs, "attempt") ? rs.getInt("attempt") : 1);
    }

    private static Call back(ResultSet rs) throws SQLException {
        Integer status = nullableInt(rs, "status");
        return new Call(Side.BACK, rs.getString("id"), rs.getString("peer"), null, rs.getString("upstream"),
                rs.getString("method"), rs.getString("target"), null, rs.getString("state"),
                rs.getLong("received_ms"), null, null, nullableLong(rs, "calling_ms"), nullableLong(rs, "responded_ms"), null,
                rs.getLong("expires_ms"), status, rs.getString("reason"), headers(rs.getString("response_headers")),
                status == null ? null : new Body(rs.getBytes("response_inline"), rs.getString("response_name"),
                        rs.getLong("response_length")),
                rs.getString("error"), headers(rs.getString("headers")),
                new Body(rs.getBytes("body_inline"), rs.getString("body_name"), rs.getLong("body_length")),
                null, null, null, rs.getLong("duplicates"), rs.getLong("connect_attempts"),
                hasColumn(rs, "attempt") ? rs.getInt("attempt") : 1);
    }

    /** Header fields stored as {@code [["Name", "value"], ...]}; null stays null. */
    static List<String[]> headers(String json) {
        if (json == null) {
            return null;
        }
        try {
            JsonNode array = Json.MAPPER.readTree(json);
            List<String[]> fields = new ArrayList<>();
            for (JsonNode pair : array) {
                fields.add(new String[] {pair.get(0).asText(), pair.get(1).asText()});
            }
            return fields;
        } catch (IOException e) {
            return List.of();
        }
    }

    static Optional<String> header(List<String[]> fields, String name) {
        if (fields == null) {
            return Optional.empty();
        }
        return fields.stream().filter(f -> f[0].equalsIgnoreCase(name)).map(f -> f[1]).findFirst();
    }

    /** The call as a JSON object of {@code hoft spool requests --json}. */
    static ObjectNode summary(Call call) {
        ObjectNode node = Json.object();
        node.put("id", call.id());
        node.put(call.side() == Side.FRONT ? "peer" : "fromPeer", call.peer());
        node.put("method", call.method());
        node.put("target", call.target());
        if (call.side() == Side.FRONT) {
            node.put("route", call.route());
        }
        node.put("upstream", call.upstream());
        node.put("status", call.state());
        node.put(call.side() == Side.FRONT ? "acceptedMs" : "receivedMs", call.acceptedMs());
        node.put("lastChangeMs", call.lastChangeMs());
        node.put("expiresMs", call.expiresMs());
        if (call.responseStatus() == null) {
            node.putNull("responseStatus");
        } else {
            node.put("responseStatus", call.responseStatus());
        }
        node.put("error", call.problem());
        node.put("attempt", call.attempt());
        if (call.side() == Side.FRONT) {
            node.put("replayOf", call.replayOf());
        } else {
            node.put("duplicates", call.duplicates());
        }
        return node;
    }

    private static boolean hasColumn(ResultSet rs, String column) throws SQLException {
        var meta = rs.getMetaData();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
            if (meta.getColumnName(i).equalsIgnoreCase(column)) {
                return true;
            }
        }
        return false;
    }

    private static Long nullableLong(ResultSet rs, String column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : value;
    }

    private static Integer nullableInt(ResultSet rs, String column) throws SQLException {
        int value = rs.getInt(column);
        return rs.wasNull() ? null : value;
    }
}
