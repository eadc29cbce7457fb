package io.hoft.tools.spool;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.tools.Json;
import java.time.Instant;
import java.util.List;

/**
 * The request store's counts by status: the place for them until the proxies define their
 * tables. Then this reads {@code SELECT state, COUNT(*) ... GROUP BY state} from the node's
 * request table (and the oldest open request's age) into {@code {"available": true,
 * "byStatus": {...}}}.
 */
final class RequestCounts implements StatsSection {
    @Override
    public String name() {
        return "requests";
    }

    @Override
    public ObjectNode collect(NodeDatabase db, Instant now) {
        ObjectNode section = Json.object();
        section.put("available", false);
        section.put("note", "the request store's counts by status come with the front and back proxies");
        return section;
    }

    @Override
    public List<String> describe(ObjectNode section) {
        if (!section.path("available").asBoolean()) {
            return List.of(section.path("note").asText());
        }
        return List.of(section.path("byStatus").toString());
    }
}
