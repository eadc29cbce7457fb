package io.hoft.tools.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hoft.samples.SampleCallee;
import io.hoft.tools.Cli;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hoft front} and {@code hoft back} as real processes stopped the way a service manager
 * stops them: SIGTERM drains and the process exits 0, a call in flight is answered (not reset)
 * and finishes; a second signal stops at once (exit 130).
 */
class NodeSignalTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration EXIT = Duration.ofSeconds(60);

    @TempDir
    Path root;

    private final List<NodeProcess> processes = new ArrayList<>();
    private SampleCallee callee;
    private Path setup;
    private int port;
    private URI front;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void init() throws IOException {
        callee = SampleCallee.start("127.0.0.1", 0);
        port = NodeProcess.freePort();
        setup = root.resolve("setup");
        Cli.Result init = Cli.run("init", setup, "--upstream", "http://127.0.0.1:" + callee.port(), "--front-port", port);
        assertEquals(0, init.exit(), init::toString);
        front = URI.create("http://127.0.0.1:" + port);
    }

    @AfterEach
    void stop() throws InterruptedException {
        for (NodeProcess process : processes) {
            process.close();
        }
        callee.close();
    }

    @Test
    void sigtermOfTheFrontAnswersTheSyncCallInFlightAndExitsZero() throws Exception {
        NodeProcess back = startBack();
        NodeProcess frontNode = startFront();
        CompletableFuture<HttpResponse<byte[]>> call = http.sendAsync(HttpRequest.newBuilder(front.resolve("/slow?ms=3000"))
                .header("X-Test-Id", "term-front").timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        awaitCalleeSaw("term-front");

        frontNode.term();
        // the caller gets an answer, not a reset: 202 (the call goes on) or, if the response won the race, the response
        HttpResponse<byte[]> answer = call.get(60, TimeUnit.SECONDS);
        assertTrue(answer.statusCode() == 202 || answer.statusCode() == 200,
                () -> answer.statusCode() + " " + new String(answer.body(), StandardCharsets.UTF_8));
        assertEquals(0, frontNode.awaitExit(EXIT), () -> "exit code of hoft front after SIGTERM:\n" + log(frontNode));
        assertTrue(log(frontNode).contains("SIGTERM: draining"), () -> log(frontNode));
        String id = answer.headers().firstValue("Hoft-Request-Id").orElseThrow();

        // the call goes on: once the front is back, it is answered with the callee's response, called once
        NodeProcess again = startFront();
        JsonNode done = awaitFinished(id);
        assertEquals("responded", done.path("status").asText(), done::toString);
        assertEquals(200, done.path("response").path("status").asInt(), done::toString);
        assertEquals(1, calleeCount("term-front"));

        again.term();
        assertEquals(0, again.awaitExit(EXIT), () -> log(again));
        back.term();
        assertEquals(0, back.awaitExit(EXIT), () -> "exit code of hoft back after SIGTERM:\n" + log(back));
    }

    @Test
    void sigtermOfTheBackWithACallInFlightExitsZeroAndTheCallCompletes() throws Exception {
        NodeProcess back = startBack();
        NodeProcess frontNode = startFront();
        String id = submitAsync("/slow?ms=3000", "term-back");
        awaitCalleeSaw("term-back");

        back.term();
        assertEquals(0, back.awaitExit(EXIT), () -> "exit code of hoft back after SIGTERM:\n" + log(back));
        assertTrue(log(back).contains("SIGTERM: draining"), () -> log(back));

        startBack();
        JsonNode done = awaitFinished(id);
        // the drain let the call finish: the callee's own answer, not upstream-interrupted
        assertEquals("responded", done.path("status").asText(), done::toString);
        assertEquals(200, done.path("response").path("status").asInt(), done::toString);
        assertEquals(1, calleeCount("term-back"));
        frontNode.term();
        assertEquals(0, frontNode.awaitExit(EXIT), () -> log(frontNode));
    }

    @Test
    void aSecondSignalStopsTheBackAtOnceWithoutCallingTheIdAgain() throws Exception {
        NodeProcess back = startBack();
        startFront();
        String id = submitAsync("/slow?ms=10000", "term-twice");
        awaitCalleeSaw("term-twice");

        back.term();
        await().atMost(EXIT).until(() -> log(back).contains("SIGTERM: draining"));
        back.term();
        assertEquals(130, back.awaitExit(EXIT), () -> "exit code of hoft back after a second SIGTERM:\n" + log(back));

        // the call was in flight with an unknown outcome: answered upstream-interrupted, never called again
        startBack();
        JsonNode done = awaitFinished(id);
        assertEquals("failed", done.path("status").asText(), done::toString);
        assertEquals("upstream-interrupted", done.path("error").asText(), done::toString);
        assertEquals(1, calleeCount("term-twice"));
    }

    private NodeProcess startFront() throws IOException {
        NodeProcess node = NodeProcess.start("front", setup.resolve("front.yaml"), root.resolve("front.log"), Map.of());
        processes.add(node);
        return node.awaitHealthy(port);
    }

    private NodeProcess startBack() throws IOException {
        NodeProcess node = NodeProcess.start("back", setup.resolve("back.yaml"), root.resolve("back.log"), Map.of());
        processes.add(node);
        return node.awaitLog("back back running");
    }

    private String submitAsync(String target, String testId) throws Exception {
        HttpResponse<byte[]> accepted = http.send(HttpRequest.newBuilder(front.resolve(target)).header("X-Test-Id", testId)
                .header("Prefer", "respond-async").timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(202, accepted.statusCode(), () -> new String(accepted.body(), StandardCharsets.UTF_8));
        return accepted.headers().firstValue("Hoft-Request-Id").orElseThrow();
    }

    private void awaitCalleeSaw(String testId) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> calleeCount(testId) == 1);
    }

    private long calleeCount(String testId) throws Exception {
        return JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + callee.port() + "/calls?id=" + testId))
                .build(), HttpResponse.BodyHandlers.ofByteArray()).body()).path("count").asLong();
    }

    private JsonNode awaitFinished(String id) {
        return await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> JSON.readTree(
                http.send(HttpRequest.newBuilder(front.resolve("/_hoft/requests/" + id)).build(),
                        HttpResponse.BodyHandlers.ofByteArray()).body()),
                json -> List.of("responded", "failed", "expired").contains(json.path("status").asText()));
    }

    private static String log(NodeProcess node) {
        try {
            return node.thisRunsLog();
        } catch (IOException e) {
            return e.toString();
        }
    }
}
