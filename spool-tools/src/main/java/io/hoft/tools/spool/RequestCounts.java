package io.hoft.tools.spool;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.tools.Human;
import io.hoft.tools.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The request store's counts by status: {@code {"available": true, "side", "byStatus": {...},
 * "open", "oldestOpenAgeMs"}} from the front's {@code front_request} or the back's
 * {@code back_request}; {@code {"available": false, "note"}} when the node has neither (its proxy
 * never ran). Open calls are those not yet finished: on a front, queued, transferred or delivered;
 * on a back, queued or calling.
 */
final class RequestCounts implements StatsSection {
    @Override
    public String name() {
        return "requests";
    }

    @Override
    public ObjectNode collect(NodeDatabase db, Instant now) {
        ObjectNode section = Json.object();
        Optional<Calls.Side> side = Calls.side(db);
        if (side.isEmpty()) {
            section.put("available", false);
            section.put("note", "no request store: the node's proxy has not run yet");
            return section;
        }
        boolean front = side.get() == Calls.Side.FRONT;
        String table = front ? Calls.FRONT_TABLE : Calls.BACK_TABLE;
        String open = front ? "('queued', 'transferred', 'delivered')" : "('queued', 'calling')";
        String since = front ? "accepted_ms" : "received_ms";
        section.put("available", true);
        section.put("side", side.get().wireName);
        ObjectNode byStatus = section.putObject("byStatus");
        db.query("SELECT state, COUNT(*) FROM " + table + " GROUP BY state ORDER BY state", row -> {
            byStatus.put(row.getString(1), row.getLong(2));
            return null;
        });
        section.put("open", db.queryLong("SELECT COUNT(*) FROM " + table + " WHERE state IN " + open));
        long oldest = db.queryLong("SELECT COALESCE(MIN(" + since + "), 0) FROM " + table + " WHERE state IN " + open);
        if (oldest > 0) {
            section.put("oldestOpenAgeMs", now.toEpochMilli() - oldest);
        } else {
            section.putNull("oldestOpenAgeMs");
        }
        return section;
    }

    @Override
    public List<String> describe(ObjectNode section) {
        if (!section.path("available").asBoolean()) {
            return List.of(section.path("note").asText());
        }
        StringBuilder line = new StringBuilder();
        section.path("byStatus").fields().forEachRemaining(e -> line.append(line.length() == 0 ? "" : ", ")
                .append(e.getValue().asLong()).append(' ').append(e.getKey()));
        if (line.length() == 0) {
            line.append("no calls");
        }
        line.append("; ").append(section.path("open").asLong()).append(" open");
        if (!section.path("oldestOpenAgeMs").isNull()) {
            line.append(", the oldest for ").append(Human.duration(Duration.ofMillis(section.path("oldestOpenAgeMs").asLong())));
        }
        return List.of(line.toString());
    }
}
