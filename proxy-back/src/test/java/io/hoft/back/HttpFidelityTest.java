package io.hoft.back;

import static io.hoft.back.BackHarness.fields;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.MessageId;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every point of the "Faithful HTTP" list, checked on the wire: the exact bytes a raw
 * socket callee received from the back, and the RESPONSE envelope the front received for the
 * callee's scripted raw bytes.
 */
class HttpFidelityTest extends RawCalleeSuite {
    static String authority;

    @BeforeAll
    static void start() throws Exception {
        start(callee -> String.join("\n",
                "  upstreams:",
                "    api: {url: '" + callee.url() + "/base', responseTimeout: 5s}",
                "    plain: {url: '" + callee.url() + "'}",
                "    preserve: {url: '" + callee.url() + "', preserveHost: true}"));
        authority = "127.0.0.1:" + callee.port();
    }

    private static BackHarness.Delivered call(String method, String target, String upstream, List<HeaderField> headers, byte[] body)
            throws Exception {
        MessageId id = harness.send(method, target, upstream, headers, body);
        return harness.awaitResponse(id);
    }

    private static String onlyRequestHead() {
        List<RawCallee.Recorded> requests = callee.requests();
        assertEquals(1, requests.size(), "requests the callee received");
        return requests.get(0).headText();
    }

