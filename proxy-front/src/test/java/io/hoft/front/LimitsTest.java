package io.hoft.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Limits and timeouts: each refusal answers as the contract says and stores nothing. */
class LimitsTest {
    @TempDir
    Path root;
    FrontFixture f;
    final CountDownLatch release = new CountDownLatch(1);

    private FrontFixture start(FrontFixture.Builder builder) throws IOException {
        f = builder.front(
                "limits: {maxBody: 1MiB, maxInFlight: 2, retryAfter: 7s, maxHeaders: 20, maxHeaderBytes: 4KiB,",
                "         readTimeout: 1s, minBodyRate: 10KiB, headerTimeout: 2s}")
                .guard(url -> {
                    if (url.getHost().endsWith(".internal")) {
                        throw new CallbackUrlGuard.ForbiddenCallbackUrlException("private network");
                    }
                }).start();
        f.back.respondWith((call, back) -> {
            if (call.request().target().startsWith("/hold")) {
                release.await(60, TimeUnit.SECONDS);
            }
            TestBack.ECHO.respond(call, back);
        });
        return f;
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        if (f != null) {
            f.close();
        }
    }

    private void assertNothingStored() throws IOException {
        assertEquals(0L, (long) f.node.runtime().store().inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM front_request")));
        assertEquals(0L, (long) f.node.runtime().store().inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM out_message")));
        try (Stream<Path> files = Files.list(f.node.runtime().transport().bodies().dir())) {
            assertEquals(List.of(), files.toList(), "no body file left behind");
        }
        assertEquals(0, f.back.calls.size());
    }

    @Test
    void aDeclaredBodyOverTheLimitGets413BeforeItIsSent() throws Exception {
        start(FrontFixture.in(root));
        try (RawHttp http = f.raw()) {
            RawHttp.Response r = http.send("POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1048577\r\n\r\n")
                    .read(false);
            assertEquals(413, r.status());
            assertEquals("body-too-large", r.header("Hoft-Error"));
            assertEquals("close", r.header("Connection"));
        }
        assertNothingStored();
    }

    @Test
    void aChunkedBodyGrowingOverTheLimitGets413AndLeavesNothing() throws Exception {
        start(FrontFixture.in(root));
        try (RawHttp http = f.raw()) {
            http.send("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
            byte[] chunk = new byte[64 * 1024];
            try {
                for (int i = 0; i < 17; i++) {
                    http.send(Integer.toHexString(chunk.length) + "\r\n").send(chunk).send("\r\n");
                }
            } catch (IOException e) {
                // the front may close while we still write
            }
            RawHttp.Response r = http.read(false);
            assertEquals(413, r.status());
        }
        assertNothingStored();
    }

    @Test
    void theInFlightLimitGives429WithRetryAfter() throws Exception {
        start(FrontFixture.in(root));
        assertEquals(202, f.post("/hold/1", new byte[0], "Prefer", "respond-async").statusCode());
        assertEquals(202, f.post("/hold/2", new byte[0], "Prefer", "respond-async").statusCode());
        HttpResponse<byte[]> refused = f.post("/hold/3", new byte[0], "Prefer", "respond-async");
        assertEquals(429, refused.statusCode());
        assertEquals("7", refused.headers().firstValue("Retry-After").orElseThrow());
        assertEquals("too-many-requests", refused.headers().firstValue("Hoft-Error").orElseThrow());
        assertEquals(2L, (long) f.node.runtime().store().inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM front_request")));
        release.countDown();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() ->
                f.post("/after", new byte[0], "Prefer", "respond-async").statusCode() == 202);
    }

    @Test
    void aFullChannelGives503WithRetryAfterAndNothingHalfStored() throws Exception {
        f = FrontFixture.in(root).channel("maxQueuedMessages: 2").prepare();
        f.startFront(); // no back: nothing is acknowledged, the queue fills
        assertEquals(202, f.post("/1", new byte[0], "Prefer", "respond-async").statusCode());
        assertEquals(202, f.post("/2", new byte[0], "Prefer", "respond-async").statusCode());
        byte[] big = new byte[200_000];
        HttpResponse<byte[]> refused = f.post("/3", big, "Prefer", "respond-async");
        assertEquals(503, refused.statusCode());
        assertEquals("spool-full", refused.headers().firstValue("Hoft-Error").orElseThrow());
        assertTrue(Integer.parseInt(refused.headers().firstValue("Retry-After").orElseThrow()) >= 1);
        assertEquals(2L, (long) f.node.runtime().store().inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM front_request")));
        assertEquals(2L, (long) f.node.runtime().store().inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM out_message")));
        try (Stream<Path> files = Files.list(f.node.runtime().transport().bodies().dir())) {
            assertEquals(List.of(), files.toList(), "the refused call's body file is gone");
        }
    }

    @Test
    void tooManyOrTooLargeHeaderFieldsGive431() throws Exception {
        start(FrontFixture.in(root));
        StringBuilder many = new StringBuilder("GET /x HTTP/1.1\r\nHost: h\r\n");
        for (int i = 0; i < 25; i++) {
            many.append("X-F").append(i).append(": v\r\n");
        }
        try (RawHttp http = f.raw()) {
            RawHttp.Response r = http.send(many.append("\r\n").toString()).read(false);
            assertEquals(431, r.status());
            assertEquals("headers-too-large", r.header("Hoft-Error"));
        }
        try (RawHttp http = f.raw()) {
            RawHttp.Response r = http.send("GET /x HTTP/1.1\r\nHost: h\r\nX-Big: " + "a".repeat(5000) + "\r\n\r\n").read(false);
            assertEquals(431, r.status());
        }
        try (RawHttp http = f.raw()) {
            // far over: Undertow's own backstop (twice the front's limits) refuses while parsing
            http.send("GET /x HTTP/1.1\r\nHost: h\r\nX-Huge: " + "a".repeat(40_000) + "\r\n\r\n");
            assertTrue(refusedOrClosed(http), "Undertow's backstop refuses");
        }
        assertNothingStored();
    }

    @Test
    void aBodyTricklingInBelowTheMinimumRateIsCutOffWith408() throws Exception {
        start(FrontFixture.in(root));
        // 66 bytes per second, under 10 KiB per second, each piece well within the 1 s read timeout
        long seconds = trickle("POST /slow HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n", i -> "0123456789", 150);
        assertTrue(seconds < 5, "cut off after " + seconds + " s");
        assertNothingStored();
    }

    @Test
    void aBodyThatStopsIsCutOffAtTheReadTimeout() throws Exception {
        start(FrontFixture.in(root));
        try (RawHttp http = f.raw()) {
            http.send("POST /stall HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n0123456789");
            long start = System.nanoTime();
            assertTrue(refusedOrClosed(http));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms >= 800 && ms < 5000, "cut off after " + ms + " ms");
        }
        assertNothingStored();
    }

    @Test
    void aRequestHeadTricklingInIsCutOffAtTheHeaderTimeout() throws Exception {
        start(FrontFixture.in(root));
        long seconds = trickle("GET /x HTTP/1.1\r\nHost: h\r\n", i -> "X-" + i + ": v\r\n", 200);
        assertTrue(seconds < 8, "cut off after " + seconds + " s");
        assertNothingStored();
    }

    /** Sends {@code head}, then a piece every {@code intervalMs} until the front refuses or closes; returns the seconds it took. */
    private long trickle(String head, java.util.function.IntFunction<String> piece, long intervalMs) throws Exception {
        long start = System.nanoTime();
        try (RawHttp http = f.raw()) {
            http.send(head);
            try {
                for (int i = 0; i < 100 && System.nanoTime() - start < 15_000_000_000L; i++) {
                    http.send(piece.apply(i));
                    Thread.sleep(intervalMs);
                }
            } catch (IOException e) {
                // closed by the front
            }
            assertTrue(refusedOrClosed(http));
        }
        return (System.nanoTime() - start) / 1_000_000_000L;
    }

    @Test
    void aSyncCallerWaitingLongerThanTheReadTimeoutStillGetsItsAnswer() throws Exception {
        start(FrontFixture.in(root));
        new Thread(() -> {
            try {
                Thread.sleep(2500);
            } catch (InterruptedException e) {
                return;
            }
            release.countDown();
        }).start();
        HttpResponse<byte[]> r = f.post("/hold/sync", "waited".getBytes(), "Prefer", "wait=10");
        assertEquals(200, r.statusCode());
        assertEquals("waited", new String(r.body()));
    }

    @Test
    void aForbiddenCallbackUrlGives400AndNothingIsStored() throws Exception {
        start(FrontFixture.in(root));
        HttpResponse<byte[]> r = f.post("/x", "x".getBytes(), "Hoft-Callback", "http://db.internal/hook");
        assertEquals(400, r.statusCode());
        assertEquals("callback-forbidden", r.headers().firstValue("Hoft-Error").orElseThrow());
        HttpResponse<byte[]> status = f.post("/x", "x".getBytes(), "Hoft-Status-Callback", "http://db.internal/status");
        assertEquals(400, status.statusCode());
        assertNothingStored();
        assertEquals(List.of(), f.scheduler.jobs);
        assertEquals(URI.create("http://db.internal/hook").getHost(), "db.internal");
    }

    /** True when the front answered with an error status or closed the connection. */
    private static boolean refusedOrClosed(RawHttp http) throws IOException {
        try {
            RawHttp.Response r = http.read(false);
            return r.status() >= 400;
        } catch (IOException e) {
            return true;
        }
    }
}
