package io.hoft.front;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The front runs as a real process and is killed with SIGKILL while callers keep sending
 * (small and large bodies, async and sync) and nothing has been answered yet; restarted, it
 * completes every call it had answered with 202, each exactly once at the back, with the
 * caller's own body coming back.
 */
class FrontCrashTest {
    @TempDir
    Path root;

    @Test
    void everyCallAnswered202BeforeAKillCompletesAfterTheRestartExactlyOnce() throws Exception {
        FrontFixture fixture = FrontFixture.in(root).front("sync: {defaultWait: 2s, maxWait: 2s}").prepare();
        fixture.startBack();
        CountDownLatch release = new CountDownLatch(1);
        fixture.back.respondWith((call, back) -> {
            release.await(120, TimeUnit.SECONDS);
            TestBack.ECHO.respond(call, back);
        });
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        Map<String, byte[]> accepted = new ConcurrentHashMap<>();
        AtomicInteger sent = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        ChildFront front = ChildFront.start(root, "128m", "front-1");
        ExecutorService callers = Executors.newFixedThreadPool(6);
        try {
            for (int t = 0; t < 6; t++) {
                callers.execute(() -> {
                    while (!stop.get()) {
                        int n = sent.incrementAndGet();
                        byte[] body = body(n);
                        HttpRequest.Builder request = HttpRequest.newBuilder(front.uri("/crash/" + n))
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).timeout(Duration.ofSeconds(30));
                        if (n % 4 != 0) {
                            request.header("Prefer", "respond-async");
                        }
                        try {
                            HttpResponse<byte[]> r = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
                            if (r.statusCode() == 202) {
                                accepted.put(r.headers().firstValue("Hoft-Request-Id").orElseThrow(), body);
                            }
                        } catch (Exception e) {
                            // the front died under this call: it was never answered 202
                        }
                    }
                });
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> accepted.size() >= 40);
            front.kill();
            stop.set(true);
            callers.shutdown();
            assertTrue(callers.awaitTermination(60, TimeUnit.SECONDS));
            assertTrue(accepted.size() >= 40);
            System.out.println("killed the front after " + sent.get() + " calls, " + accepted.size() + " answered 202");

            ChildFront restarted = ChildFront.start(root, "128m", "front-2");
            try {
                release.countDown();
                for (Map.Entry<String, byte[]> call : accepted.entrySet()) {
                    String id = call.getKey();
                    JsonNode done = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() ->
                            FrontFixture.JSON.readTree(http.send(HttpRequest.newBuilder(restarted.uri("/_hoft/requests/" + id)).build(),
                                    HttpResponse.BodyHandlers.ofByteArray()).body()), json -> json.path("status").asText().equals("responded"));
                    assertEquals(id, done.get("id").asText());
                    HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(restarted.uri("/_hoft/requests/" + id + "/response"))
                            .build(), HttpResponse.BodyHandlers.ofByteArray());
                    assertEquals(200, response.statusCode());
                    assertTrue(Arrays.equals(call.getValue(), response.body()), "the caller's body came back for " + id);
                    assertEquals(1, fixture.back.deliveries(id), "the back got " + id + " once");
                }
                for (Map.Entry<String, AtomicInteger> delivery : fixture.back.deliveries.entrySet()) {
                    assertEquals(1, delivery.getValue().get(), "every request reached the back once: " + delivery.getKey());
                }
            } finally {
                restarted.close();
            }
            try (io.hoft.transport.store.NodeStore store = io.hoft.transport.store.NodeStore.open(root.resolve("state/front"));
                 java.util.stream.Stream<Path> files = Files.list(root.resolve("state/front/bodies"))) {
                List<String> owned = store.inTransaction(tx -> tx.query("SELECT name FROM body_file", row -> row.getString(1)));
                for (Path file : files.toList()) {
                    assertTrue(owned.contains(file.getFileName().toString()), "a body file without an owner: " + file);
                }
            }
        } finally {
            stop.set(true);
            callers.shutdownNow();
            front.kill();
            release.countDown();
            fixture.back.close();
        }
    }

    /** Every fifth body is large enough to go through a body file. */
    private static byte[] body(int n) {
        byte[] body = new byte[n % 5 == 0 ? 100_000 + n : 16 + n % 100];
        new java.util.Random(n).nextBytes(body);
        return body;
    }
}
