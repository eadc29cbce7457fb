package io.hoft.tools.spool;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hoft.back.BackConfig;
import io.hoft.back.BackNode;
import io.hoft.front.FrontConfig;
import io.hoft.front.FrontNode;
import io.hoft.samples.SampleCallee;
import io.hoft.tools.Cli;
import io.hoft.tools.node.Setup;
import io.hoft.transport.config.ConfigLoader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hoft spool requests}, {@code request}, {@code export --har} and {@code replay} as an
 * operator runs them, against a real chain in this JVM (front, back, folder link, sample
 * callee): a call fails because the callee is down, the callee comes up, and the failed call is
 * replayed; it reaches the callee once.
 */
class SpoolRequestsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @Test
    void aFailedCallIsListedTracedExportedAndReplayedOnce() throws Exception {
        int calleePort = freePort();
        Setup setup = Setup.of(dir, "http://127.0.0.1:" + calleePort, 0, false);
        setup.write();
        Path front = setup.frontConfig();
        Path back = setup.backConfig();
        // Over 64 KiB: the front keeps it as a body file of its own, which the replay must find.
        String bigBody = "{\"pad\":\"" + "x".repeat(70 * 1024) + "\"}";
        String failedId;
        String okId;
        try (BackNode backNode = BackNode.start(BackConfig.load(back, Map.of()));
                FrontNode frontNode = FrontNode.open(ConfigLoader.load(front, FrontConfig.class, Map.of()), Clock.systemUTC())) {
            frontNode.start();
            URI frontUrl = URI.create("http://127.0.0.1:" + frontNode.address().getPort());

            // The callee is down: the back cannot connect and answers upstream-unreachable.
            HttpResponse<String> failed = http.send(HttpRequest.newBuilder(frontUrl.resolve("/echo?x=1&name=a%20b"))
                    .timeout(WAIT).header("X-Test-Id", "t1").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(bigBody)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(502, failed.statusCode(), failed.body());
            failedId = failed.headers().firstValue("Hoft-Request-Id").orElseThrow();

            try (SampleCallee callee = SampleCallee.start("127.0.0.1", calleePort)) {
                URI calleeUrl = URI.create("http://127.0.0.1:" + calleePort);
                HttpResponse<String> ok = http.send(HttpRequest.newBuilder(frontUrl.resolve("/echo")).timeout(WAIT)
                        .header("X-Test-Id", "t2").GET().build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, ok.statusCode(), ok.body());
                okId = ok.headers().firstValue("Hoft-Request-Id").orElseThrow();

                requests(front, back, failedId, okId);
                request(front, back, failedId, okId);
                export(front, failedId, okId, bigBody);

                // --dry-run plans and changes nothing.
                String before = Cli.run("spool", "requests", "--config", front, "--json").json().get("requests").toString();
                Cli.Result dry = Cli.run("spool", "replay", failedId, "--config", front, "--new-id", "--dry-run");
                assertEquals(0, dry.exit(), dry.toString());
                assertTrue(dry.out().startsWith("would send POST /echo?x=1&name=a%20b"), dry.toString());
                Cli.Result dryJson = Cli.run("spool", "replay", failedId, "--config", front, "--new-id", "--dry-run", "--json");
                assertEquals(0, dryJson.exit(), dryJson.toString());
                assertEquals("resend", dryJson.json().get("action").asText());
                assertFalse(dryJson.json().get("done").asBoolean());
                Thread.sleep(1500); // long enough for a wrongly sent call to show up
                assertEquals(before, Cli.run("spool", "requests", "--config", front, "--json").json().get("requests").toString());
                assertEquals(0, count(calleeUrl, "t1"));

                // Without --new-id a call that never reached its callee would go again under its own id
                // (SpoolReplayTest follows that through); here it goes as a new call.
                Cli.Result sameId = Cli.run("spool", "replay", failedId, "--config", front, "--dry-run", "--json");
                assertEquals(0, sameId.exit(), sameId.toString());
                assertEquals("attempt", sameId.json().get("action").asText());
                // Refusals: a responded call without callback, an unknown id, a bad id.
                Cli.Result noCallback = Cli.run("spool", "replay", okId, "--config", front, "--json");
                assertEquals(1, noCallback.exit(), noCallback.toString());
                assertTrue(noCallback.json().get("error").asText().contains("no callback URL"), noCallback.toString());
                assertEquals(1, Cli.run("spool", "replay", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "--config", front).exit());
                assertEquals(2, Cli.run("spool", "replay", "not an id!", "--config", front).exit());
                assertEquals(2, Cli.run("spool", "replay", failedId, "--config", front, "--new-id", "--callback").exit());

                // The admin endpoint answers only the token of STATE/admin.json (owner-only); to anyone else it does not exist.
                Path adminFile = dir.resolve("state/front/admin.json");
                assertTrue(Files.exists(adminFile));
                for (String authorization : List.of("", "Bearer wrong")) {
                    HttpRequest.Builder post = HttpRequest.newBuilder(frontUrl.resolve("/_hoft/admin/requests/" + failedId + "/resend"))
                            .POST(HttpRequest.BodyPublishers.noBody());
                    if (!authorization.isEmpty()) {
                        post.header("Authorization", authorization);
                    }
                    assertEquals(404, http.send(post.build(), HttpResponse.BodyHandlers.ofString()).statusCode());
                }
                assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(adminFile)));

                // The replay: a new call through the running front; it reaches the callee once.
                Cli.Result replay = Cli.run("spool", "replay", failedId, "--config", front, "--new-id", "--json");
                assertEquals(0, replay.exit(), replay.toString());
                String newId = replay.json().get("result").get("id").asText();
                assertNotEquals(failedId, newId);
                assertEquals(failedId, replay.json().get("result").get("replayOf").asText());
                await().atMost(WAIT).until(() -> Cli.run("spool", "request", newId, "--config", front, "--json").json()
                        .get("request").get("status").asText().equals("responded"));
                Thread.sleep(1500); // a second delivery would show up in this time
                assertEquals(1, count(calleeUrl, "t1"));
                JsonNode replayed = Cli.run("spool", "request", newId, "--config", front, "--json").json();
                assertEquals(failedId, replayed.get("request").get("replayOf").asText());
                assertEquals(200, replayed.get("request").get("responseStatus").asInt());
                JsonNode original = Cli.run("spool", "request", failedId, "--config", front, "--json").json();
                assertEquals(newId, original.get("replays").get(0).asText());
                assertEquals("failed", original.get("request").get("status").asText(), "the original stays as it was");
                // The callee saw the replayed body whole.
                JsonNode echo = JSON.readTree(http.send(HttpRequest.newBuilder(frontUrl.resolve("/_hoft/requests/" + newId
                        + "/response")).GET().build(), HttpResponse.BodyHandlers.ofString()).body());
                assertEquals(bigBody, echo.get("body").asText());

                // stats counts the store's calls by status.
                JsonNode counts = Cli.run("spool", "stats", "--config", front, "--json").json().get("sections").get("requests");
                assertEquals(1, counts.get("byStatus").get("failed").asInt(), counts.toString());
                assertEquals(2, counts.get("byStatus").get("responded").asInt(), counts.toString());
                assertEquals(0, counts.get("open").asInt(), counts.toString());

                // --to: the captured call straight to a URL, from here; the node is not involved.
                Cli.Result to = Cli.run("spool", "replay", okId, "--config", front, "--to", calleeUrl, "--json");
                assertEquals(0, to.exit(), to.toString());
                assertEquals(200, to.json().get("result").get("status").asInt());
                assertEquals("/echo", JSON.readTree(to.json().get("result").get("body").asText()).get("target").asText());
                assertEquals(2, count(calleeUrl, "t2"), "once through hoft, once by --to");
                Cli.Result toText = Cli.run("spool", "replay", okId, "--config", front, "--to", calleeUrl + "/base", "--dry-run");
                assertEquals(0, toText.exit(), toText.toString());
                assertTrue(toText.out().contains("would send GET " + calleeUrl + "/base/echo"), toText.toString());
                Cli.Result nobody = Cli.run("spool", "replay", okId, "--config", front, "--to", "http://127.0.0.1:" + freePort());
                assertEquals(1, nobody.exit(), nobody.toString());
            }
        }
        assertFalse(Files.exists(dir.resolve("state/front/admin.json")), "the admin file goes with the server");
        // A stopped front is not changed behind its back.
        Cli.Result stopped = Cli.run("spool", "replay", failedId, "--config", front, "--new-id");
        assertEquals(2, stopped.exit(), stopped.toString());
        assertTrue(stopped.err().contains("not running"), stopped.toString());
        assertEquals(0, Cli.run("spool", "replay", failedId, "--config", front, "--new-id", "--dry-run").exit());
    }

    private static void requests(Path front, Path back, String failedId, String okId) {
        Cli.Result text = Cli.run("spool", "requests", "--config", front);
        assertEquals(0, text.exit(), text.toString());
        assertTrue(text.out().startsWith("front front: 2 calls"), text.toString());
        assertTrue(text.out().contains(failedId) && text.out().contains(okId), text.toString());
        assertTrue(text.out().contains("upstream-unreachable"), text.toString());

        JsonNode all = Cli.run("spool", "requests", "--config", front, "--json").json();
        assertEquals("front", all.get("side").asText());
        assertEquals(2, all.get("total").asInt());
        JsonNode newest = all.get("requests").get(0);
        assertEquals(okId, newest.get("id").asText(), "newest first");
        assertEquals("responded", newest.get("status").asText());
        assertEquals("GET", newest.get("method").asText());
        assertEquals(200, newest.get("responseStatus").asInt());
        assertTrue(newest.get("lastChangeMs").asLong() >= newest.get("acceptedMs").asLong());
        JsonNode failed = all.get("requests").get(1);
        assertEquals("failed", failed.get("status").asText());
        assertEquals("/echo?x=1&name=a%20b", failed.get("target").asText());
        assertEquals("upstream-unreachable", failed.get("error").asText());
        assertEquals(502, failed.get("responseStatus").asInt());

        JsonNode onlyFailed = Cli.run("spool", "requests", "--config", front, "--status", "failed", "--json").json();
        assertEquals(1, onlyFailed.get("requests").size());
        assertEquals(failedId, onlyFailed.get("requests").get(0).get("id").asText());
        assertEquals(0, Cli.run("spool", "requests", "--config", front, "--since", "2099-01-01T00:00:00Z", "--json").json()
                .get("requests").size());
        assertEquals(2, Cli.run("spool", "requests", "--config", front, "--since", "1h", "--json").json().get("total").asInt());
        Cli.Result limited = Cli.run("spool", "requests", "--config", front, "--limit", "1");
        assertTrue(limited.out().contains("the newest 1 shown"), limited.toString());
        assertEquals(2, Cli.run("spool", "requests", "--config", front, "--status", "nonsense").exit());
        assertEquals(2, Cli.run("spool", "requests").exit(), "--config is required");

        JsonNode backSide = Cli.run("spool", "requests", "--config", back, "--json").json();
        assertEquals("back", backSide.get("side").asText());
        assertEquals(2, backSide.get("requests").size());
        for (JsonNode call : backSide.get("requests")) {
            assertEquals("front", call.get("fromPeer").asText());
            assertEquals("default", call.get("upstream").asText());
            assertEquals("responded", call.get("status").asText());
        }
    }

    private static void request(Path front, Path back, String failedId, String okId) {
        Cli.Result text = Cli.run("spool", "request", failedId, "--config", front);
        assertEquals(0, text.exit(), text.toString());
        for (String step : List.of("accepted", "sent", "transferred", "failed", "ttl")) {
            assertTrue(text.out().contains(step), step + " in\n" + text);
        }
        JsonNode life = Cli.run("spool", "request", failedId, "--config", front, "--json").json();
        List<String> events = new ArrayList<>();
        life.get("events").forEach(e -> events.add(e.get("event").asText()));
        assertEquals("accepted", events.get(0), events.toString());
        assertTrue(events.containsAll(List.of("queued", "sent", "transferred", "failed")), events.toString());
        assertTrue(events.indexOf("transferred") < events.indexOf("failed"), events.toString());
        JsonNode file = life.get("files").get(0);
        assertTrue(file.get("seq").asLong() >= 1, file.toString());
        assertTrue(file.get("name").asText().contains(".hoft") || !file.get("name").asText().isEmpty(), file.toString());
        assertTrue(life.get("request").get("requestKept").asBoolean());
        assertEquals(0, life.get("callbacks").size());

        JsonNode backLife = Cli.run("spool", "request", okId, "--config", back, "--json").json();
        List<String> backEvents = new ArrayList<>();
        backLife.get("events").forEach(e -> backEvents.add(e.get("event").asText()));
        assertEquals(List.of("received", "calling", "answered"), backEvents);

        Cli.Result unknown = Cli.run("spool", "request", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "--config", front);
        assertEquals(1, unknown.exit(), unknown.toString());
        assertTrue(unknown.err().contains("no call"), unknown.toString());
        assertEquals(2, Cli.run("spool", "request", "not an id!", "--config", front).exit());
    }

    private void export(Path front, String failedId, String okId, String bigBody) throws Exception {
        Path har = dir.resolve("calls.har");
        Cli.Result result = Cli.run("spool", "export", "--har", har, "--config", front);
        assertEquals(0, result.exit(), result.toString());
        assertTrue(result.out().startsWith("wrote 2 calls to "), result.toString());
        JsonNode log = JSON.readTree(Files.readString(har, StandardCharsets.UTF_8)).get("log");
        assertEquals("1.2", log.get("version").asText());
        assertEquals("hoft", log.get("creator").get("name").asText());
        assertTrue(log.get("creator").has("version"));
        JsonNode entries = log.get("entries");
        assertEquals(2, entries.size());
        for (JsonNode entry : entries) {
            HarCheck.entry(entry);
        }
        JsonNode failed = entries.get(0);
        assertEquals(failedId, failed.get("_hoft").get("id").asText(), "oldest first");
        assertEquals("POST", failed.get("request").get("method").asText());
        assertTrue(failed.get("request").get("url").asText().matches("http://127\\.0\\.0\\.1:\\d+/echo\\?x=1&name=a%20b"),
                failed.get("request").get("url").asText());
        assertEquals("a b", failed.get("request").get("queryString").get(1).get("value").asText());
        assertEquals(bigBody, failed.get("request").get("postData").get("text").asText());
        assertEquals("application/json", failed.get("request").get("postData").get("mimeType").asText());
        assertEquals(bigBody.length(), failed.get("request").get("bodySize").asLong());
        assertEquals(502, failed.get("response").get("status").asInt());
        assertEquals("upstream-unreachable", failed.get("_hoft").get("error").asText());
        JsonNode ok = entries.get(1);
        assertEquals(okId, ok.get("_hoft").get("id").asText());
        assertEquals(200, ok.get("response").get("status").asInt());
        assertEquals("/echo", JSON.readTree(ok.get("response").get("content").get("text").asText()).get("target").asText());
        assertFalse(ok.get("request").has("postData"), "no body, no postData");

        JsonNode summary = Cli.run("spool", "export", "--har", dir.resolve("failed.har"), "--config", front, "--status", "failed",
                "--json").json();
        assertEquals(1, summary.get("entries").asInt());
        Cli.Result stdout = Cli.run("spool", "export", "--har", "-", "--config", front, "--since", "2099-01-01T00:00:00Z");
        assertEquals(0, JSON.readTree(stdout.out()).get("log").get("entries").size());
        assertEquals(2, Cli.run("spool", "export", "--config", front).exit(), "--har is required");
    }

    private int count(URI callee, String testId) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(callee.resolve("/calls?id=" + testId)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(response.body()).get("count").asInt();
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
