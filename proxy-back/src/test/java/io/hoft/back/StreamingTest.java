package io.hoft.back;

import static io.hoft.back.BackHarness.fields;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.message.Body;
import io.hoft.transport.message.MessageId;
import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.BlockingHandler;
import io.undertow.util.HttpString;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A large body each way through a back whose heap is far smaller than the body: the back runs
 * in its own JVM with {@code -Xmx64m} (and exits on OutOfMemoryError), the request body streams
 * from the spool to the callee, the callee's response body streams into the spool. 256 MiB each
 * way by default, 1 GiB with {@code -Dhoft.long=true}.
 */
class StreamingTest {
    private static final long SIZE = Boolean.getBoolean("hoft.long") ? 1L << 30 : 256L << 20;

    @TempDir
    Path root;

    @Test
    void largeBodiesPassBothWaysThroughABackWithA64MiBHeap() throws Exception {
        String[] received = new String[2];
        Undertow server = Undertow.builder().addHttpListener(0, "127.0.0.1")
                .setServerOption(io.undertow.UndertowOptions.MAX_ENTITY_SIZE, Long.MAX_VALUE).setHandler(new BlockingHandler(exchange -> {
            received[0] = digest(exchange.getInputStream(), received);
            respond(exchange);
        })).build();
        server.start();
        int port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
        BackHarness harness = new BackHarness(root, String.join("\n",
                "  upstreams:",
                "    api: {url: 'http://127.0.0.1:" + port + "', responseTimeout: 120s, maxResponseBody: 2GiB}"));
        Process back = BackProcess.start(harness.config, "64m", root.resolve("back.log"));
        try (harness) {
            harness.startFront();
            Path file = harness.front().bodies().newPath();
            String sent;
            try (OutputStream out = Files.newOutputStream(file)) {
                sent = generate(1, SIZE, out);
            }
            harness.front().bodies().force(file);
            long start = System.nanoTime();
            MessageId id = harness.send(MessageId.generate(Clock.systemUTC()), "PUT", "/upload", "api",
                    fields("Host", "h", "Content-Type", "application/octet-stream"), Body.ofFile(file), Duration.ofMinutes(30));
            BackHarness.Delivered response = harness.awaitResponse(id, Duration.ofMinutes(Boolean.getBoolean("hoft.long") ? 20 : 4));
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("StreamingTest: %d MiB each way through a 64 MiB back in %.1f s%n", SIZE >> 20, seconds);
            assertEquals(200, response.envelope().status(), response.bodyText());
            assertEquals(Long.toString(SIZE), received[1], "bytes the callee received");
            assertEquals(sent, received[0], "SHA-256 of what the callee received");
            assertEquals(SIZE, response.length());
            assertEquals(generate(2, SIZE, OutputStream.nullOutputStream()), response.sha256());
            assertTrue(back.isAlive(), "the back process is still running (it exits on OutOfMemoryError)");
        } finally {
            back.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            server.stop();
        }
    }

    private static void respond(HttpServerExchange exchange) throws Exception {
        exchange.setResponseContentLength(SIZE);
        exchange.getResponseHeaders().put(new HttpString("Content-Type"), "application/octet-stream");
        try (OutputStream out = exchange.getOutputStream()) {
            generate(2, SIZE, out);
        }
    }

    /** Writes {@code size} pseudo-random bytes from {@code seed}; returns their SHA-256. */
    static String generate(long seed, long size, OutputStream out) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        SplittableRandom random = new SplittableRandom(seed);
        ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
        for (long left = size; left > 0; ) {
            buffer.clear();
            while (buffer.remaining() >= 8) {
                buffer.putLong(random.nextLong());
            }
            int n = (int) Math.min(buffer.capacity() - buffer.remaining(), left);
            digest.update(buffer.array(), 0, n);
            out.write(buffer.array(), 0, n);
            left -= n;
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String digest(InputStream in, String[] lengthOut) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[1 << 16];
        long length = 0;
        int n;
        while ((n = in.read(buffer)) != -1) {
            digest.update(buffer, 0, n);
            length += n;
        }
        lengthOut[1] = Long.toString(length);
        return HexFormat.of().formatHex(digest.digest());
    }

}
