package io.hoft.front;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * What an outside audit sent the front on purpose, on raw sockets: requests whose framing or
 * version is wrong are refused and never reach the back, the front's own API is never carried
 * across the link, slow bodies hold no thread, and a body folder that cannot be written is a
 * 503 with a log line. After each, the front goes on serving.
 */
class RequestHardeningTest {
    @TempDir
    Path root;
    FrontFixture f;

    @AfterEach
    void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    private FrontFixture start(String... frontLines) throws Exception {
        f = FrontFixture.in(root).front(frontLines).start();
        return f;
    }

    /** Sends raw bytes on a new connection; returns the answer, which must close the connection. */
    private RawHttp.Response refusedAndClosed(String request) throws Exception {
        try (RawHttp http = f.raw()) {
            http.send(request.getBytes(StandardCharsets.ISO_8859_1));
            RawHttp.Response r = http.read(false);
            assertTrue(http.closedByServer(), "the connection closes after " + r.status() + " for " + request);
            return r;
        }
    }

    private void assertStillServes() throws Exception {
        try (RawHttp http = f.raw()) {
            RawHttp.Response r = http.send("POST /alive HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5;name=value\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n").read(false);
            assertEquals(200, r.status());
            assertEquals("hello", r.text());
        }
    }

    @Test
    void malformedChunkedBodiesAre400AndNeverReachTheBack() throws Exception {
        start();
        String head = "POST /chunked HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
        List<String> bodies = List.of(
                "3\r\nhelloworld\r\n0\r\n\r\n", // the audit's: a chunk longer than its size
                "5\r\nhel\r\n0\r\n\r\n", // shorter than its size
                "5\r\nhello0\r\n\r\n", // no CRLF after the data
                "5\r\nhello\n0\r\n\r\n", // bare LF after the data
                "5\r\nhello\r0\r\n\r\n", // bare CR after the data
                "zz\r\nhello\r\n0\r\n\r\n", // not hex
                "0x5\r\nhello\r\n0\r\n\r\n",
                "-5\r\nhello\r\n0\r\n\r\n",
                " 5\r\nhello\r\n0\r\n\r\n",
                "5 \r\nhello\r\n0\r\n\r\n", // white space without an extension
                "5;a\nhello\r\n0\r\n\r\n", // bare LF in an extension
                "5;a\u0001b\r\nhello\r\n0\r\n\r\n", // control character in an extension
                "5\nhello\r\n0\r\n\r\n", // bare LF after the size
                "\r\n5\r\nhello\r\n0\r\n\r\n", // empty size line
                "5\r\nhello\r\n\r\n", // no last chunk
                "fffffffffffffffffff\r\nhello\r\n0\r\n\r\n", // a size no counter holds
                "5\r\nhello\r\n0\r\nNo Colon\r\n\r\n", // malformed trailer
                "5\r\nhello\r\n0\r\n X: folded\r\n\r\n",
                "5\r\nhello\r\n0\r\n\r\r\n");
        for (String body : bodies) {
            RawHttp.Response r = refusedAndClosed(head + body);
            assertEquals(400, r.status(), body);
            assertEquals("bad-framing", r.header("Hoft-Error"), body);
        }
        assertEquals(0, f.back.calls.size(), "nothing was forwarded");
        assertStillServes();
    }