    private static byte[] latin1(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void requestGoesWithTheCallersFieldsMinusHopByHopPlusHostLengthAndViaAndNothingElse() throws Exception {
        BackHarness.Delivered response = call("POST", "/p/a%2Fb/../c?x=1&x=2;y", "api", fields(
                "Host", "front.example:8080",
                "X-First", "1",
                "Connection", "keep-alive, X-Conn-Listed",
                "X-Conn-Listed", "secret",
                "Keep-Alive", "timeout=5",
                "Proxy-Connection", "keep-alive",
                "TE", "trailers",
                "Upgrade", "h2c",
                "Trailer", "X-T",
                "Proxy-Authorization", "Basic eDp5",
                "X-Last", "z"), latin1("hello"));
        assertEquals("POST /base/p/a%2Fb/../c?x=1&x=2;y HTTP/1.1\r\n"
                + "Host: " + authority + "\r\n"
                + "X-First: 1\r\n"
                + "X-Last: z\r\n"
                + "Content-Length: 5\r\n"
                + "Via: 1.1 hoft\r\n"
                + "\r\n", onlyRequestHead());
        assertEquals("hello", callee.requests().get(0).bodyText());
        assertEquals(200, response.envelope().status());
        assertEquals("ok", response.bodyText());
    }

    @Test
    void aBodylessGetAddsNoUserAgentAcceptEncodingCookieConnectionUpgradeOrExpect() throws Exception {
        call("GET", "/", "plain", fields("Host", "front.example", "Accept", "*/*"), new byte[0]);
        assertEquals("GET / HTTP/1.1\r\nHost: " + authority + "\r\nAccept: */*\r\nVia: 1.1 hoft\r\n\r\n", onlyRequestHead());
    }

    @Test
    void pathAndQueryAreByteIdenticalWithNoDecodingOrNormalisation() throws Exception {
        String target = "/a//b/./c/%7e/%zz/|{}/caf\u00e9\u0085?q=%20+x&&y=\u0099#frag";
        call("GET", target, "plain", fields("Host", "h"), new byte[0]);
        assertTrue(onlyRequestHead().startsWith("GET " + target + " HTTP/1.1\r\n"), onlyRequestHead());
        assertArrayEquals(latin1("GET " + target + " HTTP/1.1\r\n"),
                java.util.Arrays.copyOf(callee.requests().get(0).head(), latin1("GET " + target + " HTTP/1.1\r\n").length));
    }

    @Test
    void obsTextBytesInFieldValuesAndReasonRoundTripInBothDirections() throws Exception {
        String value = "v\u00e9\u0080\u009f\u00a0\u00ff\tend";
        callee.script(RawCallee.reply("HTTP/1.1 200 Tr\u00e8s bien\r\nX-Obs: " + value + "\r\nContent-Length: 0\r\n\r\n"));
        BackHarness.Delivered response = call("GET", "/", "plain", fields("Host", "h", "X-Obs", value), new byte[0]);
        assertTrue(onlyRequestHead().contains("\r\nX-Obs: " + value + "\r\n"), onlyRequestHead());
        assertEquals(value, response.header("X-Obs"));
        assertEquals("Tr\u00e8s bien", response.envelope().reason());
    }

    @Test
    void repeatedFieldsKeepTheirOrderAndStaySeparateInBothDirections() throws Exception {
        callee.script(RawCallee.reply("HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Path=/\r\nX-Other: o\r\nSet-Cookie: b=2, c=3\r\n"
                + "Content-Length: 0\r\n\r\n"));
        BackHarness.Delivered response = call("GET", "/", "plain",
                fields("Host", "h", "Accept", "a", "X-Dup", "1", "Accept", "b", "X-Dup", "2"), new byte[0]);
        assertEquals("GET / HTTP/1.1\r\nHost: " + authority + "\r\nAccept: a\r\nX-Dup: 1\r\nAccept: b\r\nX-Dup: 2\r\n"
                + "Via: 1.1 hoft\r\n\r\n", onlyRequestHead());
        assertEquals(fields("Set-Cookie", "a=1; Path=/", "X-Other", "o", "Set-Cookie", "b=2, c=3", "Content-Length", "0",
                "Via", "1.1 hoft"), response.envelope().headers());
    }

    @Test
    void viaIsAddedAfterTheLastExistingViaInBothDirections() throws Exception {
        callee.script(RawCallee.reply("HTTP/1.1 200 OK\r\nVia: 1.1 upstream-lb\r\nServer: s\r\nContent-Length: 0\r\n\r\n"));
        BackHarness.Delivered response = call("GET", "/", "plain",
                fields("Host", "h", "Via", "1.0 caller-proxy", "X-After", "1"), new byte[0]);
        assertEquals("GET / HTTP/1.1\r\nHost: " + authority + "\r\nVia: 1.0 caller-proxy\r\nVia: 1.1 hoft\r\nX-After: 1\r\n\r\n",
                onlyRequestHead());
        assertEquals(fields("Via", "1.1 upstream-lb", "Via", "1.1 hoft", "Server", "s", "Content-Length", "0"),
                response.envelope().headers());
    }

    @Test
    void hopByHopResponseFieldsGoAndAChunkedBodyArrivesWhole() throws Exception {
        callee.script(RawCallee.replyAndClose("HTTP/1.1 200 OK\r\nConnection: close, X-Secret\r\nX-Secret: s\r\n"
                + "Keep-Alive: timeout=5\r\nProxy-Authenticate: Basic\r\nUpgrade: h2c\r\nTrailer: X-T\r\nX-Kept: k\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-T: t\r\n\r\n"));
        BackHarness.Delivered response = call("GET", "/", "plain", fields("Host", "h"), new byte[0]);
        assertEquals(fields("X-Kept", "k", "Via", "1.1 hoft"), response.envelope().headers());
        assertEquals("hello world", response.bodyText());
    }

    @Test
    void aBodyTheCallerSentChunkedGoesWithItsExactContentLength() throws Exception {
        // The front strips Transfer-Encoding (hop-by-hop): the back sees a body and no length field.
        byte[] body = new byte[100_000];
        new java.util.Random(1).nextBytes(body);
        call("PUT", "/up", "plain", fields("Host", "h", "Content-Type", "application/octet-stream"), body);
        assertEquals("PUT /up HTTP/1.1\r\nHost: " + authority + "\r\nContent-Type: application/octet-stream\r\n"
                + "Content-Length: 100000\r\nVia: 1.1 hoft\r\n\r\n", onlyRequestHead());
        assertArrayEquals(body, callee.requests().get(0).body());
    }

    @Test
    void aContentLengthTheCallerSentKeepsItsPlaceAndAnEmptyPostStillStatesZero() throws Exception {
        call("POST", "/a", "plain", fields("Host", "h", "Content-Length", "3", "X-B", "b"), latin1("abc"));
        assertEquals("POST /a HTTP/1.1\r\nHost: " + authority + "\r\nContent-Length: 3\r\nX-B: b\r\nVia: 1.1 hoft\r\n\r\n",
                onlyRequestHead());
        callee.clear();
        call("POST", "/b", "plain", fields("Host", "h"), new byte[0]);
        assertEquals("POST /b HTTP/1.1\r\nHost: " + authority + "\r\nContent-Length: 0\r\nVia: 1.1 hoft\r\n\r\n", onlyRequestHead());
    }

    @Test
    void headAnd204And304CarryNoBodyAndTheConnectionStaysUsable() throws Exception {
        callee.script(RawCallee.reply("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: text/plain\r\n\r\n"));
        BackHarness.Delivered head = call("HEAD", "/", "plain", fields("Host", "h"), new byte[0]);
        assertEquals("1234", head.header("Content-Length"));
        assertEquals(0, head.length());
        callee.script(RawCallee.reply("HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n"));
        BackHarness.Delivered noContent = call("DELETE", "/x", "plain", fields("Host", "h"), new byte[0]);
        assertEquals(204, noContent.envelope().status());
        assertEquals(0, noContent.length());
        callee.script(RawCallee.reply("HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\n\r\n"));
        BackHarness.Delivered notModified = call("GET", "/", "plain", fields("Host", "h", "If-None-Match", "\"e\""), new byte[0]);
        assertEquals(304, notModified.envelope().status());
        assertEquals(0, notModified.length());
        callee.script(RawCallee.reply("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext"));
        assertEquals("next", call("GET", "/", "plain", fields("Host", "h"), new byte[0]).bodyText());
        assertEquals(4, callee.requests().size());
        assertTrue(callee.connections() <= 1, "the four exchanges opened " + callee.connections() + " connections, not at most one");
    }

    @Test
    void a204ThatWronglyCarriesABodyLosesItAndItsConnectionIsNotReused() throws Exception {
        callee.script(RawCallee.reply("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello"));
        BackHarness.Delivered noContent = call("DELETE", "/x", "plain", fields("Host", "h"), new byte[0]);
        assertEquals(204, noContent.envelope().status());
        assertEquals(0, noContent.length());
        int connections = callee.connections();
        callee.script(RawCallee.reply("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext"));
        assertEquals("next", call("GET", "/", "plain", fields("Host", "h"), new byte[0]).bodyText());
        assertEquals(connections + 1, callee.connections(), "the next exchange had a connection of its own");
    }

    @Test
    void anyMethodTokenIsSentAsItIs() throws Exception {
        for (String method : List.of("PROPFIND", "X-ANYTHING", "patch")) {
            callee.clear();
            call(method, "/m", "plain", fields("Host", "h"), new byte[0]);
            assertTrue(onlyRequestHead().startsWith(method + " /m HTTP/1.1\r\n"), onlyRequestHead());
        }
    }

    @Test
    void redirectsAreReturnedNotFollowed() throws Exception {
        callee.script(RawCallee.reply("HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n"));
        BackHarness.Delivered response = call("GET", "/", "plain", fields("Host", "h"), new byte[0]);
        assertEquals(302, response.envelope().status());
        assertEquals("/elsewhere", response.header("Location"));
        assertEquals(1, callee.requests().size());
    }

    @Test
    void gzipEncodedBodiesStayByteForByteInBothDirections() throws Exception {
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
            gzip.write(latin1("compressible ".repeat(100)));
        }
        byte[] gz = zipped.toByteArray();
        callee.script((request, out) -> {
            out.write(latin1("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + gz.length + "\r\n\r\n"));
            out.write(gz);
            return true;
        });
        BackHarness.Delivered response = call("POST", "/z", "plain",
                fields("Host", "h", "Content-Encoding", "gzip", "Accept-Encoding", "gzip"), gz);
        assertArrayEquals(gz, callee.requests().get(0).body());
        assertTrue(onlyRequestHead().contains("\r\nAccept-Encoding: gzip\r\n"));
        assertEquals("gzip", response.header("Content-Encoding"));
        assertEquals(Integer.toString(gz.length), response.header("Content-Length"));
        assertArrayEquals(gz, response.body());
    }

    @Test
    void expect100ContinueIsNotForwardedAndDoesNotStallTheCall() throws Exception {
        long start = System.nanoTime();
        BackHarness.Delivered response = call("PUT", "/e", "plain",
                fields("Host", "h", "Expect", "100-continue", "Content-Length", "4"), latin1("data"));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals("PUT /e HTTP/1.1\r\nHost: " + authority + "\r\nContent-Length: 4\r\nVia: 1.1 hoft\r\n\r\n", onlyRequestHead());
        assertEquals("data", callee.requests().get(0).bodyText());
        assertEquals(200, response.envelope().status());
        assertTrue(millis < 2500, "took " + millis + " ms (HttpClient would wait 3 s for a 100 that never comes)");
    }

    @Test
    void binaryBodiesOfEveryByteValuePassUntouched() throws Exception {
        byte[] all = new byte[256 * 4];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        callee.script((request, out) -> {
            out.write(latin1("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + all.length + "\r\n\r\n"));
            out.write(all);
            return true;
        });
        BackHarness.Delivered response = call("POST", "/bin", "plain", fields("Host", "h"), all);
        assertArrayEquals(all, callee.requests().get(0).body());
        assertArrayEquals(all, response.body());
    }

    @Test
    void responseBodiesJustUnderAndOverTheInlineLimitBothArriveWhole() throws Exception {
        for (int size : new int[] {RecordedResponse.INLINE_MAX, RecordedResponse.INLINE_MAX + 1, 3 * 1024 * 1024 + 7}) {
            byte[] body = new byte[size];
            new java.util.Random(size).nextBytes(body);
            callee.script((request, out) -> {
                out.write(latin1("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n"));
                out.write(body);
                return true;
            });
            BackHarness.Delivered response = call("GET", "/size/" + size, "plain", fields("Host", "h"), new byte[0]);
            assertEquals(size, response.length());
            assertArrayEquals(body, response.body());
        }
    }

    @Test
    void anAbsoluteTargetInsideAnUpstreamIsSentInOriginForm() throws Exception {
        call("GET", "http://" + authority + "/base/abs?q=1", "api", fields("Host", "ignored"), new byte[0]);
        assertEquals("GET /base/abs?q=1 HTTP/1.1\r\nHost: " + authority + "\r\nVia: 1.1 hoft\r\n\r\n", onlyRequestHead());
    }

    @Test
    void preserveHostKeepsTheCallersHostInItsPlace() throws Exception {
        call("GET", "/", "preserve", fields("X-A", "a", "Host", "public.example.com"), new byte[0]);
        assertEquals("GET / HTTP/1.1\r\nX-A: a\r\nHost: public.example.com\r\nVia: 1.1 hoft\r\n\r\n", onlyRequestHead());
    }

    @Test
    void theCalleesOwnResponseHasNoErrorMarker() throws Exception {
        callee.script(RawCallee.reply("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 4\r\n\r\nbusy"));
        BackHarness.Delivered response = call("GET", "/", "plain", fields("Host", "h"), new byte[0]);
        assertEquals(503, response.envelope().status());
        assertEquals("Service Unavailable", response.envelope().reason());
        assertNull(response.envelope().error());
        assertNull(response.header("Hoft-Error"));
        assertEquals("busy", response.bodyText());
    }
}
