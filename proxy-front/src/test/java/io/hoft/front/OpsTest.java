package io.hoft.front;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /_hoft/health}, {@code /_hoft/metrics} and the rest of the front's own namespace. */
class OpsTest {
    private static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)");
    private static final String LABEL = "[a-zA-Z_][a-zA-Z0-9_]*=\"(?:\\\\.|[^\"\\\\])*\"";
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{" + LABEL + "(?:," + LABEL + ")*\\})? (-?[0-9]+(?:\\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)");

    @TempDir
    Path root;
    FrontFixture f;

    @BeforeEach
    void start() throws Exception {
        f = FrontFixture.in(root).start();
    }

    @AfterEach
    void stop() throws Exception {
        f.close();
    }

    @Test
    void healthNamesTheNodeAndEachPeersLinkStateAndBacklog() throws Exception {
        assertEquals(200, f.post("/warm", "x".getBytes()).statusCode()); // the back has been heard from
        HttpResponse<byte[]> r = f.get("/_hoft/health");
        assertEquals(200, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElseThrow());
        JsonNode health = FrontFixture.json(r);
        assertEquals("front", health.get("node").asText());
        assertEquals(1, health.get("peers").size());
        JsonNode peer = health.get("peers").get(0);
        assertEquals("back", peer.get("id").asText());
        assertEquals("up", peer.get("state").asText());
        for (String field : List.of("queuedMessages", "unackedFiles", "unackedBytes", "resends", "inboundPendingFiles",
                "partialMessages")) {
            assertTrue(peer.get("backlog").get(field).isNumber(), field + " in " + peer);
        }
    }

    @Test
    void metricsAreWellFormedPrometheusTextWithRequestsLatencyLinkAndCallbacks() throws Exception {
        assertEquals(200, f.post("/m", "x".getBytes()).statusCode());
        assertEquals(400, f.post("/m", new byte[0], "Hoft-Ttl", "never").statusCode());
        String text = await().atMost(Duration.ofSeconds(10)).until(() -> new String(f.get("/_hoft/metrics").body()),
                t -> t.contains("hoft_front_requests{state=\"responded\"} 1"));
        HttpResponse<byte[]> r = f.get("/_hoft/metrics");
        assertTrue(r.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain; version=0.0.4"));
        Set<String> typed = new HashSet<>();
        for (String line : text.split("\n")) {
            Matcher type = TYPE.matcher(line);
            if (type.matches()) {
                assertTrue(typed.add(type.group(1)), "one TYPE line per family: " + line);
                continue;
            }
            Matcher sample = SAMPLE.matcher(line);
            assertTrue(sample.matches(), "not a sample line: '" + line + "'");
            String family = sample.group(1).replaceAll("_(bucket|sum|count)$", "");
            assertTrue(typed.contains(family) || typed.contains(sample.group(1)), "sample before its TYPE: " + line);
        }
        for (String expected : List.of("hoft_front_requests{state=\"responded\"} 1", "hoft_front_response_latency_seconds_count 1",
                "hoft_front_accepted_total{mode=\"sync\"} 1", "hoft_front_rejected_total{reason=\"bad-request\"} 1",
                "hoft_front_in_flight 0", "hoft_link_state{peer=\"back\",state=\"up\"} 1", "hoft_callback_jobs_total{kind=\"any\"} 0",
                "hoft_front_response_latency_seconds_bucket{le=\"+Inf\"} 1")) {
            assertTrue(text.contains(expected + "\n"), expected + " in\n" + text);
        }
        assertTrue(text.contains("hoft_files_sent_total"), "the transport's counters");
    }

    @Test
    void unknownPathsUnderHoftAre404AndOtherMethods405() throws Exception {
        for (String path : List.of("/_hoft/", "/_hoft/nothing", "/_hoft/requests/", "/_hoft/healthz", "/_hoft/files")) {
            HttpResponse<byte[]> r = f.get(path);
            assertEquals(404, r.statusCode(), path);
            assertEquals("not-found", r.headers().firstValue("Hoft-Error").orElseThrow());
        }
        HttpResponse<byte[]> post = f.send(HttpRequest.newBuilder(f.uri("/_hoft/health")).POST(HttpRequest.BodyPublishers.noBody()));
        assertEquals(405, post.statusCode());
        assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElseThrow());
        assertEquals(0, f.back.calls.size(), "nothing under /_hoft/ is proxied");
        assertEquals(200, f.get("/_hoft").statusCode(), "/_hoft itself is outside /_hoft/: proxied");
    }
}
