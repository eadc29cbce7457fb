package io.hoft.tools.spool;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.tools.Human;
import io.hoft.tools.Json;
import io.hoft.transport.store.NodeSnapshot;
import io.hoft.transport.store.StoreTx;
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
    public ObjectNode collect(NodeSnapshot db, Instant now) {
        ObjectNode section = Json.object();
        Optional<Calls.Side> side = Calls.side(db);
        if (side.isEmpty()) {
            section.put("available", false);
            section.put("note", "no request store: the node's proxy has not run yet");
            return section;
        }
        boolean front = side.get() == Calls.Side.FRONT;
        StoreTx tx = db.tx();
        section.put("available", true);
        section.put("side", side.get().wireName);
        ObjectNode byStatus = section.putObject("byStatus");
        (front ? io.hoft.front.internal.RequestStore.countsByState(tx) : io.hoft.back.RequestStore.countsByState(tx))
                .forEach(byStatus::put);
        section.put("open", front ? io.hoft.front.internal.RequestStore.countOpen(tx) : io.hoft.back.RequestStore.countOpen(tx));
        long oldest = front ? io.hoft.front.internal.RequestStore.oldestOpenAcceptedMs(tx)
                : io.hoft.back.RequestStore.oldestOpenReceivedMs(tx);
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
