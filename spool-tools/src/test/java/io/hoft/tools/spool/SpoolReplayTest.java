package io.hoft.tools.spool;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.hoft.back.BackConfig;
import io.hoft.back.BackNode;
import io.hoft.front.FrontConfig;
import io.hoft.front.FrontNode;
import io.hoft.samples.SampleCallee;
import io.hoft.samples.WebhookVerifier;
import io.hoft.tools.Cli;
import io.hoft.tools.node.Setup;
import io.hoft.transport.config.ConfigLoader;
import java.net.InetSocketAddress;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hoft spool replay} under the same id, run as an operator runs it (the entry point of
 * {@code bin/hoft}) against a real chain in this JVM: a front and a back made by {@code hoft
 * init}'s setup, a folder link, the sample callee and a callback receiver that verifies every
 * Standard Webhooks signature. A call that failed because the callee was down, and one that
 * expired before the back got it, are sent again under their own ids and reach the callee once;
 * one that timed out (the callee may have acted) is refused under its id; a stored result is
 * delivered again with the same webhook-id; nothing is changed while the front is not running.
 */
class SpoolReplayTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** One callback as it arrived, its signature already verified. */
    record Delivery(String webhookId, String timestamp, JsonNode body) {}

    @Test
    void failedAndExpiredCallsGoAgainUnderTheirOwnIdAndReachTheCalleeOnce() throws Exception {
        int calleePort = freePort();
        Setup setup = Setup.of(dir, "http://127.0.0.1:" + calleePort, 0, false);
        setup.write();
        Path front = setup.frontConfig();
        Path back = setup.backConfig();
        // A short response timeout, so that a slow call ends in 504 upstream-timeout quickly.
        Files.writeString(back, Files.readString(back).replace("responseTimeout: 60s", "responseTimeout: 1500ms"));
        WebhookVerifier verifier = new WebhookVerifier(Files.readString(setup.webhookSecret()).trim());
        List<Delivery> deliveries = new CopyOnWriteArrayList<>();
        List<String> refusals = new CopyOnWriteArrayList<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/webhook", exchange -> {
            try (exchange) {
                byte[] body = exchange.getRequestBody().readAllBytes();
                String id = exchange.getRequestHeaders().getFirst("webhook-id");
                String timestamp = exchange.getRequestHeaders().getFirst("webhook-timestamp");
                try {
                    verifier.verify(id, timestamp, exchange.getRequestHeaders().getFirst("webhook-signature"), body);
                } catch (Exception e) {
                    refusals.add(id + ": " + e.getMessage());
                    exchange.sendResponseHeaders(401, -1);
                    return;
                }
                deliveries.add(new Delivery(id, timestamp, JSON.readTree(body)));
                exchange.sendResponseHeaders(204, -1);
            }
        });
        receiver.start();
        URI callbackUrl = URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/webhook");
        String downId;
        String slowId;
        try {
            BackNode backNode = BackNode.start(BackConfig.load(back, Map.of()));
            try (FrontNode frontNode = FrontNode.open(ConfigLoader.load(front, FrontConfig.class, Map.of()), Clock.systemUTC())) {
                frontNode.start();
                URI frontUrl = URI.create("http://127.0.0.1:" + frontNode.address().getPort());
                URI calleeUrl = URI.create("http://127.0.0.1:" + calleePort);

                // 1. The callee is down: the back cannot connect and the call fails upstream-unreachable.
                downId = async(frontUrl, "/echo?n=1", "down", callbackUrl, "{\"order\":1}");
                Delivery failure = awaitDelivery(deliveries, downId + "-result");
                assertEquals("failed", failure.body().get("status").asText(), failure.toString());
                assertEquals("upstream-unreachable", failure.body().get("error").asText());

                // --dry-run plans a new attempt under the same id and changes nothing.
                String before = requestsJson(front);
                Cli.Result dry = Cli.run("spool", "replay", downId, "--config", front, "--dry-run", "--json");
                assertEquals(0, dry.exit(), dry.toString());
                assertEquals("attempt", dry.json().get("action").asText());
                assertFalse(dry.json().get("done").asBoolean());
                assertTrue(dry.json().get("plan").asText().contains("under the same id " + downId + " as attempt 2"), dry.toString());
                Cli.Result dryText = Cli.run("spool", "replay", downId, "--config", front, "--dry-run");
                assertEquals(0, dryText.exit(), dryText.toString());
                assertTrue(dryText.out().startsWith("would send POST /echo?n=1"), dryText.toString());
                Thread.sleep(1000);
                assertEquals(before, requestsJson(front), "a dry run changes nothing");

                try (SampleCallee callee = SampleCallee.start("127.0.0.1", calleePort)) {
                    // The callee is up: the same id goes again, reaches it once, and ends responded.
                    Cli.Result replay = Cli.run("spool", "replay", downId, "--config", front, "--json");
                    assertEquals(0, replay.exit(), replay.toString());
                    assertTrue(replay.json().get("done").asBoolean());
                    assertEquals("attempt", replay.json().get("action").asText());
                    assertEquals(downId, replay.json().get("result").get("id").asText());
                    assertEquals(2, replay.json().get("result").get("attempt").asInt());
                    JsonNode responded = awaitStatus(front, downId, "responded");
                    assertEquals(200, responded.get("request").get("responseStatus").asInt(), responded.toString());
                    assertEquals(2, responded.get("request").get("attempt").asInt());
                    Delivery result = awaitDelivery(deliveries, downId + "-result-2");
                    assertEquals("responded", result.body().get("status").asText());
                    assertEquals(downId, result.body().get("id").asText());
                    assertEquals("/echo?n=1", JSON.readTree(result.body().get("response").get("body").asText())
                            .get("target").asText());
                    JsonNode backSide = Cli.run("spool", "request", downId, "--config", back, "--json").json();
                    assertEquals("responded", backSide.get("request").get("status").asText(), backSide.toString());
                    assertEquals(2, backSide.get("request").get("attempt").asInt());

                    // The call responded: replaying it again without a flag re-delivers its result, never calls again.
                    Cli.Result again = Cli.run("spool", "replay", downId, "--config", front, "--json");
                    assertEquals(0, again.exit(), again.toString());
                    assertEquals("redeliver", again.json().get("action").asText());
                    await().atMost(WAIT).until(() -> count(deliveries, downId + "-result-2") == 2);

                    // --callback: the stored response reaches the receiver again, same webhook-id, signed anew.
                    Cli.Result redeliver = Cli.run("spool", "replay", downId, "--config", front, "--callback", "--json");
                    assertEquals(0, redeliver.exit(), redeliver.toString());
                    assertEquals("redeliver", redeliver.json().get("action").asText());
                    assertTrue(redeliver.json().get("result").get("reopened").asBoolean(), redeliver.toString());
                    await().atMost(WAIT).until(() -> count(deliveries, downId + "-result-2") == 3);
                    List<Delivery> results = deliveries.stream().filter(d -> d.webhookId().equals(downId + "-result-2")).toList();
                    for (Delivery d : results) {
                        assertEquals(result.body(), d.body(), "the same stored response each time");
                    }
                    Thread.sleep(1500); // a second call to the callee would show up in this time
                    assertEquals(1, calls(calleeUrl, "down"), "the callee saw " + downId + " exactly once");

                    // 2. A call that timed out may have been acted on: not under its own id; --new-id names the way.
                    slowId = async(frontUrl, "/slow?ms=4000", "slow", callbackUrl, "");
                    assertEquals("failed", awaitDelivery(deliveries, slowId + "-result").body().get("status").asText());
                    assertEquals("upstream-timeout", Cli.run("spool", "request", slowId, "--config", front, "--json").json()
                            .get("request").get("error").asText());
                    String beforeRefusal = requestsJson(front);
                    Cli.Result unsafe = Cli.run("spool", "replay", slowId, "--config", front);
                    assertEquals(1, unsafe.exit(), unsafe.toString());
                    assertTrue(unsafe.err().contains("--new-id"), unsafe.toString());
                    assertTrue(unsafe.err().contains("upstream-timeout"), unsafe.toString());
                    Cli.Result unsafeJson = Cli.run("spool", "replay", slowId, "--config", front, "--json");
                    assertEquals(1, unsafeJson.exit(), unsafeJson.toString());
                    assertFalse(unsafeJson.json().get("done").asBoolean());
                    assertTrue(unsafeJson.json().get("error").asText().contains("--new-id"), unsafeJson.toString());
                    assertEquals(1, Cli.run("spool", "replay", slowId, "--config", front, "--dry-run").exit());
                    Thread.sleep(5000); // the slow call has ended at the callee; a second one would be counted by now
                    assertEquals(1, calls(calleeUrl, "slow"));
                    assertEquals(beforeRefusal, requestsJson(front), "a refusal changes nothing");

                    // 3. A call that expired before the back got it: the back is stopped while it lives.
                    backNode.close();
                    String expiredId = async(frontUrl, "/echo?n=3", "expired", callbackUrl, "{\"order\":3}", "2");
                    Delivery expiry = awaitDelivery(deliveries, expiredId + "-result");
                    assertEquals("expired", expiry.body().get("status").asText(), expiry.toString());
                    backNode = BackNode.start(BackConfig.load(back, Map.of()));
                    Thread.sleep(2000); // the back finds the expired file in its inbox and drops it, uncalled
                    assertEquals(0, calls(calleeUrl, "expired"));
                    Cli.Result sameId = Cli.run("spool", "replay", expiredId, "--config", front, "--json");
                    assertEquals(0, sameId.exit(), sameId.toString());
                    assertEquals(2, sameId.json().get("result").get("attempt").asInt());
                    awaitStatus(front, expiredId, "responded");
                    assertEquals("responded", awaitDelivery(deliveries, expiredId + "-result-2").body().get("status").asText());
                    Thread.sleep(1500);
                    assertEquals(1, calls(calleeUrl, "expired"));
                    assertEquals(List.of(), refusals, "every callback verified with the webhook secret");
                }
            } finally {
                backNode.close();
            }
        } finally {
            receiver.stop(0);
        }

        // 4. The front is not running: nothing is changed behind its back (exit 2), whatever was asked.
        String stopped = requestsJson(front);
        // A responded call with a callback (re-delivery), and a failed one as a new call.
        for (List<String> extra : List.of(List.of(downId), List.of(downId, "--callback"), List.of(slowId, "--new-id"))) {
            List<Object> args = new java.util.ArrayList<>(List.of("spool", "replay", "--config", front));
            args.addAll(extra);
            Cli.Result down = Cli.run(args.toArray());
            assertEquals(2, down.exit(), down.toString());
            assertTrue(down.err().contains("is not running") && down.err().contains("nothing was changed"), down.toString());
        }
        assertEquals(stopped, requestsJson(front));
    }

    private String async(URI front, String target, String testId, URI callback, String body) throws Exception {
        return async(front, target, testId, callback, body, null);
    }

    /** An async call with a callback; returns its id. */
    private String async(URI front, String target, String testId, URI callback, String body, String ttl) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(front.resolve(target)).timeout(WAIT)
                .header("X-Test-Id", testId).header("Hoft-Callback", callback.toString());
        if (ttl != null) {
            request.header("Hoft-Ttl", ttl);
        }
        request = body.isEmpty() ? request.GET()
                : request.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, response.statusCode(), response.body());
        return response.headers().firstValue("Hoft-Request-Id").orElseThrow();
    }

    private static Delivery awaitDelivery(List<Delivery> deliveries, String webhookId) {
        await().atMost(WAIT).until(() -> count(deliveries, webhookId) > 0);
        return deliveries.stream().filter(d -> d.webhookId().equals(webhookId)).findFirst().orElseThrow();
    }

    private static long count(List<Delivery> deliveries, String webhookId) {
        return deliveries.stream().filter(d -> d.webhookId().equals(webhookId)).count();
    }

    private static JsonNode awaitStatus(Path front, String id, String status) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(WAIT).until(() -> {
            Cli.Result result = Cli.run("spool", "request", id, "--config", front, "--json");
            assertEquals(0, result.exit(), result.toString());
            last[0] = result.json();
            return last[0].get("request").get("status").asText().equals(status);
        });
        return last[0];
    }

    private static String requestsJson(Path front) {
        Cli.Result result = Cli.run("spool", "requests", "--config", front, "--json");
        assertEquals(0, result.exit(), result.toString());
        return result.json().get("requests").toString();
    }

    private int calls(URI callee, String testId) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(callee.resolve("/calls?id=" + testId)).GET().build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return JSON.readTree(response.body()).get("count").asInt();
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static String ids(List<Delivery> deliveries) {
        return deliveries.stream().map(Delivery::webhookId).collect(Collectors.joining(", "));
    }
}
