package io.hoft.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /_hoft/ui} over HTTP with caller authentication on: the page and its assets come from
 * the front alone, the data needs the credential of {@code /_hoft/requests}, and a caller sees
 * its own calls only. (The page in a real browser: spool-tools' DashboardBrowserTest.) One
 * front for all tests: each makes calls of its own and looks only at those.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardTest {
    private static final String ALICE = "Bearer alice-key-0123456789abcdef";
    private static final String BOB = "Bearer bob-key-0123456789abcdef0";

    FrontFixture f;

    @AfterAll
    void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    @BeforeAll
    void start(@TempDir Path root) throws Exception {
        f = FrontFixture.in(root).front(
                "routes: [{prefix: /, upstream: default}]",
                "auth:",
                "  mode: apikey",
                "  apiKeys:",
                "    - {name: alice, key: alice-key-0123456789abcdef, routes: ['*']}",
                "    - {name: bob, key: bob-key-0123456789abcdef0, routes: ['*']}").start();
    }

    private HttpResponse<byte[]> get(String path, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(f.uri(path));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return f.send(request);
    }

    private String call(String target, String authorization) throws Exception {
        HttpResponse<byte[]> r = f.send(HttpRequest.newBuilder(f.uri(target)).header("Authorization", authorization)
                .POST(HttpRequest.BodyPublishers.ofString("x")));
        assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
        return r.headers().firstValue("Hoft-Request-Id").orElseThrow();
    }

    @Test
    void thePageAndItsAssetsNeedNoCredentialAndLoadNothingFromAnotherHost() throws Exception {
        for (String path : List.of("/_hoft/ui", "/_hoft/ui/app.js", "/_hoft/ui/app.css")) {
            HttpResponse<byte[]> r = get(path, null);
            assertEquals(200, r.statusCode(), path);
            String csp = r.headers().firstValue("Content-Security-Policy").orElseThrow();
            assertTrue(csp.contains("default-src 'none'") && csp.contains("script-src 'self'")
                    && csp.contains("connect-src 'self'"), csp);
            assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElseThrow());
            String text = new String(r.body(), StandardCharsets.UTF_8);
            assertFalse(Pattern.compile("(src|href)=\"(https?:)?//").matcher(text).find(), path + " loads from another host");
            assertFalse(text.contains("@import") || text.contains("url(http"), path);
        }
        assertTrue(get("/_hoft/ui", null).headers().firstValue("Content-Type").orElseThrow().startsWith("text/html"));
        assertTrue(get("/_hoft/ui/app.js", null).headers().firstValue("Content-Type").orElseThrow().startsWith("text/javascript"));
        assertEquals(404, get("/_hoft/ui/secret.txt", ALICE).statusCode());
        assertEquals(405, f.post("/_hoft/ui", new byte[0]).statusCode());
    }

    @Test
    void theDataNeedsTheCredentialOfRequestsAndEachCallerSeesOnlyItsOwnCalls() throws Exception {
        String alices = call("/a/1", ALICE);
        String bobs = call("/b/1", BOB);

        for (String path : List.of("/_hoft/ui/api/overview", "/_hoft/ui/api/calls/" + alices, "/_hoft/ui/charts/calls.svg")) {
            assertEquals(401, get(path, null).statusCode(), path);
            assertEquals(401, get(path, "Bearer wrong-key-0123456789abcdef").statusCode(), path);
        }
        HttpResponse<byte[]> r = get("/_hoft/ui/api/overview", ALICE);
        assertEquals(200, r.statusCode());
        assertEquals("no-store", r.headers().firstValue("Cache-Control").orElseThrow());
        JsonNode overview = FrontFixture.json(r);
        assertEquals("front", overview.path("node").asText());
        assertEquals("apikey:alice", overview.path("caller").asText());
        assertEquals("back", overview.path("peers").path(0).path("id").asText());
        assertEquals("up", overview.path("peers").path(0).path("state").asText());
        assertTrue(overview.path("peers").path(0).path("backlog").has("inboundPendingFiles"), "backlog both ways");
        List<String> ids = new ArrayList<>();
        overview.path("calls").forEach(c -> ids.add(c.path("id").asText()));
        assertTrue(ids.contains(alices), ids + " holds alice's call");
        assertFalse(ids.contains(bobs), ids + " holds only alice's calls");
        JsonNode mine = overview.path("calls").path(ids.indexOf(alices));
        assertEquals("POST", mine.path("method").asText());
        assertEquals("/a/1", mine.path("target").asText());
        assertEquals("responded", mine.path("status").asText());
        assertEquals(200, mine.path("responseStatus").asInt());
        assertFalse(overview.path("share").path("enabled").asBoolean());

        JsonNode timeline = FrontFixture.json(get("/_hoft/ui/api/calls/" + alices, ALICE));
        assertTrue(timeline.path("timestamps").has("accepted") && timeline.path("timestamps").has("responded"), timeline.toString());
        assertEquals(404, get("/_hoft/ui/api/calls/" + bobs, ALICE).statusCode(), "bob's call is not alice's to see");
        assertEquals(404, get("/_hoft/ui/api/calls/not-an-id", ALICE).statusCode());
    }

    @Test
    void theChartsAreSvgDrawnFromTheFrontsOwnCountsWithAPointForThisMinute() throws Exception {
        call("/c/1", ALICE);
        call("/c/2", ALICE);

        HttpResponse<byte[]> calls = get("/_hoft/ui/charts/calls.svg", ALICE);
        assertEquals(200, calls.statusCode());
        assertTrue(calls.headers().firstValue("Content-Type").orElseThrow().startsWith("image/svg+xml"));
        String svg = new String(calls.body(), StandardCharsets.UTF_8);
        assertTrue(sum(values(svg, "accepted")) >= 2, svg);
        assertTrue(sum(values(svg, "responded")) >= 2, svg);
        assertEquals(List.of(), values(svg, "failed"));
        String latency = new String(get("/_hoft/ui/charts/latency.svg", ALICE).body(), StandardCharsets.UTF_8);
        assertFalse(values(latency, "p50").isEmpty(), latency);
        assertFalse(values(latency, "p99").isEmpty(), latency);
    }

    private static double sum(List<String> values) {
        return values.stream().mapToDouble(Double::parseDouble).sum();
    }

    private static List<String> values(String svg, String series) {
        Matcher m = Pattern.compile("data-series=\"" + series + "\" data-value=\"([0-9.]+)\"").matcher(svg);
        List<String> values = new ArrayList<>();
        while (m.find()) {
            values.add(m.group(1));
        }
        return values;
    }
}
