package io.hoft.tools.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hoft.samples.SampleCallee;
import io.hoft.samples.WebhookReceiver;
import io.hoft.samples.WebhookVerifier;
import io.hoft.tools.Cli;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crash check, with real processes: a setup written by {@code hoft init}, the front
 * and the back run as {@code hoft front} and {@code hoft back} in their own JVMs, callers keep
 * sending async calls (poll and signed callbacks), and both nodes are killed with SIGKILL at
 * seeded random moments and restarted. In the end every call that was answered 202 has finished
 * and the callee saw no id twice.
 *
 * <p>What "finished" means is the back's documented promise (BackNode): a call the back was in
 * the middle of when it was killed has an unknown outcome at the callee, so it is answered
 * {@code 502 upstream-interrupted} and never called again (at most once, never twice). Every
 * other accepted call ends {@code responded} with the callee's answer, and the callee saw it
 * exactly once. A caller whose connection broke got no 202; its call may be lost, but if the
 * front had stored it, it still reaches the callee at most once.
 *
 * <p>{@code -Dhoft.soak=true} (or {@code -Dhoft.long=true}) runs the big version: more kills and
 * more calls; {@code -Dhoft.crash.seed=N} replays another schedule.
 */
class NodeCrashTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String INTERRUPTED = "upstream-interrupted";

    @TempDir
    Path root;

    private final List<NodeProcess> processes = Collections.synchronizedList(new ArrayList<>());
    private SampleCallee callee;
    private WebhookReceiver hooks;
    private ExecutorService callers;

    /** A call answered 202: its id at the front and whether it asked for a callback. */
    private record Accepted(String requestId, boolean callback) {}

    @AfterEach
    void stopEverything() throws Exception {
        if (callers != null) {
            callers.shutdownNow();
        }
        synchronized (processes) {
            for (NodeProcess process : processes) {
                process.close();
            }
        }
        if (hooks != null) {
            hooks.close();
        }
        if (callee != null) {
            callee.close();
        }
    }

    @Test
    void nodesKilledWithSigkillWhileCallsAreInFlightFinishEveryAcceptedCallAndCallNoIdTwice() throws Exception {
        boolean soak = Boolean.getBoolean("hoft.soak") || Boolean.getBoolean("hoft.long");
        int kills = soak ? 12 : 3; // of each node
        long seed = Long.getLong("hoft.crash.seed", 7L);
        Random random = new Random(seed);

        callee = SampleCallee.start("127.0.0.1", 0);
        int port = NodeProcess.freePort();
        Path setup = root.resolve("setup");
        Cli.Result init = Cli.run("init", setup, "--upstream", "http://127.0.0.1:" + callee.port(), "--front-port", port);
        assertEquals(0, init.exit(), init::toString);
        hooks = WebhookReceiver.start("127.0.0.1", 0,
                new WebhookVerifier(Files.readString(setup.resolve("keys/webhook.secret")).trim()));
        List<String> refusedHooks = Collections.synchronizedList(new ArrayList<>());
        hooks.onRefusal(refusedHooks::add);

        Map<String, NodeProcess> running = new ConcurrentHashMap<>();
        running.put("back", startBack(setup));
        running.put("front", startFront(setup, port));

        URI front = URI.create("http://127.0.0.1:" + port);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        Map<String, Accepted> accepted = new ConcurrentSkipListMap<>();
        Map<Integer, AtomicInteger> otherAnswers = new ConcurrentSkipListMap<>();
        AtomicInteger sent = new AtomicInteger();
        AtomicInteger broken = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        int threads = soak ? 6 : 3;
        callers = Executors.newFixedThreadPool(threads);
        for (int t = 0; t < threads; t++) {
            callers.execute(() -> {
                while (!stop.get()) {
                    int n = sent.incrementAndGet();
                    String testId = "crash-" + n;
                    boolean callback = n % 2 == 0;
                    HttpRequest.Builder request = HttpRequest.newBuilder(front.resolve("/echo?n=" + n))
                            .header("X-Test-Id", testId).timeout(Duration.ofSeconds(20))
                            .POST(HttpRequest.BodyPublishers.ofString("call " + n));
                    if (callback) {
                        request.header("Hoft-Callback", hooks.resultUrl().toString());
                    } else {
                        request.header("Prefer", "respond-async");
                    }
                    try {
                        HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
                        if (response.statusCode() == 202) {
                            String id = response.headers().firstValue("Hoft-Request-Id").orElseThrow();
                            if (!id.equals(JSON.readTree(response.body()).path("id").asText())) {
                                problems.add(testId + ": the 202 body does not name " + id);
                            }
                            accepted.put(testId, new Accepted(id, callback));
                        } else {
                            otherAnswers.computeIfAbsent(response.statusCode(), s -> new AtomicInteger()).incrementAndGet();
                        }
                        Thread.sleep(soak ? 5 : 20); // leave the shared cores to the nodes
                    } catch (IOException e) {
                        // the front died under this call (or is down): the caller got no 202
                        broken.incrementAndGet();
                        sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        problems.add(testId + ": " + e);
                    }
                }
            });
        }

        List<String> victims = new ArrayList<>();
        for (int i = 0; i < kills; i++) {
            victims.add("front");
            victims.add("back");
        }
        Collections.shuffle(victims, random);
        List<String> schedule = new ArrayList<>();
        for (String victim : victims) {
            int before = accepted.size();
            long pause = 500 + random.nextInt(soak ? 3000 : 2000);
            Thread.sleep(pause);
            running.get(victim).kill();
            int at = accepted.size();
            long down = random.nextInt(500);
            Thread.sleep(down);
            running.put(victim, victim.equals("front") ? startFront(setup, port) : startBack(setup));
            schedule.add(String.format("+%dms kill -9 %s (%d calls accepted since the last kill), restart after %dms",
                    pause, victim, at - before, down));
        }
        // the last restart takes calls too, then the callers stop
        int afterLast = accepted.size();
        await().atMost(Duration.ofSeconds(30)).until(() -> accepted.size() > afterLast + 5);
        stop.set(true);
        callers.shutdown();
        assertTrue(callers.awaitTermination(60, TimeUnit.SECONDS), "the callers stopped");
        System.out.printf("seed %d: %d calls sent, %d answered 202, %d broken by a kill, other answers %s%n  %s%n", seed,
                sent.get(), accepted.size(), broken.get(), otherAnswers, String.join("\n  ", schedule));
        assertEquals(List.of(), problems, "what the callers saw");
        assertTrue(accepted.size() >= 50, "enough calls were accepted to mean something: " + accepted.size());
        // a killed front refuses connections or breaks them; a live one only says 202 (or sheds load, never 5xx else)
        assertTrue(otherAnswers.keySet().stream().allMatch(status -> status == 429 || status == 503),
                "answers other than 202: " + otherAnswers);

        // every accepted call finishes
        Map<String, JsonNode> finished = new ConcurrentHashMap<>();
        Map<String, String> pending = new ConcurrentHashMap<>();
        accepted.forEach((testId, call) -> pending.put(testId, call.requestId()));
        await().atMost(Duration.ofSeconds(soak ? 300 : 90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            for (Map.Entry<String, String> call : pending.entrySet()) {
                HttpResponse<byte[]> state = http.send(HttpRequest.newBuilder(front.resolve("/_hoft/requests/" + call.getValue()))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(200, state.statusCode(), () -> "the front knows accepted call " + call + ": "
                        + new String(state.body(), java.nio.charset.StandardCharsets.UTF_8));
                JsonNode json = JSON.readTree(state.body());
                String status = json.path("status").asText();
                if (status.equals("responded") || status.equals("failed") || status.equals("expired")) {
                    finished.put(call.getKey(), json);
                    pending.remove(call.getKey());
                }
            }
            assertEquals(Map.of(), pending, "accepted calls not finished yet");
        });

        Map<String, Long> counts = new TreeMap<>();
        JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + callee.port() + "/calls")).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body()).path("counts").fields()
                .forEachRemaining(entry -> counts.put(entry.getKey(), entry.getValue().asLong()));
        Map<String, Long> twice = new TreeMap<>(counts);
        twice.values().removeIf(count -> count == 1);
        assertEquals(Map.of(), twice, "ids the callee saw more (or less) than once");

        List<String> interrupted = new ArrayList<>();
        for (Map.Entry<String, Accepted> call : accepted.entrySet()) {
            String testId = call.getKey();
            String id = call.getValue().requestId();
            JsonNode state = finished.get(testId);
            String status = state.path("status").asText();
            if (status.equals("failed") && INTERRUPTED.equals(state.path("error").asText())) {
                // the back was calling it when killed: answered, not called again; the callee saw it at most once
                interrupted.add(testId);
                assertEquals(502, state.path("response").path("status").asInt(), () -> testId + ": " + state);
            } else {
                assertEquals("responded", status, () -> testId + " (" + id + ") ended " + state);
                assertEquals(1L, counts.getOrDefault(testId, 0L), () -> "the callee saw " + testId + " once");
                HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(front.resolve("/_hoft/requests/" + id + "/response"))
                        .build(), HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(200, response.statusCode(), () -> testId + ": the callee's answer is there");
                JsonNode echo = JSON.readTree(response.body());
                assertEquals("call " + testId.substring("crash-".length()), echo.path("body").asText(),
                        () -> testId + ": its own body came back");
            }
            if (call.getValue().callback()) {
                WebhookReceiver.Callback callback = hooks.resultOf(id).get(60, TimeUnit.SECONDS);
                // a retry after a crash keeps the webhook-id, so the receiver can drop a repeat
                assertEquals(id + "-result", callback.webhookId(), testId);
                assertEquals(status, callback.json().path("status").asText(), () -> testId + ": the callback says how it ended");
                if (status.equals("responded")) {
                    assertEquals(200, callback.json().path("response").path("status").asInt(), testId);
                }
            }
        }
        // each SIGKILL of the back can interrupt only the calls it was making at that moment (at most the
        // upstream's maxConcurrent, 64 by default)
        assertTrue(interrupted.size() <= kills * 64L, "interrupted calls " + interrupted);
        assertEquals(List.of(), refusedHooks, "callbacks that failed verification");
        // SIGKILL loses nothing a node wrote: a file is stored before it counts as sent, so no stored copy
        // can be missing (a resend racing an ack once reported acked files as missing and sent them again)
        for (String node : List.of("front", "back")) {
            List<String> wrong = Files.readAllLines(root.resolve(node + ".log")).stream()
                    .filter(line -> line.contains(" ERROR ") || line.contains("is missing; rebuilding it")).toList();
            assertEquals(List.of(), wrong, node + ".log");
        }
        System.out.printf("every accepted call finished: %d responded, %d answered upstream-interrupted %s; callee saw %d ids,"
                + " each once%n", accepted.size() - interrupted.size(), interrupted.size(), interrupted, counts.size());
    }

    private NodeProcess startFront(Path setup, int port) throws IOException {
        NodeProcess front = NodeProcess.start("front", setup.resolve("front.yaml"), root.resolve("front.log"), Map.of());
        processes.add(front);
        return front.awaitHealthy(port);
    }

    private NodeProcess startBack(Path setup) throws IOException {
        NodeProcess back = NodeProcess.start("back", setup.resolve("back.yaml"), root.resolve("back.log"), Map.of());
        processes.add(back);
        return back.awaitLog("back back running");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
