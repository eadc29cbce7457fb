package io.hoft.front;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.message.HeaderField;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the caller sends reaches the back as sent, and what the back recorded reaches the
 * caller as recorded, checked on the bytes of a raw socket. Also pins down Undertow's
 * behaviour the front relies on (see FrontEngine's comment), and its known limits.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FidelityTest {
    FrontFixture f;

    @BeforeAll
    void start(@TempDir Path root) throws Exception {
        f = FrontFixture.in(root).start();
        f.back.respondWith((call, back) -> {
            String target = call.request().target();
            if (target.startsWith("/respond/")) {
                scripted(call, back, target.substring("/respond/".length()));
            } else {
                TestBack.ECHO.respond(call, back);
            }
        });
    }

    @AfterAll
    void stop() throws Exception {
        f.close();
    }

    /** Answers as the path says: headers, head, 204, 304, 201. */
    private static void scripted(TestBack.Call call, TestBack back, String what) throws Exception {
        switch (what) {
            case "headers":
                back.reply(call, 200, "Tr\u00e8s bien", List.of(
                        new HeaderField("Set-Cookie", "a=1; Path=/"),
                        new HeaderField("X-Obs", "caf\u00e9 \u00ff\u0080"),
                        new HeaderField("Set-Cookie", "b=2"),
                        new HeaderField("X-Tab", "a\tb"),
                        new HeaderField("Content-Type", "text/plain"),
                        new HeaderField("set-cookie", "c=3"),
                        new HeaderField("Hoft-Request-Id", "forged-by-callee")), "body".getBytes());
                break;
            case "head":
                back.reply(call, 200, "OK", List.of(new HeaderField("Content-Length", "1234"),
                        new HeaderField("Content-Type", "application/json")), new byte[0]);
                break;
            case "head-nolength":
                back.reply(call, 200, "OK", List.of(new HeaderField("Content-Type", "application/json")), new byte[0]);
                break;
            case "204":
                back.reply(call, 204, "No Content", List.of(new HeaderField("X-Why", "none")), new byte[0]);
                break;
            case "304":
                back.reply(call, 304, "Not Modified", List.of(new HeaderField("ETag", "\"v1\""),
                        new HeaderField("Content-Length", "99")), new byte[0]);
                break;
            case "empty-reason":
                back.reply(call, 201, "", List.of(), "x".getBytes());
                break;
            default:
                back.reply(call, 500, "Unknown script", List.of(), new byte[0]);
        }
    }

    private TestBack.Call lastCall(RawHttp.Response response) {
        String id = response.header("Hoft-Request-Id");
        assertNotNull(id, "Hoft-Request-Id");
        return f.back.calls.get(id);
    }

    @Test
    void pathAndQueryReachTheBackByteForByte() throws Exception {
        String target = "/a%2Fb;x=1;y/c%20d/%C3%A9/~!$&'()*+,=:@?q=%20&r=a+b&&=&t=/?x%2F&u=%E9";
        try (RawHttp http = f.raw()) {
            RawHttp.Response r = http.send("GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n").read(false);
            assertEquals(200, r.status());
            assertEquals(target, lastCall(r).request().target());
            assertEquals(target, r.header("X-Echo-Target"));
        }
    }

    @Test
    void anAbsoluteFormTargetIsPassedOnAsItIs() throws Exception {
        String target = "http://callee.internal:8081/x%2Fy?z=1";
        try (RawHttp http = f.raw()) {
            RawHttp.Response r = http.send("GET " + target + " HTTP/1.1\r\nHost: callee.internal\r\n\r\n").read(false);
            assertEquals(200, r.status());
            assertEquals(target, lastCall(r).request().target());
        }
    }

    @Test
    void anEmptyQueryIsLostThatIsTheOneKnownTargetChange() throws Exception {
        try (RawHttp http = f.raw()) {
            RawHttp.Response r = http.send("GET /q? HTTP/1.1\r\nHost: h\r\n\r\n").read(false);
            assertEquals("/q", lastCall(r).request().target()); // Undertow reports "" for both "/q?" and "/q"
        }
    }

    @Test
    void rawBytesOutsideUriCharactersAreRefusedNotDecoded() throws Exception {
        try (RawHttp http = f.raw()) {
            http.send("GET /caf\u00e9 HTTP/1.1\r\nHost: h\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertEquals(400, http.read(false).status());
        }
    }

    @Test
    void requestFieldsKeepTheirBytesRepeatsAndSameNameOrder() throws Exception {
        String head = "POST /echo HTTP/1.1\r\n"
                + "Host: h\r\n"
                + "X-Rep: one\r\n"
                + "X-Obs: caf\u00e9 \u00ff\u0080\r\n"
                + "x-lower: keeps case\r\n"
                + "X-Rep: two\r\n"
                + "X-Tab: a\tb\r\n"
                + "X-Spaces:   lead and trail   \r\n"
                + "X-Rep: three\r\n"
                + "Authorization: Basic Y2FsbGVlOnNlY3JldA==\r\n"
                + "Content-Length: 2\r\n\r\nhi";
        try (RawHttp http = f.raw()) {
            RawHttp.Response r = http.send(head.getBytes(StandardCharsets.ISO_8859_1)).read(false);
            assertEquals(200, r.status());
            List<HeaderField> got = lastCall(r).request().headers();
            assertEquals(List.of("one", "two", "three"), values(got, "X-Rep"));
            assertEquals(List.of("caf\u00e9 \u00ff\u0080"), values(got, "X-Obs"));
            assertEquals(List.of("a\tb"), values(got, "X-Tab"));
            assertEquals(List.of("lead and trail"), values(got, "X-Spaces"), "only leading and trailing whitespace goes (RFC 9112)");
            assertEquals(List.of("Basic Y2FsbGVlOnNlY3JldA=="), values(got, "Authorization"), "without front auth it is the callee's");
            assertTrue(got.stream().anyMatch(h -> h.name().equals("x-lower")), "field name case is kept: " + got);
        }
    }

    @Test
    void fieldsOfDifferentNamesReachTheBackInTheOrderTheyArrived() throws Exception {
        List<String> sent = List.of("Zeta", "alpha", "X-Mid", "Beta", "x-mid", "Accept", "Omega", "Cookie", "A");
        StringBuilder head = new StringBuilder("GET /order HTTP/1.1\r\nHost: h\r\n");
        for (int i = 0; i < sent.size(); i++) {
            head.append(sent.get(i)).append(": v").append(i).append("\r\n");
        }
        for (int round = 0; round < 2; round++) { // the second request on the connection too
            try (RawHttp http = f.raw()) {
                RawHttp.Response r = http.send(head + "\r\n").read(false);
                List<HeaderField> got = lastCall(r).request().headers();
                List<String> names = got.stream().map(HeaderField::name).filter(n -> !n.equals("Host")).collect(Collectors.toList());
                assertEquals(sent, names, "names in their order and case");
                assertEquals(List.of("v2", "v4"), values(got, "X-Mid"));
                r = http.send(head + "\r\n").read(false);
                assertEquals(sent, lastCall(r).request().headers().stream().map(HeaderField::name).filter(n -> !n.equals("Host"))
                        .collect(Collectors.toList()));
            }
        }
    }

    @Test
    void aRunOfSpacesInsideAValueBecomesOneThatIsUndertowsKnownChange() throws Exception {
        try (RawHttp http = f.raw()) {
            RawHttp.Response r = http.send("GET /echo HTTP/1.1\r\nHost: h\r\nX-Run: a  \t b\r\n\r\n").read(false);
            assertEquals(List.of("a b"), values(lastCall(r).request().headers(), "X-Run"));
        }
    }

    @Test
    void hopByHopAndInstructionFieldsAreNotForwarded() throws Exception {
        String head = "POST /echo HTTP/1.1\r\n"
                + "Host: h\r\n"
                + "Connection: keep-alive, X-Hop\r\n"
                + "X-Hop: gone\r\n"
                + "Keep-Alive: timeout=5\r\n"
                + "TE: trailers\r\n"
                + "Proxy-Authorization: Basic eA==\r\n"
                + "Hoft-Ttl: 60\r\n"
                + "Prefer: wait=10, handling=lenient\r\n"
                + "Transfer-Encoding: chunked\r\n"
                + "X-Kept: yes\r\n\r\n"
                + "2\r\nhi\r\n0\r\n\r\n";
        try (RawHttp http = f.raw()) {
            RawHttp.Response r = http.send(head).read(false);
            assertEquals(200, r.status());
            TestBack.Call call = lastCall(r);
            List<String> names = call.request().headers().stream().map(h -> h.name().toLowerCase()).collect(Collectors.toList());
            for (String gone : List.of("connection", "x-hop", "keep-alive", "te", "proxy-authorization", "hoft-ttl",
                    "transfer-encoding")) {
                assertFalse(names.contains(gone), gone + " must not be forwarded: " + names);
            }
            assertTrue(names.contains("x-kept"));
            assertEquals(List.of("handling=lenient"), values(call.request().headers(), "Prefer"), "wait stays with the front");
            assertArrayEquals("hi".getBytes(), call.body());
        }
    }

    @Test
    void thePreferencesTheFrontActsOnStayWithItAndTheOthersGoOn() throws Exception {
        try (RawHttp http = f.raw()) {
            RawHttp.Response r = http.send("GET /prefer HTTP/1.1\r\nHost: h\r\n"
                    + "Prefer: wait=10, handling=lenient, foo=\"a, respond-async\"; p=1, respond-async\r\n"
                    + "Prefer: respond-async\r\n"
                    + "Prefer: WAIT=3, return=minimal\r\n\r\n").read(false);
            assertEquals(202, r.status(), "respond-async was acted on");
            TestBack.Call call = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> lastCall(r), java.util.Objects::nonNull);
            assertEquals(List.of("handling=lenient, foo=\"a, respond-async\"; p=1", "return=minimal"),
                    values(call.request().headers(), "Prefer"));
        }
    }

    @Test
    void theResponseComesBackWithItsStatusReasonFieldBytesAndRepeats() throws Exception {
        try (RawHttp http = f.raw()) {
            RawHttp.Response r = http.send("GET /respond/headers HTTP/1.1\r\nHost: h\r\n\r\n").read(false);
            assertEquals(200, r.status());
            assertEquals("Tr\u00e8s bien", r.reason());
            assertEquals(List.of("a=1; Path=/", "b=2", "c=3"), r.all("Set-Cookie"), "same-name fields in the callee's order");
            assertEquals("caf\u00e9 \u00ff\u0080", r.header("X-Obs"));
            assertEquals("a\tb", r.header("X-Tab"));
            assertEquals(1, r.all("Hoft-Request-Id").size(), "the callee cannot set the front's fields");
            assertFalse(r.header("Hoft-Request-Id").equals("forged-by-callee"));
            assertEquals("4", r.header("Content-Length"));
            assertNull(r.header("Date"), "Undertow adds no Date");
            assertNull(r.header("Connection"), "Undertow adds no Connection");
            assertEquals("body", r.text());
            List<String> names = r.names();
            System.out.println("response field order (Undertow's header map, callee sent Set-Cookie, X-Obs, Set-Cookie, X-Tab,"
                    + " Content-Type, set-cookie): " + names);
        }
    }

    @Test
    void headAnswersCarryTheCalleesFieldsAndNoBodyAndTheConnectionStaysUsable() throws Exception {
        try (RawHttp http = f.raw()) {
            RawHttp.Response r = http.send("HEAD /respond/head HTTP/1.1\r\nHost: h\r\n\r\n").read(true);
            assertEquals(200, r.status());
            assertEquals("1234", r.header("Content-Length"));
            assertEquals("HEAD", lastCall(r).request().method());
            RawHttp.Response next = http.send("GET /echo HTTP/1.1\r\nHost: h\r\n\r\n").read(false);
            assertEquals(200, next.status(), "no stray body bytes were left on the connection");
        }
    }

    @Test
    void aHeadAnswerWithoutALengthDoesNotClaimAnEmptyBody() throws Exception {
        try (RawHttp http = f.raw()) {
            RawHttp.Response r = http.send("HEAD /respond/head-nolength HTTP/1.1\r\nHost: h\r\n\r\n").read(true);
            assertEquals(200, r.status());
            assertEquals(List.of(), r.all("Content-Length"), "not Content-Length: 0");
            assertEquals("chunked", r.header("Transfer-Encoding"), "Undertow must say something; chunked means unknown");
            assertEquals(200, http.send("GET /echo HTTP/1.1\r\nHost: h\r\n\r\n").read(false).status());
        }
    }

    @Test
    void noContentAndNotModifiedCarryNoBody() throws Exception {
        try (RawHttp http = f.raw()) {
            RawHttp.Response r = http.send("GET /respond/204 HTTP/1.1\r\nHost: h\r\n\r\n").read(false);
            assertEquals(204, r.status());
            assertEquals("none", r.header("X-Why"));
            assertNull(r.header("Content-Length"));
            assertNull(r.header("Transfer-Encoding"));
            RawHttp.Response notModified = http.send("GET /respond/304 HTTP/1.1\r\nHost: h\r\n\r\n").read(false);
            assertEquals(304, notModified.status());
            assertEquals("\"v1\"", notModified.header("ETag"));
            assertNull(notModified.header("Content-Length"), "Undertow drops a 304's Content-Length: a known change");
            RawHttp.Response next = http.send("GET /echo HTTP/1.1\r\nHost: h\r\n\r\n").read(false);
            assertEquals(200, next.status());
        }
    }

    @Test
    void anEmptyReasonPhraseStaysEmpty() throws Exception {
        try (RawHttp http = f.raw()) {
            RawHttp.Response r = http.send("GET /respond/empty-reason HTTP/1.1\r\nHost: h\r\n\r\n").read(false);
            assertEquals(201, r.status());
            assertEquals("", r.reason());
        }
    }

    @Test
    void binaryBodiesOfEveryByteAndBeyondTheInlineSizeRoundTrip() throws Exception {
        for (int size : new int[] {0, 1, 256, 65536, 65537, 300_000}) {
            byte[] body = new byte[size];
            for (int i = 0; i < size; i++) {
                body[i] = (byte) i;
            }
            if (size > 256) {
                new Random(size).nextBytes(body);
            }
            try (RawHttp http = f.raw()) {
                http.send("PUT /bin HTTP/1.1\r\nHost: h\r\nContent-Type: application/octet-stream\r\nContent-Length: " + size
                        + "\r\n\r\n").send(body);
                RawHttp.Response r = http.read(false);
                assertEquals(200, r.status());
                assertArrayEquals(body, r.body(), "size " + size);
                assertEquals(size, lastCall(r).bodyLength());
            }
        }
    }

    @Test
    void aChunkedBodyArrivesWhole() throws Exception {
        try (RawHttp http = f.raw()) {
            http.send("POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n");
            RawHttp.Response r = http.read(false);
            assertEquals(200, r.status());
            assertEquals("hello world", r.text());
        }
    }

    @Test
    void expectContinueIsAnsweredSoTheCallerSendsItsBody() throws Exception {
        try (RawHttp http = f.raw()) {
            http.send("POST /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            RawHttp.Response interim = http.read(false);
            assertEquals(100, interim.status());
            http.send("hello");
            RawHttp.Response r = http.read(false);
            assertEquals(200, r.status());
            assertEquals("hello", r.text());
            assertNull(lastCall(r).header("Expect"), "the front met the expectation; it is not forwarded");
        }
    }

    @Test
    void anyMethodIsCarried() throws Exception {
        for (String method : List.of("PURGE", "PROPFIND", "PATCH", "OPTIONS", "DELETE", "X-CUSTOM_1")) {
            try (RawHttp http = f.raw()) {
                RawHttp.Response r = http.send(method + " /m HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").read(false);
                assertEquals(200, r.status(), method);
                assertEquals(method, r.header("X-Echo-Method"));
            }
        }
    }

    @Test
    void malformedRequestsGet400AndTheServerGoesOn() throws Exception {
        List<String> junk = new ArrayList<>(List.of(
                "GARBAGE\r\n\r\n",
                "GET / HTTP/1.1\r\nBad Header Name: x\r\n\r\n",
                "GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n",
                "GET / HTTP/1.1\r\nX: a\u0000b\r\n\r\n",
                "GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"));
        for (String request : junk) {
            try (RawHttp http = f.raw()) {
                http.send(request.getBytes(StandardCharsets.ISO_8859_1));
                assertEquals(400, http.read(false).status(), request);
            }
        }
        try (RawHttp http = f.raw()) {
            assertEquals(200, http.send("GET /still-alive HTTP/1.1\r\nHost: h\r\n\r\n").read(false).status());
        }
    }

    private static List<String> values(List<HeaderField> fields, String name) {
        return fields.stream().filter(h -> h.hasName(name)).map(HeaderField::value).collect(Collectors.toList());
    }
}
