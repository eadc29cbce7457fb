package io.hoft.front;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hoft.transport.channel.ChannelConfig;
import io.hoft.transport.config.ConfigLoader;
import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.testing.TestNodes;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * A front under test and its in-test back, linked by two shared folders, in one temporary
 * folder: {@code keys/}, {@code state/front}, {@code state/back}, {@code link/to-back},
 * {@code link/to-front}, {@code front.yaml}. The front's config is real YAML read by
 * {@link ConfigLoader}; tests add lines to its {@code front:} section.
 */
final class FrontFixture implements Closeable {
    static final ObjectMapper JSON = new ObjectMapper();

    final Path root;
    final RecordingScheduler scheduler = new RecordingScheduler();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final String frontYaml;
    private final String channelYaml;
    private final ChannelConfig backConfig;
    private final CallbackUrlGuard guard;
    FrontConfig config;
    FrontNode node;
    TestBack back;

    private FrontFixture(Path root, String frontYaml, String channelYaml, ChannelConfig backConfig, CallbackUrlGuard guard) {
        this.root = root;
        this.frontYaml = frontYaml;
        this.channelYaml = channelYaml;
        this.backConfig = backConfig;
        this.guard = guard;
    }

    static Builder in(Path root) {
        return new Builder(root);
    }

    static final class Builder {
        private final Path root;
        private final StringBuilder front = new StringBuilder();
        private String channel = "";
        private ChannelConfig backConfig = ChannelConfig.DEFAULT.withFastTimers();
        private CallbackUrlGuard guard = url -> { };

        Builder(Path root) {
            this.root = root;
        }

        /** Lines for the {@code front:} section, at its indentation (no leading spaces needed). */
        Builder front(String... lines) {
            for (String line : lines) {
                front.append("  ").append(line).append('\n');
            }
            return this;
        }

        /** Extra entries for {@code node.channel}, as "key: value" separated by commas. */
        Builder channel(String entries) {
            channel = ", " + entries;
            return this;
        }

        Builder back(ChannelConfig config) {
            backConfig = config;
            return this;
        }

        Builder guard(CallbackUrlGuard guard) {
            this.guard = guard;
            return this;
        }

        /** Writes keys and front.yaml; starts nothing. */
        FrontFixture prepare() throws IOException {
            FrontFixture fixture = new FrontFixture(root, front.toString(), channel, backConfig, guard);
            fixture.writeFiles();
            return fixture;
        }

        FrontFixture start() throws IOException {
            FrontFixture fixture = prepare();
            fixture.startBack();
            fixture.startFront();
            return fixture;
        }
    }

    private void writeFiles() throws IOException {
        Files.createDirectories(root.resolve("keys"));
        KeyFiles.writePrivate(root.resolve("keys/front.jwks"), TestNodes.frontKeys().toJwkSet(), true);
        KeyFiles.writePublic(root.resolve("keys/back.public.jwks"), TestNodes.backKeys().publicKeys().toJwkSet(), true);
        String yaml = String.join("\n",
                "node:",
                "  id: front",
                "  keys: keys/front.jwks",
                "  state: state/front",
                "  peers:",
                "    - id: back",
                "      keys: keys/back.public.jwks",
                "      link: {outbox: link/to-back, inbox: link/to-front, watch: both, poll: 200ms}",
                "  channel: {heartbeat: 1s, lateAfter: 3s, downAfter: 10s, resendAfter: 3s" + channelYaml + "}",
                "front:",
                "  listen: 127.0.0.1:0",
                frontYaml.contains("routes:") ? "" : "  routes: [{prefix: /, upstream: default}]",
                frontYaml);
        Files.writeString(root.resolve("front.yaml"), yaml);
    }

    FrontConfig loadConfig() {
        return ConfigLoader.load(root.resolve("front.yaml"), FrontConfig.class, Map.of());
    }

    void startBack() throws IOException {
        back = new TestBack(root.resolve("state/back"), root.resolve("link/to-front"), root.resolve("link/to-back"), backConfig);
    }

    void startFront() throws IOException {
        config = loadConfig();
        node = FrontNode.open(config, scheduler, guard, Clock.systemUTC());
        node.start();
    }

    void stopFront() throws IOException {
        if (node != null) {
            node.close(Duration.ofSeconds(5));
            node = null;
        }
    }

    InetSocketAddress address() {
        return node.address();
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + address().getPort() + pathAndQuery);
    }

    RawHttp raw() throws IOException {
        return new RawHttp(address());
    }

    HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<byte[]> get(String pathAndQuery) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(pathAndQuery)));
    }

    HttpResponse<byte[]> post(String pathAndQuery, byte[] body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(pathAndQuery)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request);
    }

    static JsonNode json(HttpResponse<byte[]> response) throws IOException {
        return JSON.readTree(response.body());
    }

    /** The call's state as {@code GET /_hoft/requests/{id}} shows it. */
    JsonNode poll(String id) throws IOException, InterruptedException {
        return json(get("/_hoft/requests/" + id));
    }

    /** Waits until the call reaches {@code status}. */
    JsonNode awaitStatus(String id, String status) {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> poll(id), json -> json.path("status").asText().equals(status));
    }

    @Override
    public void close() throws IOException {
        // Both sides at once: each transport takes up to a second to stop its threads.
        java.util.concurrent.CompletableFuture<Void> backClosed = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                if (back != null) {
                    back.close();
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            stopFront();
        } finally {
            backClosed.join();
        }
    }
}
