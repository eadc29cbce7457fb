package io.hoft.tools.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hoft.samples.SampleCallee;
import io.hoft.tools.node.Setup;
import io.hoft.transport.spool.Fragmenter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bodies larger than the nodes' heap stream through the chain: front and back run as their own
 * JVMs ({@code hoft front} and {@code hoft back}, i.e. {@code io.hoft.tools.Main}) with a small
 * {@code -Xmx} and {@code -XX:+ExitOnOutOfMemoryError}, a body generated on the fly goes up to
 * the sample callee and a {@code /bytes} body comes down, and both arrive with the SHA-256 they
 * were sent with while both nodes stay alive and then stop cleanly (exit 0 on SIGTERM).
 *
 * <p>By default 96 MiB through nodes at {@code -Xmx64m}; with {@code -Dhoft.large=true} 1 GiB
 * through nodes at {@code -Xmx256m}.
 *
 * <p>With {@code -Dhoft.long=true}: a body of several fragments leaves the front while it still
 * arrives; a front killed (SIGKILL) in the middle of one never lets the callee see that call,
 * gives its message up at the next start and carries the next call whole. Likewise a response
 * body leaves the back while the callee still sends it; a back killed in the middle of one
 * answers the call, once restarted, as interrupted, and the caller never gets the part that had
 * left.
 */
class LargeBodyTest {
    private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;

    @Test
    void bodyLargerThanTheNodesHeapStreamsBothWays() throws Exception {
        roundTrip(96L << 20, "64m");
    }

    @Test
    @EnabledIfSystemProperty(named = "hoft.large", matches = "true")
    void oneGibibyteStreamsBothWaysThroughNodesWith256MiBHeaps() throws Exception {
        roundTrip(1L << 30, "256m");
    }

