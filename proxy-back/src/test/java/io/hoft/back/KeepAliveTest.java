package io.hoft.back;

import static io.hoft.back.BackHarness.fields;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hoft.transport.message.MessageId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pooled connections the callee has left: closed while idle (as Node.js does after 5 s), kept
 * past what the callee announced, or holding bytes the callee sent after a response. The back
 * finds out before it writes a byte of the next request and sends it on a new connection, so
 * every call is answered with its own response, and none reaches the callee twice.
 */
class KeepAliveTest extends RawCalleeSuite {
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    private static final int UPSTREAMS = 10;
    private static int next;
    private String upstream;

    @BeforeAll
    static void start() throws Exception {
        start(callee -> {
            StringBuilder upstreams = new StringBuilder("  upstreams:");
            for (int i = 0; i < UPSTREAMS; i++) {
                upstreams.append("\n    api").append(i).append(": {url: '").append(callee.url())
                        .append("', maxConcurrent: 8, responseTimeout: 10s}");
            }
            return upstreams.toString();
        });
    }

    /** Each test calls its own upstream: its connection pool starts empty whatever the tests before left. */
    @BeforeEach
    void nextUpstream() {
        upstream = "api" + next++;
    }

    @AfterEach
    void keepConnections() {
        callee.idleTimeout(0);
    }

    private BackHarness.Delivered call(String method) throws Exception {
        byte[] body = method.equals("POST") ? "amount=1".getBytes(StandardCharsets.ISO_8859_1) : new byte[0];
        return harness.awaitResponse(harness.send(method, "/k", upstream, fields("Host", "h"), body));
    }

    private static void assertOk(BackHarness.Delivered response) {
        assertEquals(200, response.envelope().status(), response.bodyText());
        assertEquals("ok", response.bodyText());
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET", "POST"})
    void aConnectionTheCalleeClosedWhileIdleIsReplacedBeforeTheNextCall(String method) throws Exception {
        callee.idleTimeout(1000);
        for (int i = 1; i <= 3; i++) {
            int closed = callee.idleCloses();
            assertOk(call(method));
            await().atMost(Duration.ofSeconds(30)).until(() -> callee.idleCloses() > closed); // the pooled one is stale now
        }
        assertEquals(3, callee.requests().size(), "each call reached the callee once");
        assertEquals(3, callee.connections());
    }

    @Test
    void concurrentCallsOnConnectionsTheCalleeClosedAreAllAnsweredOnce() throws Exception {
        callee.idleTimeout(1000);
        callee.script(RawCallee.delayed(300, RawCallee.reply(OK))); // slow enough that the calls overlap
        for (int round = 1; round <= 2; round++) {
            List<MessageId> ids = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String method = i % 2 == 0 ? "GET" : "POST";
                ids.add(harness.send(method, "/c" + i, upstream, fields("Host", "h"), method.equals("POST") ? "x".getBytes() : new byte[0]));
            }
            for (MessageId id : ids) {
                assertOk(harness.awaitResponse(id));
            }
            int opened = callee.connections();
            await().atMost(Duration.ofSeconds(30)).until(() -> callee.idleCloses() == opened);
        }
        assertEquals(16, callee.requests().size(), "each call reached the callee once");
    }

    @Test
    void aConnectionIsDroppedBeforeTheIdleTimeTheCalleeAnnounced() throws Exception {
        callee.script(RawCallee.reply("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 2\r\n\r\nok"));
        assertOk(call("GET"));
        await().pollDelay(Duration.ofMillis(1100)).atMost(Duration.ofSeconds(5)).until(() -> true); // the callee's second passes
        assertOk(call("GET"));
        assertEquals(2, callee.connections(), "the back let the connection go before the callee's timeout");
    }

    @Test
    void bytesTheCalleeSentAfterAResponseAreNeverReadAsTheNextResponse() throws Exception {
        // Twelve blank lines: HttpClient skipped ten looking for the next status line, then failed with
        // "MessageConstraintException: Maximum empty line limit exceeded".
        callee.script(RawCallee.reply(OK + "\r\n".repeat(12)));
        assertOk(call("GET"));
        callee.script(RawCallee.reply(OK));
        assertOk(call("POST"));
        // A whole response after the body must not answer the next call.
        callee.script(RawCallee.reply(OK + "HTTP/1.1 201 Smuggled\r\nContent-Length: 4\r\n\r\nfake"));
        assertOk(call("GET"));
        callee.script(RawCallee.reply(OK));
        assertOk(call("POST"));
        assertEquals(4, callee.requests().size());
        assertEquals(3, callee.connections(), "a connection with bytes after the response was not used again");
    }

    @Test
    void bytesArrivingOnAnIdlePooledConnectionMakeTheBackUseANewOne() throws Exception {
        CountDownLatch late = new CountDownLatch(1);
        callee.script((request, out) -> {
            out.write(OK.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Thread writer = new Thread(() -> {
                try {
                    Thread.sleep(100);
                    out.write("HTTP/1.1 500 Late\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                } catch (Exception e) {
                    // the connection went
                } finally {
                    late.countDown();
                }
            });
            writer.setDaemon(true);
            writer.start();
            return true;
        });
        assertOk(call("GET"));
        late.await(10, TimeUnit.SECONDS);
        callee.script(RawCallee.reply(OK));
        assertOk(call("GET"));
        assertEquals(2, callee.requests().size());
        assertEquals(2, callee.connections());
    }

    @Test
    void aReusedConnectionThatBreaksAfterTheRequestWasWrittenIsNotResent() throws Exception {
        assertOk(call("POST"));
        callee.script(RawCallee.disconnect()); // reads the request, then closes without an answer
        BackHarness.Delivered broken = call("POST");
        assertEquals(502, broken.envelope().status());
        assertEquals("upstream-failed", broken.envelope().error());
        callee.script(RawCallee.reply(OK));
        assertOk(call("POST"));
        assertEquals(3, callee.requests().size(), "the callee may have acted on the broken one: it was not sent again");
    }
}
