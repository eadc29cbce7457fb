package io.hoft.back;

import static io.hoft.back.BackHarness.fields;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.MessageId;
import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.BlockingHandler;
import io.undertow.util.HttpString;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The back end to end: a stand-in front sends REQUEST messages over a folder link to a real
 * BackNode, which calls a real HTTP server (Undertow) on loopback; the RESPONSE messages come
 * back the same way. Also checks that each upstream's concurrency bound holds and that a busy
 * upstream does not hold up another.
 */
class BackEndToEndTest {
    @TempDir
    static Path root;

    static Undertow server;
    static BackHarness harness;
    static final AtomicInteger slowActive = new AtomicInteger();
    static final AtomicInteger slowMax = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        server = Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(new BlockingHandler(BackEndToEndTest::handle)).build();
        server.start();
        int port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
        harness = new BackHarness(root, String.join("\n",
                "  upstreams:",
                "    api: {url: 'http://127.0.0.1:" + port + "/svc', maxConcurrent: 3}",
                "    other: {url: 'http://127.0.0.1:" + port + "', maxConcurrent: 2}"))
                .startFront().startBack();
    }

    @AfterAll
    static void stop() throws Exception {
        harness.close();
        server.stop();
    }

    private static void handle(HttpServerExchange exchange) throws Exception {
        if (exchange.getRequestPath().startsWith("/svc/slow")) {
            int now = slowActive.incrementAndGet();
            slowMax.accumulateAndGet(now, Math::max);
            try {
                Thread.sleep(300);
            } finally {
                slowActive.decrementAndGet();
            }
        }
        byte[] body = exchange.getInputStream().readAllBytes();
        ObjectMapper json = new ObjectMapper();
        var echo = json.createObjectNode()
                .put("method", exchange.getRequestMethod().toString())
                .put("path", exchange.getRequestPath())
                .put("query", exchange.getQueryString())
                .put("host", exchange.getRequestHeaders().getFirst("Host"))
                .put("userAgent", exchange.getRequestHeaders().getFirst("User-Agent"))
                .put("body", new String(body, StandardCharsets.UTF_8));
        exchange.getResponseHeaders().add(new HttpString("Set-Cookie"), "a=1");
        exchange.getResponseHeaders().add(new HttpString("Set-Cookie"), "b=2");
        exchange.getResponseHeaders().put(new HttpString("Content-Type"), "application/json");
        exchange.getResponseSender().send(json.writeValueAsString(echo));
    }

    @Test
    void aCallCrossesTheLinkToARealServerAndItsResponseComesBack() throws Exception {
        MessageId id = harness.send("POST", "/echo?x=1&y=%20", "api",
                fields("Host", "caller.example", "Content-Type", "application/json"), "{\"n\":1}".getBytes(StandardCharsets.UTF_8));
        BackHarness.Delivered response = harness.awaitResponse(id);
        assertEquals(200, response.envelope().status());
        JsonNode echo = new ObjectMapper().readTree(response.body());
        assertEquals("POST", echo.get("method").asText());
        assertEquals("/svc/echo", echo.get("path").asText());
        assertEquals("x=1&y=%20", echo.get("query").asText());
        assertTrue(echo.get("host").asText().startsWith("127.0.0.1:"), echo.toString());
        assertTrue(echo.get("userAgent").isNull(), "no User-Agent was invented: " + echo);
        assertEquals("{\"n\":1}", echo.get("body").asText());
        List<String> cookies = new ArrayList<>();
        for (HeaderField field : response.envelope().headers()) {
            if (field.hasName("Set-Cookie")) {
                cookies.add(field.value());
            }
        }
        assertEquals(List.of("a=1", "b=2"), cookies);
        assertEquals("1.1 hoft", response.header("Via"));
        assertTrue(harness.statuses(id).isEmpty(), "a fast call's response says it was delivered: no status of its own");
    }

    @Test
    void aFastCallsResponseIsTheOnlyDataFileTheBackSendsForIt() throws Exception {
        harness.awaitResponse(harness.send("GET", "/echo", "api", fields("Host", "h"), new byte[0])); // channel warmed up
        long before = harness.back().metrics().get("hoft_files_sent_total", "peer", "front", "kind", "data");
        MessageId id = harness.send("GET", "/echo?fast", "api", fields("Host", "h"), new byte[0]);
        assertEquals(200, harness.awaitResponse(id).envelope().status());
        assertEquals(before + 1, harness.back().metrics().get("hoft_files_sent_total", "peer", "front", "kind", "data"),
                "the delivered status is folded into the response: one file, not two");
        assertTrue(harness.statuses(id).isEmpty());
    }

    @Test
    void aCallStillRunningAfterTheDeliveredStatusDelayIsReportedDeliveredFirst() throws Exception {
        MessageId id = harness.send("GET", "/slow/one", "api", fields("Host", "h"), new byte[0]);
        BackHarness.Delivered response = harness.awaitResponse(id);
        assertEquals(200, response.envelope().status());
        List<io.hoft.transport.message.Envelope.Status> statuses = harness.statuses(id);
        assertEquals(1, statuses.size(), "the callee took 300 ms, longer than the 100 ms delay");
        assertEquals("delivered", statuses.get(0).status());
    }

    @Test
    void eachUpstreamsConcurrencyBoundHoldsAndABusyUpstreamDoesNotHoldUpAnother() throws Exception {
        slowMax.set(0);
        List<MessageId> slow = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            slow.add(harness.send("GET", "/slow/" + i, "api", fields("Host", "h"), new byte[0]));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> slowActive.get() > 0);
        long start = System.nanoTime();
        MessageId quick = harness.send("GET", "/quick", "other", fields("Host", "h"), new byte[0]);
        assertEquals(200, harness.awaitResponse(quick).envelope().status());
        long quickMillis = (System.nanoTime() - start) / 1_000_000;
        for (MessageId id : slow) {
            assertEquals(200, harness.awaitResponse(id).envelope().status());
        }
        long slowMillis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(3, slowMax.get(), "most calls in flight at once to api (maxConcurrent 3)");
        assertTrue(quickMillis < slowMillis, "the other upstream's call took " + quickMillis + " ms, api's batch " + slowMillis);
        assertTrue(slowMillis >= 900, "12 calls of 300 ms, 3 at a time, cannot end in " + slowMillis + " ms");
    }
}
