package io.hoft.tools.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.hoft.samples.SampleCallee;
import io.hoft.transport.spool.Fragmenter;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every byte of a body of every size class arrives through the whole chain, up (request body,
 * checked by the callee's echo) and down (response body, checked here): empty, one byte, the
 * inline limit and one over, one byte under, at and over a fragment, and several fragments.
 * The nodes write files of at most 4 MiB, so fragments are cheap; bodies of several fragments
 * are sent while they arrive (the front encodes fragment 1 while fragment 2 arrives, the back
 * likewise for a response), which is what the cases over a fragment exercise.
 */
class BodySizesTest {
    private static final long MAX_FILE = 4L << 20;
    private static final long PER = Fragmenter.bodyBytesPerFile(MAX_FILE);
    /** Bytes sent past a slice boundary so that the front's 64 KiB read buffer holding the boundary fills and is written. */
    static final long SLACK = 256 << 10;
    private static final List<Long> SIZES = List.of(0L, 1L, 64L << 10, (64L << 10) + 1, PER - 1, PER, PER + 1, 3 * PER + 5);

    @TempDir
    static java.nio.file.Path dir;
    private static Chain chain;

    @BeforeAll
    static void start() throws Exception {
        chain = Chain.in(dir)
                .front("HOFT_NODE_CHANNEL_MAX_FILE_SIZE", "4MiB")
                .back("HOFT_NODE_CHANNEL_MAX_FILE_SIZE", "4MiB")
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        chain.close();
    }

    @Test
    void everyRequestBodyReachesTheCalleeWholeAtEverySizeClass() throws Exception {
        for (long size : SIZES) {
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            HttpResponse<byte[]> up = chain.send(chain.request("/echo").timeout(Duration.ofSeconds(60))
                    .header("Prefer", "wait=60").header("Content-Type", "application/octet-stream")
                    .POST(Chain.generated(size, size, sent)));
            assertEquals(200, up.statusCode(), size + " bytes: " + new String(up.body(), StandardCharsets.UTF_8));
            JsonNode echo = Chain.JSON.readTree(up.body());
            assertEquals(size, echo.path("bodyLength").asLong(), size + " bytes");
            assertEquals(HexFormat.of().formatHex(sent.digest()), echo.path("bodySha256").asText(), size + " bytes");
        }
    }

    @Test
    void everyResponseBodyReachesTheCallerWholeAtEverySizeClass() throws Exception {
        for (long size : SIZES) {
            HttpResponse<InputStream> down = chain.http.send(chain.request("/bytes?size=" + size + "&seed=" + size)
                    .timeout(Duration.ofSeconds(60)).header("Prefer", "wait=60").GET().build(), BodyHandlers.ofInputStream());
            assertEquals(200, down.statusCode(), size + " bytes");
            assertEquals(Long.toString(size), down.headers().firstValue("Content-Length").orElse(null), size + " bytes");
            try (InputStream in = down.body()) {
                assertEquals(Chain.sha256(SampleCallee.bytes(size, size)), Chain.sha256(in), size + " bytes");
            }
        }
    }

    @Test
    void aCallerThatGoesAwayWhileFragmentsLeaveNeverReachesTheCallee() throws Exception {
        long bytesBefore = metric("hoft_bytes_sent_total");
        try (Socket socket = new Socket("127.0.0.1", chain.frontPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Test-Id: gone-away\r\nPrefer: wait=60\r\n"
                    + "Content-Length: " + 3 * PER + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            try (InputStream body = SampleCallee.bytes(7, 2 * PER + SLACK)) {
                body.transferTo(out);
            }
            out.flush();
            // two slices are in: their fragments leave before the body is whole
            await().atMost(Chain.WAIT).until(() -> metric("hoft_bytes_sent_total") >= bytesBefore + 2 * PER);
            assertEquals(1, metric("hoft_backlog_queued_messages"), "the call's message waits for the rest of its body");
        }
        // the caller went away: the message is given up, the files of it already written are settled
        await().atMost(Chain.WAIT).until(() -> metric("hoft_backlog_queued_messages") == 0
                && metric("hoft_backlog_unacked_files") == 0);

        // The channel goes on, and the callee never saw the call whose caller went away.
        long size = 2 * PER + 3;
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        HttpResponse<byte[]> up = chain.send(chain.request("/echo").timeout(Duration.ofSeconds(60))
                .header("Prefer", "wait=60").header("X-Test-Id", "after")
                .POST(Chain.generated(8, size, sent)));
        assertEquals(200, up.statusCode(), new String(up.body(), StandardCharsets.UTF_8));
        assertEquals(HexFormat.of().formatHex(sent.digest()), Chain.JSON.readTree(up.body()).path("bodySha256").asText());
        assertEquals(0, calls("gone-away"), "the callee never saw the call whose caller went away");
        assertEquals(1, calls("after"));
    }

    @Test
    void aResponseCutShortAfterFragmentsLeftReachesTheCallerAsAnErrorNeverAsATruncatedBody(@TempDir java.nio.file.Path own)
            throws Exception {
        byte[] head = ("HTTP/1.1 200 OK\r\nContent-Length: " + 3 * PER + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] cut;
        try (InputStream body = SampleCallee.bytes(9, 2 * PER + 1000)) {
            cut = java.nio.ByteBuffer.allocate(head.length + (int) (2 * PER + 1000)).put(head).put(body.readAllBytes()).array();
        }
        try (RawCallee raw = new RawCallee();
                Chain broken = Chain.in(own).upstream(raw.url())
                        .front("HOFT_NODE_CHANNEL_MAX_FILE_SIZE", "4MiB")
                        .back("HOFT_NODE_CHANNEL_MAX_FILE_SIZE", "4MiB")
                        .start()) {
            raw.script(request -> cut);
            HttpResponse<byte[]> answer = broken.send(broken.request("/cut").timeout(Duration.ofSeconds(60))
                    .header("Prefer", "wait=60").GET());
            assertEquals(502, answer.statusCode(), new String(answer.body(), StandardCharsets.UTF_8));
            assertEquals(1, raw.to("/cut").size(), "the callee was called once");
            JsonNode error = Chain.JSON.readTree(answer.body());
            assertEquals("upstream-failed", error.path("error").asText(), error.toString());
        }
    }

    private static long calls(String id) throws Exception {
        HttpResponse<byte[]> response = chain.http.send(java.net.http.HttpRequest.newBuilder(
                chain.calleeUri.resolve("/calls?id=" + id)).GET().build(), BodyHandlers.ofByteArray());
        return Chain.JSON.readTree(response.body()).path("count").asLong();
    }

    /** The sum of the front's metric {@code name} over its label sets. */
    private static long metric(String name) throws Exception {
        String text = new String(chain.send(chain.request("/_hoft/metrics").GET()).body(), StandardCharsets.UTF_8);
        long sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                sum += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

}