    @Test
    @EnabledIfSystemProperty(named = "hoft.long", matches = "true") // three JVM starts: CommitPointTest covers the restart in-process
    void aFrontKilledWhileABodyArrivesNeverCallsTheCalleeAndCarriesTheNextCallWhole() throws Exception {
        long per = Fragmenter.bodyBytesPerFile(4L << 20);
        Map<String, String> small = Map.of("HOFT_NODE_CHANNEL_MAX_FILE_SIZE", "4MiB");
        List<Process> nodes = new ArrayList<>();
        try (SampleCallee callee = SampleCallee.start("127.0.0.1", 0)) {
            Setup setup = Setup.of(dir, "http://127.0.0.1:" + callee.port(), 0, false);
            setup.write();
            nodes.add(node("back", setup.backConfig(), "64m", small));
            Process front = node("front", setup.frontConfig(), "64m", small);
            nodes.add(front);
            await().atMost(Duration.ofSeconds(60)).until(() -> log("back").contains("back back running"));
            int port = await().atMost(Duration.ofSeconds(60)).until(() -> port(log("front")), p -> p > 0);
            URI base = URI.create("http://127.0.0.1:" + port);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

            try (Socket socket = new Socket("127.0.0.1", port)) {
                OutputStream out = socket.getOutputStream();
                out.write(("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Test-Id: killed\r\nPrefer: wait=60\r\n"
                        + "Content-Length: " + 4 * per + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                try (InputStream body = SampleCallee.bytes(5, 2 * per + BodySizesTest.SLACK)) {
                    body.transferTo(out);
                }
                out.flush();
                // the fragments of the two slices in are on their way before the front dies
                await().atMost(Duration.ofSeconds(60)).until(() -> metric(http, base, "hoft_bytes_sent_total") >= 2 * per);
                front.destroyForcibly(); // SIGKILL
                assertTrue(front.waitFor(30, TimeUnit.SECONDS));
            }
            Files.move(dir.resolve("front.log"), dir.resolve("front-killed.log"));
            Process restarted = node("front", setup.frontConfig(), "64m", small);
            nodes.add(restarted);
            int again = await().atMost(Duration.ofSeconds(60)).until(() -> port(log("front")), p -> p > 0);
            assertTrue(log("front").contains("was still arriving when the node stopped"), log("front"));

            long size = 3 * per + 5;
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            HttpResponse<byte[]> up = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + again + "/echo"))
                    .header("Prefer", "wait=120").header("X-Test-Id", "after")
                    .POST(Chain.generated(6, size, sent))
                    .build(), BodyHandlers.ofByteArray());
            assertEquals(200, up.statusCode(), new String(up.body(), StandardCharsets.UTF_8));
            assertEquals(HexFormat.of().formatHex(sent.digest()), Chain.JSON.readTree(up.body()).path("bodySha256").asText());
            assertEquals(0, calls(http, callee, "killed"), "the callee never saw the call the killed front had not accepted");
            assertEquals(1, calls(http, callee, "after"));
        } finally {
            for (Process node : nodes) {
                node.destroyForcibly();
            }
        }
    }

    @Test
    @EnabledIfSystemProperty(named = "hoft.long", matches = "true") // three JVM starts: CommitPointTest covers the restart in-process
    void aBackKilledWhileAResponseArrivesAnswersTheCallOnceAndNeverHandsOnPartOfTheBody() throws Exception {
        long per = Fragmenter.bodyBytesPerFile(4L << 20);
        Map<String, String> small = Map.of("HOFT_NODE_CHANNEL_MAX_FILE_SIZE", "4MiB");
        byte[] head = ("HTTP/1.1 200 OK\r\nContent-Length: " + 3 * per + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] part;
        try (InputStream body = SampleCallee.bytes(4, 2 * per + BodySizesTest.SLACK)) {
            part = java.nio.ByteBuffer.allocate(head.length + (int) (2 * per + BodySizesTest.SLACK)).put(head)
                    .put(body.readAllBytes()).array();
        }
        List<Process> nodes = new ArrayList<>();
        try (RawCallee callee = new RawCallee()) {
            callee.script(request -> part); // and then silence on an open connection: the rest never comes
            Setup setup = Setup.of(dir, callee.url(), 0, false);
            setup.write();
            Process back = node("back", setup.backConfig(), "64m", small);
            nodes.add(back);
            nodes.add(node("front", setup.frontConfig(), "64m", small));
            await().atMost(Duration.ofSeconds(60)).until(() -> log("back").contains("back back running"));
            int port = await().atMost(Duration.ofSeconds(60)).until(() -> port(log("front")), p -> p > 0);
            URI base = URI.create("http://127.0.0.1:" + port);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

            var answer = http.sendAsync(HttpRequest.newBuilder(base.resolve("/stalls")).header("Prefer", "wait=120").build(),
                    BodyHandlers.ofByteArray());
            // response fragments reached the front before the back recorded any answer
            await().atMost(Duration.ofSeconds(60)).until(() -> metric(http, base, "hoft_backlog_partial_messages") > 0);
            back.destroyForcibly(); // SIGKILL
            assertTrue(back.waitFor(30, TimeUnit.SECONDS));
            Files.move(dir.resolve("back.log"), dir.resolve("back-killed.log"));
            nodes.add(node("back", setup.backConfig(), "64m", small));

            HttpResponse<byte[]> got = answer.get(120, TimeUnit.SECONDS);
            assertEquals(502, got.statusCode(), new String(got.body(), StandardCharsets.UTF_8));
            assertEquals("upstream-interrupted", got.headers().firstValue("Hoft-Error").orElse(null));
            assertTrue(log("back").contains("was still arriving when the node stopped"), log("back"));
            assertEquals(1, callee.to("/stalls").size(), "the callee was called once");
        } finally {
            for (Process node : nodes) {
                node.destroyForcibly();
            }
        }
    }

    private static long metric(HttpClient http, URI base, String name) throws Exception {
        String text = http.send(HttpRequest.newBuilder(base.resolve("/_hoft/metrics")).build(), BodyHandlers.ofString()).body();
        long sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                sum += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static long calls(HttpClient http, SampleCallee callee, String id) throws Exception {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + callee.port() + "/calls?id=" + id)).build(), BodyHandlers.ofByteArray());
        return Chain.JSON.readTree(response.body()).path("count").asLong();
    }

    private void roundTrip(long size, String heap) throws Exception {
        List<Process> nodes = new ArrayList<>();
        try (SampleCallee callee = SampleCallee.start("127.0.0.1", 0)) {
            Setup setup = Setup.of(dir, "http://127.0.0.1:" + callee.port(), 0, false);
            setup.write();
            Process back = node("back", setup.backConfig(), heap, Map.of());
            nodes.add(back);
            Process front = node("front", setup.frontConfig(), heap, Map.of(
                    "HOFT_FRONT_LIMITS_MAX_BODY", "2GiB",
                    "HOFT_FRONT_SYNC_MAX_WAIT", "30m"));
            nodes.add(front);
            await().atMost(Duration.ofSeconds(60)).until(() -> log("back").contains("back back running"));
            int port = await().atMost(Duration.ofSeconds(60)).until(() -> port(log("front")), p -> p > 0);
            URI base = URI.create("http://127.0.0.1:" + port);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

            // up: a body made while it is sent, never held whole anywhere
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            HttpResponse<byte[]> up = http.send(HttpRequest.newBuilder(base.resolve("/echo"))
                    .header("Prefer", "wait=1800").header("Content-Type", "application/octet-stream")
                    .POST(Chain.generated(21, size, sent))
                    .build(), BodyHandlers.ofByteArray());
            assertEquals(200, up.statusCode(), new String(up.body()));
            JsonNode echo = Chain.JSON.readTree(up.body());
            assertEquals(size, echo.path("bodyLength").asLong());
            assertEquals(HexFormat.of().formatHex(sent.digest()), echo.path("bodySha256").asText(), "the callee got the same bytes");

            // down: /bytes streams from the callee, hashed here as it arrives
            HttpResponse<InputStream> down = http.send(HttpRequest.newBuilder(base.resolve("/bytes?size=" + size + "&seed=22"))
                    .header("Prefer", "wait=1800").GET().build(), BodyHandlers.ofInputStream());
            assertEquals(200, down.statusCode());
            assertEquals(Long.toString(size), down.headers().firstValue("Content-Length").orElse(null));
            String got;
            try (InputStream in = down.body()) {
                got = Chain.sha256(in);
            }
            assertEquals(Chain.sha256(SampleCallee.bytes(22, size)), got, "the caller got the callee's bytes");

            assertTrue(back.isAlive() && front.isAlive(), "both nodes are still running");
            for (Process node : nodes) {
                node.destroy(); // SIGTERM: drain and exit 0
            }
            for (Process node : nodes) {
                assertTrue(node.waitFor(60, TimeUnit.SECONDS), "a node did not stop");
                assertEquals(0, node.exitValue(), "exit code after SIGTERM");
            }
            for (String name : List.of("front", "back")) {
                assertFalse(log(name).contains("OutOfMemoryError"), name + " ran out of memory:\n" + log(name));
            }
        } finally {
            for (Process node : nodes) {
                node.destroyForcibly();
            }
        }
    }

    /** Starts {@code hoft NAME --config FILE} in its own JVM with this test's class path; its output goes to NAME.log. */
    private Process node(String name, Path config, String heap, Map<String, String> environment) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx" + heap, "-XX:+ExitOnOutOfMemoryError",
                "-cp", System.getProperty("java.class.path"), "io.hoft.tools.Main", name, "--config", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile());
        builder.environment().keySet().removeIf(key -> key.startsWith("HOFT_")); // each node takes only its own overrides
        builder.environment().putAll(environment);
        return builder.start();
    }

    private String log(String name) throws IOException {
        Path file = dir.resolve(name + ".log");
        return Files.exists(file) ? Files.readString(file) : "";
    }

    private static int port(String log) {
        Matcher m = LISTENING.matcher(log);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

}
