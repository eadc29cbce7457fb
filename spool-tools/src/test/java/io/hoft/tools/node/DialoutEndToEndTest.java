package io.hoft.tools.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hoft.samples.SampleCallee;
import io.hoft.samples.WebhookReceiver;
import io.hoft.samples.WebhookVerifier;
import io.hoft.tools.Cli;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dial-out link end to end with real processes: {@code hoft init --link dialout}, the
 * front and the back as {@code hoft front} and {@code hoft back} in their own JVMs, the back
 * reaching the front only through an outbound HTTP proxy ({@link TestProxy}: CONNECT for the
 * WebSocket, forwarding for the transfers, slowed down so a transfer can be cut in the middle).
 *
 * <p>The back listens on no port (its sockets in {@code /proc} say so); sync, poll and callback
 * calls and large binary bodies both ways work; cutting the control connection, then every
 * connection, in the middle of a large transfer, and killing the front with SIGKILL in the middle
 * of one, still ends each call once: the callee counts ids and the bodies' digests match.
 */
class DialoutEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path root;

    private final List<NodeProcess> processes = new ArrayList<>();
    private SampleCallee callee;
    private WebhookReceiver hooks;
    private TestProxy proxy;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private URI front;

    @AfterEach
    void stopEverything() throws Exception {
        for (NodeProcess process : processes) {
            process.close();
        }
        String keep = System.getProperty("hoft.dialout.logs");
        if (keep != null) { // -Dhoft.dialout.logs=DIR keeps the nodes' logs
            Files.createDirectories(Path.of(keep));
            for (String node : List.of("front", "back")) {
                if (Files.exists(root.resolve(node + ".log"))) {
                    Files.copy(root.resolve(node + ".log"), Path.of(keep, node + ".log"),
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        if (proxy != null) {
            proxy.close();
        }
        if (hooks != null) {
            hooks.close();
        }
        if (callee != null) {
            callee.close();
        }
    }

    @Test
    void theBackDialsOutListensOnNoPortAndEveryCallEndsOnceThroughCutsAndAFrontKill() throws Exception {
        callee = SampleCallee.start("127.0.0.1", 0);
        proxy = new TestProxy();
        int port = NodeProcess.freePort();
        Path setup = root.resolve("setup");
        Cli.Result init = Cli.run("init", setup, "--link", "dialout", "--upstream", "http://127.0.0.1:" + callee.port(),
                "--front-port", port);
        assertEquals(0, init.exit(), init::toString);
        assertTrue(init.out().contains("dial-out link"), init.out());
        hooks = WebhookReceiver.start("127.0.0.1", 0,
                new WebhookVerifier(Files.readString(setup.resolve("keys/webhook.secret")).trim()));
        front = URI.create("http://127.0.0.1:" + port);

        // short heartbeats so that a dead connection is noticed within seconds
        Map<String, String> frontEnv = Map.of("HOFT_NODE_PEERS_0_LINK_HEARTBEAT", "1s");
        Map<String, String> backEnv = Map.of("HOFT_NODE_PEERS_0_LINK_HEARTBEAT", "1s",
                "HOFT_NODE_PEERS_0_LINK_PROXY", "127.0.0.1:" + proxy.port());
        NodeProcess frontNode = startFront(setup, port, frontEnv);
        NodeProcess back = NodeProcess.start("back", setup.resolve("back.yaml"), root.resolve("back.log"), backEnv);
        processes.add(back);
        back.awaitLog("control connection to front");
        awaitConnected(1);

        // the back listens on no port at all (and the check can see a listening socket: the front's)
        assertEquals(List.of(), listeningSockets(back.pid()), "listening sockets of the back");
        assertTrue(!listeningSockets(frontNode.pid()).isEmpty(), "the front's listener is visible to the check");
        assertTrue(proxy.connects.get() >= 1, "the control connection went through the proxy with CONNECT");

        // sync
        HttpResponse<byte[]> sync = http.send(post("/echo?mode=sync", "dialout-sync", "hello over the dial-out link")
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, sync.statusCode(), () -> new String(sync.body()));
        assertEquals("hello over the dial-out link", JSON.readTree(sync.body()).path("body").asText());

        // poll
        HttpResponse<byte[]> polled = http.send(post("/echo?mode=poll", "dialout-poll", "poll me")
                .header("Prefer", "respond-async").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(202, polled.statusCode());
        String pollId = polled.headers().firstValue("Hoft-Request-Id").orElseThrow();
        awaitStatus(pollId, "responded");
        assertEquals("poll me", JSON.readTree(response(pollId)).path("body").asText());

        // callback
        HttpResponse<byte[]> async = http.send(post("/echo?mode=callback", "dialout-callback", "call me back")
                .header("Hoft-Callback", hooks.resultUrl().toString()).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(202, async.statusCode());
        String callbackId = async.headers().firstValue("Hoft-Request-Id").orElseThrow();
        WebhookReceiver.Callback callback = hooks.resultOf(callbackId).get(60, TimeUnit.SECONDS);
        assertEquals("responded", callback.json().path("status").asText());

        // raw callback with status events
        Map<String, List<String>> events = new java.util.concurrent.ConcurrentHashMap<>();
        hooks.onStatus(event -> events.computeIfAbsent(event.requestId(), id -> new java.util.concurrent.CopyOnWriteArrayList<>())
                .add(event.status()));
        HttpResponse<byte[]> raw = http.send(post("/echo?mode=raw", "dialout-raw", "raw back")
                .header("Hoft-Callback", hooks.resultUrl().toString()).header("Hoft-Callback-Format", "raw")
                .header("Hoft-Status-Callback", hooks.statusUrl().toString()).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(202, raw.statusCode());
        String rawId = raw.headers().firstValue("Hoft-Request-Id").orElseThrow();
        WebhookReceiver.Callback rawCallback = hooks.resultOf(rawId).get(60, TimeUnit.SECONDS);
        assertEquals("200", rawCallback.hoftStatus());
        assertEquals("raw back", JSON.readTree(rawCallback.body()).path("body").asText());
        await().atMost(WAIT).untilAsserted(() -> assertTrue(events.getOrDefault(rawId, List.of()).containsAll(
                List.of("transferred", "delivered", "responded")), () -> "status events " + events.get(rawId)));

        // large binary bodies both ways, small calls alongside
        byte[] large = randomBytes(3 << 20, 1);
        HttpResponse<byte[]> up = http.send(HttpRequest.newBuilder(front.resolve("/echo?mode=large"))
                .header("X-Test-Id", "dialout-large-up").timeout(WAIT).POST(HttpRequest.BodyPublishers.ofByteArray(large)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, up.statusCode());
        assertEquals(sha256(large), JSON.readTree(up.body()).path("bodySha256").asText());
        HttpResponse<byte[]> down = http.send(HttpRequest.newBuilder(front.resolve("/bytes?size=" + (5 << 20) + "&seed=3"))
                .header("X-Test-Id", "dialout-large-down").timeout(WAIT).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, down.statusCode());
        assertEquals(sha256(SampleCallee.bytes(3, 5 << 20).readAllBytes()), sha256(down.body()));

        // a large call in flight (front to back: the back fetches it): cut the control connection in
        // the middle of the fetch, then every connection; the fetch starts again and the call ends once
        proxy.throttleBytesPerSecond = 16L << 20;
        byte[] cutBody = randomBytes(24 << 20, 2);
        String cutId = accepted(HttpRequest.newBuilder(front.resolve("/echo?mode=cut")).header("X-Test-Id", "dialout-cut")
                .header("Prefer", "respond-async").timeout(WAIT).POST(HttpRequest.BodyPublishers.ofByteArray(cutBody)));
        long before = proxy.forwardedBytes.get();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> proxy.forwardedBytes.get() - before > (4 << 20));
        proxy.cutTunnels();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> proxy.forwardedBytes.get() - before > (12 << 20));
        proxy.cutAll();
        awaitStatus(cutId, "responded");
        assertEquals(sha256(cutBody), JSON.readTree(response(cutId)).path("bodySha256").asText());
        awaitConnected(2);

        // a large response in flight (back to front: the back uploads it): kill the front with SIGKILL in
        // the middle of the upload and start it again; the upload starts again and the call ends once
        String killId = accepted(HttpRequest.newBuilder(front.resolve("/bytes?size=" + (24 << 20) + "&seed=4"))
                .header("X-Test-Id", "dialout-kill").header("Prefer", "respond-async").timeout(WAIT).GET());
        await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> calleeCount("dialout-kill") == 1);
        long beforeKill = proxy.forwardedBytes.get();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> proxy.forwardedBytes.get() - beforeKill > (6 << 20));
        frontNode.kill();
        Thread.sleep(500);
        proxy.throttleBytesPerSecond = 0;
        frontNode = startFront(setup, port, frontEnv);
        awaitStatus(killId, "responded");
        HttpResponse<InputStream> killed = http.send(HttpRequest.newBuilder(front.resolve("/_hoft/requests/" + killId + "/response"))
                .timeout(WAIT).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, killed.statusCode());
        assertEquals(sha256(SampleCallee.bytes(4, 24 << 20).readAllBytes()), sha256(killed.body().readAllBytes()));
        awaitConnected(1); // the restarted front counts from zero

        for (String id : List.of("dialout-sync", "dialout-poll", "dialout-callback", "dialout-raw", "dialout-large-up", "dialout-large-down",
                "dialout-cut", "dialout-kill")) {
            assertEquals(1L, calleeCount(id), "the callee saw " + id + " once");
        }
        assertEquals(List.of(), listeningSockets(back.pid()), "listening sockets of the back, after all that");
        for (String node : List.of("front", "back")) {
            List<String> errors = Files.readAllLines(root.resolve(node + ".log")).stream()
                    .filter(line -> line.contains(" ERROR ")).toList();
            assertEquals(List.of(), errors, node + ".log");
        }
    }

    private NodeProcess startFront(Path setup, int port, Map<String, String> env) throws IOException {
        NodeProcess node = NodeProcess.start("front", setup.resolve("front.yaml"), root.resolve("front.log"), env);
        processes.add(node);
        return node.awaitHealthy(port);
    }

    private HttpRequest.Builder post(String target, String testId, String body) {
        return HttpRequest.newBuilder(front.resolve(target)).header("X-Test-Id", testId).timeout(WAIT)
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    private String accepted(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(202, response.statusCode(), () -> new String(response.body()));
        return response.headers().firstValue("Hoft-Request-Id").orElseThrow();
    }

    private void awaitConnected(long atLeastConnections) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            JsonNode health = JSON.readTree(http.send(HttpRequest.newBuilder(front.resolve("/_hoft/health")).build(),
                    HttpResponse.BodyHandlers.ofByteArray()).body());
            JsonNode dialout = health.path("peers").path(0).path("dialout");
            assertTrue(dialout.path("connected").asBoolean(), health::toString);
            assertTrue(dialout.path("connections").asLong() >= atLeastConnections, health::toString);
        });
    }

    private void awaitStatus(String id, String status) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
            HttpResponse<byte[]> state;
            try {
                state = http.send(HttpRequest.newBuilder(front.resolve("/_hoft/requests/" + id)).timeout(Duration.ofSeconds(5))
                        .build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                return false; // the front is restarting
            }
            return state.statusCode() == 200 && JSON.readTree(state.body()).path("status").asText().equals(status);
        });
    }

    private byte[] response(String id) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(front.resolve("/_hoft/requests/" + id + "/response"))
                .timeout(WAIT).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        return response.body();
    }

    private long calleeCount(String testId) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + callee.port()
                + "/calls?id=" + testId)).build(), HttpResponse.BodyHandlers.ofByteArray());
        return JSON.readTree(response.body()).path("count").asLong();
    }

    /**
     * The TCP sockets process {@code pid} holds in LISTEN state: the socket inodes among its file
     * descriptors, looked up in its network namespace's {@code /proc/PID/net/tcp} and {@code tcp6}.
     */
    static List<String> listeningSockets(long pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring("socket:[".length(), target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        List<String> listening = new ArrayList<>();
        for (String table : List.of("tcp", "tcp6")) {
            Path file = Path.of("/proc/" + pid + "/net/" + table);
            if (!Files.exists(file)) {
                continue;
            }
            for (String line : Files.readAllLines(file)) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length > 9 && fields[3].equals("0A") && inodes.contains(fields[9])) {
                    listening.add(table + " " + fields[1]);
                }
            }
        }
        return listening;
    }

    private static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new java.util.Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
