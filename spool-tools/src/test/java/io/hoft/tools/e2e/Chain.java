package io.hoft.tools.e2e;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hoft.back.BackConfig;
import io.hoft.back.BackNode;
import io.hoft.front.FrontConfig;
import io.hoft.front.FrontNode;
import io.hoft.samples.SampleCallee;
import io.hoft.samples.WebhookVerifier;
import io.hoft.tools.node.Setup;
import io.hoft.transport.config.ConfigLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The whole chain in this JVM, as an operator runs it: a setup written by {@link Setup} (what
 * {@code hoft init} writes: keys, webhook secret, shared link folders, front.yaml, back.yaml),
 * a callee (the {@link SampleCallee}, or any upstream URL), a {@link BackNode} and a
 * {@link FrontNode} opened from those files, on loopback port 0 and real folders.
 *
 * <p>Tests change settings the way an operator can: environment overrides ({@code HOFT_...},
 * see {@link ConfigLoader}), or an edit of the written front.yaml (auth and routes, which
 * are lists and sections).
 */
final class Chain implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final ObjectMapper JSON = new ObjectMapper();

    final Path dir;
    final Setup setup;
    final SampleCallee callee;
    final URI calleeUri;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(10)).build();
    private final Map<String, String> backEnv;
    private final FrontNode front;
    private final URI base;
    private volatile BackNode back;

    /** How to build a chain. */
    static final class Builder {
        private final Path dir;
        private String upstream;
        private final Map<String, String> frontEnv = new HashMap<>();
        private final Map<String, String> backEnv = new HashMap<>();
        private UnaryOperator<String> frontYaml = UnaryOperator.identity();
        private boolean startBack = true;
        private List<Path> shares = List.of();

        private Builder(Path dir) {
            this.dir = dir;
        }

        /** The back's upstream "default"; without it, a {@link SampleCallee} is started. */
        Builder upstream(String url) {
            this.upstream = url;
            return this;
        }

        /** An environment override of front.yaml, e.g. {@code HOFT_FRONT_REQUEST_TTL=2s}. */
        Builder front(String variable, String value) {
            frontEnv.put(variable, value);
            return this;
        }

        /** An environment override of back.yaml, e.g. {@code HOFT_BACK_RETRY_MAX_RETRIES=0}. */
        Builder back(String variable, String value) {
            backEnv.put(variable, value);
            return this;
        }

        /** Rewrites the front.yaml that {@link Setup} wrote (for auth and routes). */
        Builder frontYaml(UnaryOperator<String> edit) {
            this.frontYaml = edit;
            return this;
        }

        /** Folders the back publishes through the file share (what {@code hoft init --share} does). */
        Builder share(Path... folders) {
            this.shares = List.of(folders);
            return this;
        }

        /** Leaves the back stopped: calls stay in the link folder until {@link Chain#startBack}. */
        Builder withoutBack() {
            this.startBack = false;
            return this;
        }

        /** Writes the setup (and the edited front.yaml) without starting anything; for tests of refusals. */
        Setup writeOnly() throws IOException {
            Setup setup = Setup.of(dir, upstream == null ? "http://127.0.0.1:1" : upstream, 0, false);
            setup.write();
            Files.writeString(setup.frontConfig(), frontYaml.apply(Files.readString(setup.frontConfig())));
            return setup;
        }

        Chain start() throws IOException {
            return new Chain(this);
        }
    }

    /** {@code size} bytes of {@link SampleCallee#bytes} made while they are sent (with Content-Length), hashed into {@code digest}. */
    static HttpRequest.BodyPublisher generated(long seed, long size, MessageDigest digest) {
        if (size == 0) {
            return HttpRequest.BodyPublishers.noBody();
        }
        return HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(
                () -> new DigestInputStream(SampleCallee.bytes(seed, size), digest)), size);
    }

    /** The SHA-256 of what {@code in} yields, in hex. */
    static String sha256(InputStream in) throws IOException, NoSuchAlgorithmException {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (OutputStream sink = new DigestOutputStream(OutputStream.nullOutputStream(), digest)) {
            in.transferTo(sink);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static Builder in(Path dir) {
        return new Builder(dir);
    }

    private Chain(Builder b) throws IOException {
        this.dir = b.dir;
        this.backEnv = Map.copyOf(b.backEnv);
        SampleCallee started = b.upstream == null ? SampleCallee.start("127.0.0.1", 0) : null;
        this.callee = started;
        this.calleeUri = URI.create(started != null ? "http://127.0.0.1:" + started.port() : b.upstream);
        FrontNode opened = null;
        try {
            this.setup = Setup.of(dir, calleeUri.toString(), 0, false).withShares(b.shares);
            setup.write();
            Files.writeString(setup.frontConfig(), b.frontYaml.apply(Files.readString(setup.frontConfig())));
            if (b.startBack) {
                startBack();
            }
            opened = FrontNode.open(ConfigLoader.load(setup.frontConfig(), FrontConfig.class, b.frontEnv), Clock.systemUTC());
            opened.start();
        } catch (IOException | RuntimeException e) {
            closeQuietly(opened);
            closeQuietly(back);
            if (started != null) {
                started.close();
            }
            throw e;
        }
        this.front = opened;
        this.base = URI.create("http://127.0.0.1:" + front.address().getPort());
    }

    /** Starts the back (again), from back.yaml with this chain's overrides. */
    void startBack() throws IOException {
        back = BackNode.start(BackConfig.load(setup.backConfig(), backEnv));
    }

    void stopBack() throws IOException {
        BackNode running = back;
        back = null;
        if (running != null) {
            running.close();
        }
    }

    URI url(String target) {
        return base.resolve(target);
    }

    int frontPort() {
        return base.getPort();
    }

    HttpRequest.Builder request(String target) {
        return HttpRequest.newBuilder(url(target)).timeout(WAIT);
    }

    HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.build(), BodyHandlers.ofByteArray());
    }

    WebhookVerifier verifier() throws IOException {
        return new WebhookVerifier(Files.readString(setup.webhookSecret()).trim());
    }

    /** The front's JSON view of a call ({@code GET /_hoft/requests/{id}}). */
    JsonNode state(String id) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = send(request("/_hoft/requests/" + id).GET());
        if (response.statusCode() != 200) {
            throw new AssertionError("poll of " + id + ": " + response.statusCode() + " " + text(response));
        }
        return JSON.readTree(response.body());
    }

    /** Polls until the call reaches {@code status}; returns its last state. */
    JsonNode awaitStatus(String id, String status) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
            last[0] = state(id);
            return last[0].path("status").asText().equals(status);
        });
        return last[0];
    }

    /** How many calls with this X-Test-Id the sample callee saw. */
    long calleeCount(String testId) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(calleeUri.resolve("/calls?id=" + testId)).build(),
                BodyHandlers.ofByteArray());
        return JSON.readTree(response.body()).path("count").asLong();
    }

    /** Calls stored by the front in any state, from its metrics ({@code hoft_front_requests{state=...}}). */
    long storedCalls() throws IOException, InterruptedException {
        String metrics = text(send(request("/_hoft/metrics").GET()));
        Matcher m = Pattern.compile("(?m)^hoft_front_requests\\{state=\"[a-z]+\"} ([0-9.]+)").matcher(metrics);
        long total = 0;
        boolean any = false;
        while (m.find()) {
            total += (long) Double.parseDouble(m.group(1));
            any = true;
        }
        if (!any) {
            throw new AssertionError("no hoft_front_requests gauge in the metrics:\n" + metrics);
        }
        return total;
    }

    static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    static JsonNode json(HttpResponse<byte[]> response) throws IOException {
        return JSON.readTree(response.body());
    }

    /** A loopback port nothing listens on (bound, then released). */
    static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Names of headers java.net.http sends on its own, which tests of "nothing added" must discount. */
    static final Set<String> CLIENT_OWN = Set.of("host", "user-agent", "content-length");

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable != null) {
            try {
                closeable.close();
            } catch (Exception e) {
                // already failing; the first error is the one to report
            }
        }
    }

    @Override
    public void close() throws IOException {
        try {
            front.close(Duration.ofSeconds(2));
        } finally {
            try {
                stopBack();
            } finally {
                if (callee != null) {
                    callee.close();
                }
            }
        }
    }
}
