package io.hoft.back;

import static io.hoft.back.BackHarness.fields;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.CallError;
import io.hoft.transport.message.MessageId;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Callee failures become the answers of the contract, with {@code Hoft-Error}, the envelope's
 * error and a JSON body; only a connection that could not be established is retried, and
 * nothing that may have reached the callee is sent twice.
 */
class UpstreamFailureTest extends RawCalleeSuite {
    static int closedPort;

    @BeforeAll
    static void start() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        start(callee -> String.join("\n",
                "  upstreams:",
                "    api: {url: 'http://localhost:" + callee.port() + "/base', responseTimeout: 3s}",
                "    slow: {url: '" + callee.url() + "', responseTimeout: 400ms}",
                "    down: {url: 'http://127.0.0.1:" + closedPort + "', connectTimeout: 1s}",
                "    small: {url: '" + callee.url() + "', maxResponseBody: 1KiB}",
                "    single: {url: '" + callee.url() + "', maxConcurrent: 1, responseTimeout: 5s}",
                "  retry: {maxRetries: 2, delay: 150ms}"));
    }

    private static BackHarness.Delivered call(String method, String target, String upstream, byte[] body) throws Exception {
        return harness.awaitResponse(harness.send(method, target, upstream, fields("Host", "h"), body));
    }

    private static void assertSynthetic(BackHarness.Delivered response, CallError error, MessageId id) throws Exception {
        assertEquals(error.status(), response.envelope().status());
        assertEquals(error.reason(), response.envelope().reason());
        assertEquals(error.code(), response.envelope().error());
        assertEquals(error.code(), response.header("Hoft-Error"));
        assertEquals("application/json", response.header("Content-Type"));
        assertEquals(Long.toString(response.length()), response.header("Content-Length"));
        JsonNode json = new ObjectMapper().readTree(response.body());
        assertEquals(error.code(), json.get("error").asText());
        assertEquals(error.status(), json.get("status").asInt());
        assertEquals(id.value(), json.get("requestId").asText());
        assertTrue(json.get("message").asText().length() > 5, json.toString());
    }

    private static long connectAttempts(MessageId id) throws Exception {
        return harness.readBack(tx -> tx.queryLong("SELECT connect_attempts FROM back_request WHERE id = ?", id.value()));
    }

    @Test
    void aCalleeThatRefusesConnectionsGets502UnreachableAfterTheRetries() throws Exception {
        long before = harness.back().metrics().get("hoft_back_connect_attempts_total", "upstream", "down");
        long start = System.nanoTime();
        MessageId id = harness.send("POST", "/x", "down", fields("Host", "h"), "body".getBytes());
        BackHarness.Delivered response = harness.awaitResponse(id);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertSynthetic(response, CallError.UPSTREAM_UNREACHABLE, id);
        assertEquals(3, harness.back().metrics().get("hoft_back_connect_attempts_total", "upstream", "down") - before);
        assertEquals(3, connectAttempts(id));
        assertTrue(millis >= 300, "two retries 150 ms apart took only " + millis + " ms");
        assertTrue(harness.statuses(id).isEmpty(), "no delivered status: the callee never got the request");
    }

    @Test
    void aCalleeThatNeverAnswersGets504TimeoutAndIsCalledOnce() throws Exception {
        callee.script(callee.hang());
        MessageId id = harness.send("GET", "/slow", "slow", fields("Host", "h"), new byte[0]);
        BackHarness.Delivered response = harness.awaitResponse(id);
        assertSynthetic(response, CallError.UPSTREAM_TIMEOUT, id);
        assertEquals(1, callee.requests().size());
        assertEquals("delivered", harness.statuses(id).get(0).status());
    }

    @Test
    void aPostThatTimedOutIsNotRetried() throws Exception {
        callee.script(callee.hang());
        MessageId id = harness.send("POST", "/pay", "slow", fields("Host", "h"), "amount=1".getBytes());
        assertSynthetic(harness.awaitResponse(id), CallError.UPSTREAM_TIMEOUT, id);
        Thread.sleep(500);
        assertEquals(1, callee.requests().size());
    }

    @Test
    void aCalleeThatStopsReadingTheRequestBodyIsBrokenOffAsATimeout() throws Exception {
        callee.readBodies(false);
        callee.script(callee.hang());
        byte[] body = new byte[32 * 1024 * 1024];
        MessageId id = harness.send(MessageId.generate(Clock.systemUTC()), "PUT", "/big", "slow", fields("Host", "h"),
                Body.ofBytes(body), Duration.ofMinutes(5));
        assertSynthetic(harness.awaitResponse(id, Duration.ofSeconds(60)), CallError.UPSTREAM_TIMEOUT, id);
        assertEquals(1, callee.requests().size());
    }

    @Test
    void aConnectionClosedAfterTheRequestGets502FailedAndIsNotRetried() throws Exception {
        callee.script(RawCallee.disconnect());
        BackHarness.Delivered response = call("GET", "/", "api", new byte[0]);
        assertSynthetic(response, CallError.UPSTREAM_FAILED, response.envelope().requestId());
        Thread.sleep(300);
        assertEquals(1, callee.requests().size());
    }

    @Test
    void aResponseCutOffInTheBodyGets502Failed() throws Exception {
        callee.script(RawCallee.replyAndClose("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part of it"));
        BackHarness.Delivered response = call("GET", "/", "api", new byte[0]);
        assertSynthetic(response, CallError.UPSTREAM_FAILED, response.envelope().requestId());
        assertEquals(1, callee.requests().size());
    }

    @Test
    void aMalformedResponseGets502Failed() throws Exception {
        callee.script(RawCallee.replyAndClose("this is not HTTP\r\n\r\n"));
        BackHarness.Delivered response = call("GET", "/", "api", new byte[0]);
        assertSynthetic(response, CallError.UPSTREAM_FAILED, response.envelope().requestId());
    }

    @Test
    void aResponseBodyOverTheLimitGets502TooLarge() throws Exception {
        callee.script(RawCallee.reply("HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n" + "x".repeat(2000)));
        BackHarness.Delivered response = call("GET", "/", "small", new byte[0]);
        assertSynthetic(response, CallError.UPSTREAM_RESPONSE_TOO_LARGE, response.envelope().requestId());
    }

    @Test
    void anUnknownUpstreamIsForbiddenWithoutACall() throws Exception {
        MessageId id = harness.send("GET", "/", "nope", fields("Host", "h"), new byte[0]);
        assertSynthetic(harness.awaitResponse(id), CallError.UPSTREAM_FORBIDDEN, id);
        assertEquals(0, callee.requests().size());
        assertTrue(harness.statuses(id).isEmpty());
    }

    @Test
    void absoluteTargetsOutsideTheConfiguredUpstreamsAreForbiddenWithoutACall() throws Exception {
        String self = "localhost:" + callee.port(); // only api names localhost; it has the base path /base
        for (String target : new String[] {
                "http://example.com/", "https://" + self + "/base/x", "http://" + self + "/other", "http://" + self + "/basement",
                "http://user@" + self + "/base/x", "ftp://" + self + "/base/x",
                "example.com:443", "base/x"}) {
            MessageId id = harness.send("GET", target, "api", fields("Host", "h"), new byte[0]);
            BackHarness.Delivered response = harness.awaitResponse(id);
            assertEquals(403, response.envelope().status(), target);
            assertEquals("upstream-forbidden", response.header("Hoft-Error"), target);
        }
        MessageId connect = harness.send("CONNECT", "/base", "api", fields("Host", "h"), new byte[0]);
        assertEquals(403, harness.awaitResponse(connect).envelope().status());
        assertEquals(0, callee.requests().size());
    }

    @Test
    void aRequestThatExpiresWhileQueuedGets504ExpiredWithoutACall() throws Exception {
        callee.script(RawCallee.delayed(2500, RawCallee.reply("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")));
        MessageId first = harness.send("GET", "/first", "single", fields("Host", "h"), new byte[0]);
        callee.awaitRequests(1, 5000);
        MessageId second = harness.send(MessageId.generate(Clock.systemUTC()), "GET", "/second", "single", fields("Host", "h"),
                Body.EMPTY, Duration.ofMillis(1200));
        BackHarness.Delivered expired = harness.awaitResponse(second);
        assertSynthetic(expired, CallError.EXPIRED, second);
        assertEquals(200, harness.awaitResponse(first).envelope().status());
        assertEquals(1, callee.requests().size(), "only the first request reached the callee");
    }

    @Test
    void aStatusLineTheEnvelopeCannotCarryIsMadeSafeOrRefusedAndNeverBlocksTheChannel() throws Exception {
        callee.script(RawCallee.reply("HTTP/1.1 200 O\u0000K\r\nContent-Length: 0\r\n\r\n"));
        BackHarness.Delivered nul = call("GET", "/", "api", new byte[0]);
        assertEquals(200, nul.envelope().status());
        assertEquals("O K", nul.envelope().reason());
        callee.script(RawCallee.replyAndClose("HTTP/1.1 1000 Too Big\r\nContent-Length: 0\r\n\r\n"));
        BackHarness.Delivered big = call("GET", "/", "api", new byte[0]);
        assertSynthetic(big, CallError.UPSTREAM_FAILED, big.envelope().requestId());
        callee.script(RawCallee.reply("HTTP/1.1 200 OK\r\nX-Bad: a\u0000b\r\nContent-Length: 0\r\n\r\n"));
        BackHarness.Delivered header = call("GET", "/", "api", new byte[0]);
        assertSynthetic(header, CallError.UPSTREAM_FAILED, header.envelope().requestId());
    }
}
