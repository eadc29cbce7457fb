package io.hoft.tools.spool;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.OffsetDateTime;
import java.util.List;

/** The members HAR 1.2 requires (http://www.softwareishard.com/blog/har-12-spec/), with their types. */
final class HarCheck {
    private HarCheck() {}

    static void entry(JsonNode entry) {
        has(entry, "entry", List.of("startedDateTime", "time", "request", "response", "cache", "timings"));
        OffsetDateTime.parse(entry.get("startedDateTime").asText()); // ISO 8601 with a zone
        assertTrue(entry.get("time").isNumber() && entry.get("time").asDouble() >= 0, entry.toString());
        assertTrue(entry.get("cache").isObject());

        JsonNode request = entry.get("request");
        has(request, "request", List.of("method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize",
                "bodySize"));
        assertTrue(request.get("url").asText().matches("https?://.+"), "absolute url: " + request.get("url"));
        nameValues(request.get("headers"));
        nameValues(request.get("queryString"));
        assertTrue(request.get("cookies").isArray());
        assertTrue(request.get("headersSize").isIntegralNumber() && request.get("bodySize").isIntegralNumber());
        if (request.has("postData")) {
            has(request.get("postData"), "postData", List.of("mimeType", "text"));
        }

        JsonNode response = entry.get("response");
        has(response, "response", List.of("status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL",
                "headersSize", "bodySize"));
        assertTrue(response.get("status").isIntegralNumber());
        nameValues(response.get("headers"));
        has(response.get("content"), "content", List.of("size", "mimeType"));
        assertTrue(response.get("content").get("size").isIntegralNumber());

        JsonNode timings = entry.get("timings");
        for (String phase : List.of("send", "wait", "receive")) {
            assertTrue(timings.has(phase) && timings.get(phase).isNumber() && timings.get(phase).asDouble() >= 0,
                    "timings." + phase + " in " + timings);
        }
    }

    private static void has(JsonNode node, String what, List<String> members) {
        assertTrue(node != null && node.isObject(), what + " is an object");
        for (String member : members) {
            assertTrue(node.has(member) && !node.get(member).isNull(), what + "." + member + " is required: " + node);
        }
    }

    private static void nameValues(JsonNode array) {
        assertTrue(array.isArray(), array.toString());
        for (JsonNode pair : array) {
            assertTrue(pair.get("name").isTextual() && pair.get("value").isTextual(), pair.toString());
        }
    }
}
