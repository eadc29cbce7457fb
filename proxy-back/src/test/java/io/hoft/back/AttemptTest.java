package io.hoft.back;

import static io.hoft.back.BackHarness.fields;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.hoft.transport.message.CallError;
import io.hoft.transport.message.MessageId;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A later attempt of a request (same request id, new message id, {@code attempt} 2 or more) is
 * called only if the back's record proves the callee was never reached; otherwise it gets the
 * recorded answer and the callee is not called again. The callee is a real HTTP server on
 * loopback that counts the calls it gets per request (by the {@code X-Call} field).
 */
class AttemptTest {
    @TempDir
    Path root;

    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private HttpServer server;
    private BackHarness harness;

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        if (harness != null) {
            harness.close();
        }
        if (server != null) {
            server.stop(0);
        }
    }

    /** A callee on {@code port}: {@code /hang} holds the call until the test ends, everything else answers 200 at once. */
    private void startCallee(int port) throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        server.createContext("/", exchange -> {
            String call = exchange.getRequestHeaders().getFirst("X-Call");
            calls.computeIfAbsent(call, k -> new AtomicInteger()).incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            if (exchange.getRequestURI().getPath().equals("/hang")) {
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] body = ("called " + call).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
    }

    private int calls(String call) {
        AtomicInteger n = calls.get(call);
        return n == null ? 0 : n.get();
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private BackHarness harness(int port, String responseTimeout) throws Exception {
        harness = new BackHarness(root, String.join("\n",
                "  upstreams:",
                "    api: {url: 'http://127.0.0.1:" + port + "', connectTimeout: 1s, responseTimeout: " + responseTimeout
                        + ", maxConcurrent: 1}",
                "  retry: {maxRetries: 1, delay: 100ms}",
                "  drainTimeout: 500ms")).startFront().startBack();
        return harness;
    }

    private String stateOf(MessageId id) throws Exception {
        return harness.readBack(tx -> tx.queryOne("SELECT state || '/' || attempt || '/' || COALESCE(error, '-') FROM back_request"
                + " WHERE id = ?", r -> r.getString(1), id.value()).orElse("none"));
    }

    @Test
    void aRequestRecordedUnreachableIsCalledOnceByALaterAttemptOnceTheCalleeIsUp() throws Exception {
        int port = freePort();
        harness(port, "5s");
        MessageId id = harness.send("POST", "/orders", "api", fields("Host", "h", "X-Call", "a"), "one".getBytes());
        BackHarness.Delivered first = harness.awaitResponse(id);
        assertEquals(CallError.UPSTREAM_UNREACHABLE.code(), first.envelope().error());
        assertEquals("responded/1/upstream-unreachable", stateOf(id));

        startCallee(port);
        MessageId second = harness.sendAttempt(id, 2, "POST", "/orders", "api", fields("Host", "h", "X-Call", "a"),
                "one".getBytes());
        BackHarness.Delivered answer = harness.awaitResponse(second);
        assertEquals(200, answer.envelope().status(), answer.bodyText());
        assertNull(answer.envelope().error());
        assertEquals("called a", answer.bodyText());
        assertEquals(second, answer.envelope().requestId(), "the answer names the attempt's message");
        assertTrue(harness.statuses(second).isEmpty(), "a fast call's response says it was delivered");
        assertEquals(1, calls("a"));
        assertEquals("responded/2/-", stateOf(id), "one record per request id, replaced by the attempt");

        // A third attempt, and the second one delivered again, find a callee that was reached: the recorded 200, no call.
        MessageId third = harness.sendAttempt(id, 3, "POST", "/orders", "api", fields("Host", "h", "X-Call", "a"),
                "one".getBytes());
        BackHarness.Delivered again = harness.awaitResponse(third);
        assertEquals(200, again.envelope().status());
        assertEquals("called a", again.bodyText());
        harness.forgetDelivery(id);
        harness.send(id, "POST", "/orders", "api", fields("Host", "h", "X-Call", "a"),
                io.hoft.transport.message.Body.ofBytes("one".getBytes()), Duration.ofMinutes(10));
        await().atMost(Duration.ofSeconds(30)).until(() -> harness.responses(third).size() >= 2);
        Thread.sleep(500);
        assertEquals(1, calls("a"), "the callee saw request " + id + " once");
        assertEquals("responded/3/-", stateOf(id));
    }

    @Test
    void aRequestRecordedExpiredIsCalledByALaterAttempt() throws Exception {
        int port = freePort();
        startCallee(port);
        harness(port, "3s");
        // The callee's one permit is held by a call that hangs until its timeout; meanwhile the
        // short-lived request expires in the queue and the back answers it expired, without a call.
        MessageId blocker = harness.send("GET", "/hang", "api", fields("Host", "h", "X-Call", "b"), new byte[0]);
        await().atMost(Duration.ofSeconds(30)).until(() -> calls("b") == 1);
        MessageId id = harness.send(MessageId.generate(java.time.Clock.systemUTC()), "GET", "/late", "api",
                fields("Host", "h", "X-Call", "e"), io.hoft.transport.message.Body.EMPTY, Duration.ofMillis(1500));
        BackHarness.Delivered first = harness.awaitResponse(id);
        assertEquals(CallError.EXPIRED.code(), first.envelope().error());
        assertEquals(0, calls("e"));
        assertEquals(CallError.UPSTREAM_TIMEOUT.code(), harness.awaitResponse(blocker).envelope().error());

        MessageId second = harness.sendAttempt(id, 2, "GET", "/late", "api", fields("Host", "h", "X-Call", "e"), new byte[0]);
        BackHarness.Delivered answer = harness.awaitResponse(second);
        assertEquals(200, answer.envelope().status(), answer.bodyText());
        assertEquals(1, calls("e"));
        assertEquals("responded/2/-", stateOf(id));
    }

    @Test
    void aRequestThatTimedOutIsNotCalledAgainByALaterAttempt() throws Exception {
        int port = freePort();
        startCallee(port);
        harness(port, "500ms");
        MessageId id = harness.send("POST", "/hang", "api", fields("Host", "h", "X-Call", "t"), "pay".getBytes());
        BackHarness.Delivered first = harness.awaitResponse(id);
        assertEquals(CallError.UPSTREAM_TIMEOUT.code(), first.envelope().error());
        assertEquals(1, calls("t"));

        MessageId second = harness.sendAttempt(id, 2, "POST", "/hang", "api", fields("Host", "h", "X-Call", "t"),
                "pay".getBytes());
        BackHarness.Delivered answer = harness.awaitResponse(second);
        assertEquals(504, answer.envelope().status());
        assertEquals(CallError.UPSTREAM_TIMEOUT.code(), answer.envelope().error(), "the recorded answer, not a new call");
        assertEquals(second, answer.envelope().requestId());
        Thread.sleep(1000);
        assertEquals(1, calls("t"), "the callee may have acted: it is never called twice");
        assertEquals("responded/2/upstream-timeout", stateOf(id));
    }

    @Test
    void aRequestInterruptedByAStopIsNotCalledAgainByALaterAttempt() throws Exception {
        int port = freePort();
        startCallee(port);
        harness(port, "60s");
        MessageId id = harness.send("POST", "/hang", "api", fields("Host", "h", "X-Call", "i"), "pay".getBytes());
        await().atMost(Duration.ofSeconds(30)).until(() -> calls("i") == 1);
        harness.stopBack(); // past the drain timeout: the call is broken off, answered upstream-interrupted
        harness.startBack();
        BackHarness.Delivered first = harness.awaitResponse(id);
        assertEquals(CallError.UPSTREAM_INTERRUPTED.code(), first.envelope().error());

        MessageId second = harness.sendAttempt(id, 2, "POST", "/hang", "api", fields("Host", "h", "X-Call", "i"),
                "pay".getBytes());
        BackHarness.Delivered answer = harness.awaitResponse(second);
        assertEquals(CallError.UPSTREAM_INTERRUPTED.code(), answer.envelope().error());
        assertNotEquals(id, answer.envelope().requestId());
        Thread.sleep(1000);
        assertEquals(1, calls("i"));
        assertEquals("responded/2/upstream-interrupted", stateOf(id));
    }
}
