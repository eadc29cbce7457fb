package io.hoft.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SampleCalleeTest {
    private static SampleCallee callee;
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() {
        callee = SampleCallee.start("127.0.0.1", 0);
    }

    @AfterAll
    static void stop() {
        callee.close();
    }

    private static URI url(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + callee.port() + pathAndQuery);
    }

    private static HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void echoReturnsMethodRawTargetRepeatedHeadersAndTheBody() throws Exception {
        HttpResponse<byte[]> response = send(HttpRequest.newBuilder(url("/echo?a=1&b=%2F%20x"))
                .header("X-Repeat", "one").header("X-Repeat", "two")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("h\u00e9llo", StandardCharsets.UTF_8)));
        assertEquals(200, response.statusCode());
        JsonNode echo = JSON.readTree(response.body());
        assertEquals("PATCH", echo.path("method").asText());
        assertEquals("/echo?a=1&b=%2F%20x", echo.path("target").asText());
        assertEquals("h\u00e9llo", echo.path("body").asText());
        assertEquals("utf-8", echo.path("bodyEncoding").asText());
        assertEquals(6, echo.path("bodyLength").asLong());
        List<String> repeats = new java.util.ArrayList<>();
        echo.path("headers").forEach(h -> {
            if (h.get(0).asText().equalsIgnoreCase("X-Repeat")) {
                repeats.add(h.get(1).asText());
            }
        });
        assertEquals(List.of("one", "two"), repeats);
    }

    @Test
    void echoGivesBinaryBodiesAsBase64AndLargeOnesAsLengthAndDigestOnly() throws Exception {
        byte[] binary = {(byte) 0xff, 0, 1};
        JsonNode small = JSON.readTree(send(HttpRequest.newBuilder(url("/echo"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(binary))).body());
        assertEquals("/wAB", small.path("body").asText());
        assertEquals("base64", small.path("bodyEncoding").asText());

        byte[] large = SampleCallee.bytes(1, (1 << 20) + 1).readAllBytes();
        JsonNode big = JSON.readTree(send(HttpRequest.newBuilder(url("/echo"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(large))).body());
        assertTrue(big.path("body").isNull());
        assertEquals(large.length, big.path("bodyLength").asLong());
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(large)), big.path("bodySha256").asText());
    }

    @Test
    void statusAnswersWithTheCodeAskedFor() throws Exception {
        assertEquals(418, send(HttpRequest.newBuilder(url("/status/418"))).statusCode());
        assertEquals(503, send(HttpRequest.newBuilder(url("/status/503"))).statusCode());
        HttpResponse<byte[]> noContent = send(HttpRequest.newBuilder(url("/status/204")));
        assertEquals(204, noContent.statusCode());
        assertEquals(0, noContent.body().length);
        assertEquals(400, send(HttpRequest.newBuilder(url("/status/abc"))).statusCode());
    }

    @Test
    void slowWaitsAsLongAsAsked() throws Exception {
        long start = System.nanoTime();
        assertEquals(200, send(HttpRequest.newBuilder(url("/slow?ms=300"))).statusCode());
        assertTrue(System.nanoTime() - start >= 300_000_000L);
    }

    @Test
    void bytesAreDeterministicPerSeedAndCarryTheirLength() throws Exception {
        HttpResponse<byte[]> response = send(HttpRequest.newBuilder(url("/bytes?size=100003&seed=7")));
        assertEquals("100003", response.headers().firstValue("Content-Length").orElseThrow());
        assertEquals("application/octet-stream", response.headers().firstValue("Content-Type").orElseThrow());
        assertArrayEquals(SampleCallee.bytes(7, 100003).readAllBytes(), response.body());
        byte[] otherSeed = send(HttpRequest.newBuilder(url("/bytes?size=100003&seed=8"))).body();
        assertTrue(!java.util.Arrays.equals(response.body(), otherSeed));
        byte[] prefix = SampleCallee.bytes(7, 10).readAllBytes();
        assertArrayEquals(prefix, java.util.Arrays.copyOf(response.body(), 10), "a shorter size is a prefix");
    }

    @Test
    void cookiesComeAsTwoSetCookieHeaders() throws Exception {
        HttpResponse<byte[]> response = send(HttpRequest.newBuilder(url("/cookies")));
        assertEquals(List.of("session=abc123; Path=/; HttpOnly", "theme=dark; Path=/"),
                response.headers().allValues("Set-Cookie"));
    }

    @Test
    void gzipIsEncodedAndDeclaredSo() throws Exception {
        HttpResponse<byte[]> response = send(HttpRequest.newBuilder(url("/gzip")));
        assertEquals("gzip", response.headers().firstValue("Content-Encoding").orElseThrow());
        byte[] text = new GZIPInputStream(new ByteArrayInputStream(response.body())).readAllBytes();
        assertEquals(SampleCallee.GZIP_TEXT, new String(text, StandardCharsets.UTF_8));
    }

    @Test
    void redirectIsA302ToEcho() throws Exception {
        HttpResponse<byte[]> response = send(HttpRequest.newBuilder(url("/redirect")));
        assertEquals(302, response.statusCode());
        assertEquals("/echo", response.headers().firstValue("Location").orElseThrow());
    }

    @Test
    void headHasTheHeadersOfGetAndNoBody() throws Exception {
        for (String path : List.of("/bytes?size=5000&seed=1", "/echo", "/cookies")) {
            HttpResponse<byte[]> get = send(HttpRequest.newBuilder(url(path)));
            HttpResponse<byte[]> head = send(HttpRequest.newBuilder(url(path)).method("HEAD", HttpRequest.BodyPublishers.noBody()));
            assertEquals(get.statusCode(), head.statusCode(), path);
            assertEquals(0, head.body().length, path);
            assertEquals(get.headers().firstValue("Content-Type"), head.headers().firstValue("Content-Type"), path);
            assertEquals(get.headers().allValues("Set-Cookie"), head.headers().allValues("Set-Cookie"), path);
        }
        HttpResponse<byte[]> head = send(HttpRequest.newBuilder(url("/bytes?size=5000&seed=1"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertEquals("5000", head.headers().firstValue("Content-Length").orElseThrow());
    }

    @Test
    void callsCountRequestsPerTestIdOnAnyPath() throws Exception {
        send(HttpRequest.newBuilder(url("/echo")).header("X-Test-Id", "t-1"));
        send(HttpRequest.newBuilder(url("/status/500")).header("X-Test-Id", "t-1"));
        send(HttpRequest.newBuilder(url("/echo")).header("X-Test-Id", "t-2"));
        assertEquals(2, JSON.readTree(send(HttpRequest.newBuilder(url("/calls?id=t-1"))).body()).path("count").asLong());
        assertEquals(0, JSON.readTree(send(HttpRequest.newBuilder(url("/calls?id=never"))).body()).path("count").asLong());
        JsonNode all = JSON.readTree(send(HttpRequest.newBuilder(url("/calls"))).body()).path("counts");
        assertEquals(1, all.path("t-2").asLong());
        assertEquals(204, send(HttpRequest.newBuilder(url("/calls")).DELETE()).statusCode());
        assertNull(JSON.readTree(send(HttpRequest.newBuilder(url("/calls"))).body()).path("counts").get("t-1"));
    }

    @Test
    void anUnknownPathIs404() throws Exception {
        assertEquals(404, send(HttpRequest.newBuilder(url("/nothing-here"))).statusCode());
    }
}