    @Test
    void transferEncodingsTheFrontCannotFrameAreRefusedBeforeTheBody() throws Exception {
        start();
        record Case(String fields, int status) {
        }
        List<Case> cases = List.of(
                new Case("Transfer-Encoding: gzip, chunked\r\n", 501), // a coding the front cannot decode or pass on
                new Case("Transfer-Encoding: chunked, gzip\r\n", 400), // the body's end cannot be found
                new Case("Transfer-Encoding: xchunked\r\n", 400),
                new Case("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", 400),
                new Case("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", 400),
                new Case("Content-Length: 5\r\nContent-Length: 6\r\n", 400),
                new Case("Content-Length: 5\r\nContent-Length: 5\r\n", 400),
                new Case("Content-Length: 5, 5\r\n", 400),
                new Case("Content-Length: +5\r\n", 400));
        for (Case c : cases) {
            RawHttp.Response r = refusedAndClosed("POST /te HTTP/1.1\r\nHost: h\r\n" + c.fields() + "\r\n5\r\nhello\r\n0\r\n\r\n");
            assertEquals(c.status(), r.status(), c.fields());
        }
        RawHttp.Response http10 = refusedAndClosed("POST /te HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n0\r\n\r\n");
        assertEquals(400, http10.status(), "HTTP/1.0 has no Transfer-Encoding (RFC 9112 section 6.1)");
        try (RawHttp http = f.raw()) {
            http.send("POST /short HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nonly part of it");
        } // closed with the body short of its length
        Thread.sleep(300); // give a wrongly accepted call time to be stored (none may be)
        assertEquals(0L, (long) f.node.runtime().store().inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM front_request")));
        assertEquals(0, f.back.calls.size());
        assertStillServes();
    }

    @Test
    void aChunkedBodyFollowedByAPipelinedRequestLeavesTheNextRequestWhole() throws Exception {
        start();
        try (RawHttp http = f.raw()) {
            http.send("POST /first HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                    + "POST /second HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz");
            RawHttp.Response first = http.read(false);
            RawHttp.Response second = http.read(false);
            assertEquals("abc", first.text());
            assertEquals("/second", second.header("X-Echo-Target"));
            assertEquals("xyz", second.text());
        }
    }

    @Test
    void aContentLengthNoNumberHoldsIs413AndNoInternalError() throws Exception {
        start();
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        Logger frontLog = (Logger) LoggerFactory.getLogger("io.hoft.front");
        logged.start();
        frontLog.addAppender(logged);
        try {
            for (String path : List.of("/upload", "/_hoft/health")) {
                RawHttp.Response r = refusedAndClosed("POST " + path + " HTTP/1.1\r\nHost: h\r\n"
                        + "Content-Length: 99999999999999999999999\r\n\r\nhello");
                assertEquals(413, r.status(), path);
                assertEquals("body-too-large", r.header("Hoft-Error"));
                assertFalse(r.text().contains("Exception"), r.text());
            }
        } finally {
            frontLog.detachAppender(logged);
        }
        assertTrue(logged.list.stream().noneMatch(e -> e.getThrowableProxy() != null), "no stack trace logged");
        assertEquals(0, f.back.calls.size());
        assertStillServes();
    }

    @Test
    void aRequestInAnHttpVersionTheFrontDoesNotSpeakIs505AndNeverForwarded() throws Exception {
        start();
        for (String version : List.of("HTTP/9.9", "HTTP/3.0")) {
            RawHttp.Response r = refusedAndClosed("GET /v HTTP/" + version.substring(5) + "\r\nHost: h\r\n\r\n");
            assertEquals(505, r.status(), version);
            assertEquals("http-version-not-supported", r.header("Hoft-Error"));
        }
        assertEquals(0, f.back.calls.size());
        try (RawHttp http = f.raw()) {
            RawHttp.Response minor = http.send("GET /minor HTTP/1.7\r\nHost: h\r\n\r\n").read(false);
            assertEquals(200, minor.status(), "a later 1.x is taken as 1.1 (RFC 9110 section 2.5)");
            RawHttp.Response next = http.send("GET /next HTTP/9.9\r\nHost: h\r\n\r\n").read(false);
            assertEquals(505, next.status(), "also for the second request on a connection");
        }
    }

    @Test
    void theFrontsOwnApiIsServedInAbsoluteFormAndNeverCarriedAcross() throws Exception {
        start();
        int port = f.address().getPort();
        try (RawHttp http = f.raw()) {
            RawHttp.Response health = http.send("GET http://127.0.0.1:" + port + "/_hoft/health HTTP/1.1\r\nHost: h\r\n\r\n")
                    .read(false);
            assertEquals(200, health.status());
            assertEquals("front", FrontFixture.JSON.readTree(health.body()).path("node").asText(), health.text());
            RawHttp.Response other = http.send("GET http://elsewhere.example/_hoft/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV"
                    + " HTTP/1.1\r\nHost: h\r\n\r\n").read(false);
            assertEquals(404, other.status(), "answered by the front, whatever the authority");
            RawHttp.Response link = http.send("POST http://127.0.0.1:" + port + "/_hoft/link HTTP/1.1\r\nHost: h\r\n"
                    + "Content-Length: 0\r\n\r\n").read(false);
            assertEquals(405, link.status(), "the front's own endpoint, not a call");
            RawHttp.Response admin = http.send("POST http://127.0.0.1:" + port + "/_hoft/admin/requests/x/resend HTTP/1.1\r\n"
                    + "Host: h\r\nContent-Length: 0\r\n\r\n").read(false);
            assertEquals(404, admin.status(), "no token: the admin endpoints stay hidden in absolute form too");
        }
        for (String encoded : List.of("/%5Fhoft/health", "/%5fhoft/requests/x", "http://h/%5Fhoft/health")) {
            try (RawHttp http = f.raw()) {
                RawHttp.Response r = http.send("GET " + encoded + " HTTP/1.1\r\nHost: h\r\n\r\n").read(false);
                assertEquals(400, r.status(), encoded);
            }
        }
        Thread.sleep(300);
        assertEquals(0, f.back.calls.size(), "nothing under /_hoft/ crossed the link");
        assertEquals(0L, (long) f.node.runtime().store().inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM front_request")));
    }

    @Test
    void twoHundredSlowBodiesHoldNoWorkerSoHealthMetricsAndCallsAreStillAnswered() throws Exception {
        // A read timeout far beyond the wait below: pinned workers would stay pinned all along.
        start("limits: {readTimeout: 5m, minBodyRate: 1B, maxInFlight: 1000}", "workerThreads: 16");
        int slow = 200;
        List<RawHttp> senders = new ArrayList<>();
        try {
            for (int i = 0; i < slow; i++) {
                RawHttp http = f.raw();
                senders.add(http);
                http.send("POST /slow/" + i + " HTTP/1.1\r\nHost: h\r\nPrefer: respond-async\r\nContent-Length: 3\r\n\r\nx");
            }
            for (RawHttp http : senders) {
                http.send("y"); // each connection now waits for its last body byte
            }
            CompletableFuture<HttpResponse<byte[]>> health = f.http.sendAsync(
                    HttpRequest.newBuilder(f.uri("/_hoft/health")).build(), HttpResponse.BodyHandlers.ofByteArray());
            CompletableFuture<HttpResponse<byte[]>> metrics = f.http.sendAsync(
                    HttpRequest.newBuilder(f.uri("/_hoft/metrics")).build(), HttpResponse.BodyHandlers.ofByteArray());
            CompletableFuture<HttpResponse<byte[]>> call = f.http.sendAsync(HttpRequest.newBuilder(f.uri("/ordinary"))
                    .POST(HttpRequest.BodyPublishers.ofString("ordinary")).build(), HttpResponse.BodyHandlers.ofByteArray());
            await().atMost(Duration.ofSeconds(60)).until(() -> health.isDone() && metrics.isDone() && call.isDone());
            assertEquals(200, health.get().statusCode());
            assertEquals(200, metrics.get().statusCode());
            assertEquals(200, call.get().statusCode());
            assertEquals("ordinary", new String(call.get().body(), StandardCharsets.UTF_8));
            for (RawHttp http : senders) {
                http.send("z"); // the slow bodies were held, not dropped: each completes now
            }
            for (RawHttp http : senders) {
                assertEquals(202, http.read(false).status());
            }
        } finally {
            for (RawHttp http : senders) {
                http.close();
            }
        }
    }

    @Test
    void aBodyFolderThatCannotBeWrittenIs503WithALogLineAndNothingStored() throws Exception {
        start();
        Path bodies = f.node.runtime().transport().bodies().dir();
        Path aside = bodies.resolveSibling("bodies-aside");
        Files.move(bodies, aside);
        Files.writeString(bodies, "a file where the body folder was: nothing can be created in it");
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        Logger frontLog = (Logger) LoggerFactory.getLogger("io.hoft.front");
        logged.start();
        frontLog.addAppender(logged);
        byte[] body = new byte[3 * 1024 * 1024];
        try (RawHttp http = f.raw()) {
            http.send("PUT /upload HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: " + body.length + "\r\n\r\n");
            assertEquals(100, http.read(false).status());
            try {
                http.send(body);
            } catch (java.io.IOException e) {
                // the front may close while the rest is still on its way
            }
            RawHttp.Response r = http.read(false);
            assertEquals(503, r.status());
            assertEquals("storage-unavailable", r.header("Hoft-Error"));
            assertNotNull(r.header("Retry-After"));
        } finally {
            frontLog.detachAppender(logged);
        }
        assertTrue(logged.list.stream().anyMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.ERROR
                && e.getFormattedMessage().contains("cannot store a request body in " + bodies)), "logged: " + logged.list);
        assertEquals(0, f.back.calls.size());
        assertEquals(0L, (long) f.node.runtime().store().inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM front_request")));
        Files.delete(bodies);
        Files.move(aside, bodies);
        byte[] fileSized = new byte[512 * 1024]; // over the inline size: it needs a body file
        HttpResponse<byte[]> after = f.send(HttpRequest.newBuilder(f.uri("/upload")).PUT(HttpRequest.BodyPublishers.ofByteArray(fileSized)));
        assertEquals(200, after.statusCode(), "an upload goes through once the folder is back");
        assertEquals(fileSized.length, after.body().length);
    }
}
