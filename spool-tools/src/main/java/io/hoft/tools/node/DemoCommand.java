package io.hoft.tools.node;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hoft.back.BackConfig;
import io.hoft.back.BackNode;
import io.hoft.front.FrontConfig;
import io.hoft.front.FrontNode;
import io.hoft.samples.SampleCallee;
import io.hoft.samples.WebhookReceiver;
import io.hoft.samples.WebhookVerifier;
import io.hoft.tools.Main;
import io.hoft.transport.config.ConfigLoader;
import io.hoft.transport.config.DataSize;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.commons.io.file.PathUtils;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hoft demo}: the whole chain on loopback in a temporary folder (sample callee, back,
 * front, a shared-folder link, a webhook receiver), a call in every mode through it, and an
 * account of each. Exits 0 only if every call did what the contract says.
 */
@Command(name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a whole hoft setup on loopback in a temporary folder: the sample callee, a back, a front and a"
                + " folder link between them, plus a webhook receiver that verifies signatures. Then it sends calls in"
                + " every mode (sync, callback, raw callback with status events, poll, a binary body, a large body each"
                + " way, errors and redirects passed through) and prints what happened to each.",
            "Needs nothing but a JDK; touches nothing outside the temporary folder, which is removed afterwards"
                + " unless --keep is given."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every call worked", "1:at least one call did not do what it should"},
        footer = {"", "Example: hoft demo --large 256MiB --keep"})
public final class DemoCommand implements Callable<Integer> {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--large", paramLabel = "SIZE", defaultValue = "64MiB",
            description = "size of the large body sent each way (default: ${DEFAULT-VALUE})")
    String large;

    @Option(names = "--keep", description = "keep the temporary folder (configs, keys, spools, databases) to look at")
    boolean keep;

    @Option(names = "--verbose", description = "show the nodes' logs (otherwise only their warnings)")
    boolean verbose;

    @Spec
    CommandSpec spec;

    private PrintWriter out;
    private HttpClient http;
    private URI front;
    private URI callee;
    private WebhookReceiver receiver;
    private final List<String> statusEvents = new CopyOnWriteArrayList<>();

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        long largeBytes;
        try {
            largeBytes = DataSize.parse(large).bytes();
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException("--large: " + e.getMessage());
        }
        if (!verbose) {
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN);
        }
        Path dir = Files.createTempDirectory("hoft-demo-");
        long started = System.nanoTime();
        List<Step> steps = new ArrayList<>();
        try (SampleCallee sampleCallee = SampleCallee.start("127.0.0.1", 0)) {
            callee = URI.create("http://127.0.0.1:" + sampleCallee.port());
            Setup setup = Setup.of(dir, callee.toString(), 0, false).withCallbacks("    retryInitial: 1s\n");
            setup.write();
            out.println("hoft demo: sample callee, back and front on loopback, linked by folders in " + dir);
            try (BackNode back = BackNode.start(BackConfig.load(setup.backConfig(), Map.of()));
                    FrontNode frontNode = FrontNode.open(
                            ConfigLoader.load(setup.frontConfig(), FrontConfig.class, Map.of()), Clock.systemUTC());
                    WebhookReceiver hooks = WebhookReceiver.start("127.0.0.1", 0,
                            new WebhookVerifier(Files.readString(setup.webhookSecret()).trim()))) {
                frontNode.start();
                receiver = hooks;
                receiver.onStatus(event -> statusEvents.add(event.status() + "@" + event.requestId()));
                front = URI.create("http://127.0.0.1:" + frontNode.address().getPort());
                http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
                out.println("  caller -> front " + front + " -> " + dir.relativize(setup.linkFolders().get(0))
                        + " -> back -> callee " + callee);
                out.println("  callbacks -> webhook receiver " + receiver.resultUrl() + " (verifies Standard Webhooks signatures)");
                out.println();
                run(steps, "sync GET", this::syncGet);
                run(steps, "sync POST with a JSON body", this::syncPost);
                run(steps, "binary body (all 256 byte values)", this::binaryBody);
                run(steps, "large body up (" + large + ")", () -> largeUp(largeBytes));
                run(steps, "large body down (" + large + ")", () -> largeDown(largeBytes));
                run(steps, "async with a JSON callback and status events", this::jsonCallback);
                run(steps, "async with a raw callback", this::rawCallback);
                run(steps, "poll", this::poll);
                run(steps, "callee's errors and redirects pass through", this::passThrough);
                run(steps, "each call reached the callee once", this::once);
                run(steps, "link health", this::health);
            }
        } finally {
            if (keep) {
                out.println();
                out.println("kept " + dir + " (front.yaml, back.yaml, keys, state, link); look with: hoft spool stats --config "
                        + dir.resolve("front.yaml"));
            } else {
                PathUtils.deleteDirectory(dir);
            }
        }
        long failed = steps.stream().filter(step -> !step.ok).count();
        out.println();
        double seconds = (System.nanoTime() - started) / 1e9;
        if (failed == 0) {
            out.printf("all %d checks passed in %.1f s%n", steps.size(), seconds);
            return Main.OK;
        }
        out.printf("%d of %d checks FAILED (%.1f s)%n", failed, steps.size(), seconds);
        return Main.FOUND_WRONG;
    }

    /** One check of the demo: it returns what it saw, or throws saying what went wrong. */
    @FunctionalInterface
    private interface Check {
        String run() throws Exception;
    }

    private record Step(String name, boolean ok) {}

    private void run(List<Step> steps, String name, Check check) {
        long start = System.nanoTime();
        boolean ok;
        String account;
        try {
            account = check.run();
            ok = true;
        } catch (Exception | AssertionError e) {
            account = e.getMessage() == null ? e.toString() : e.getMessage();
            ok = false;
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        out.printf("%s %-48s %6d ms  %s%n", ok ? "ok  " : "FAIL", name, ms, account);
        out.flush();
        steps.add(new Step(name, ok));
    }

    private String syncGet() throws Exception {
        HttpResponse<byte[]> response = send(request("/echo?from=demo&q=%41%20b")
                .header("X-Test-Id", "demo-sync-get").header("X-Demo", "one").header("X-Demo", "two").GET());
        expectStatus(response, 200);
        JsonNode echo = JSON.readTree(response.body());
        expect(echo.path("target").asText().equals("/echo?from=demo&q=%41%20b"), "the callee saw target " + echo.path("target"));
        return "200 from the callee, path and query byte for byte, request id "
                + response.headers().firstValue("Hoft-Request-Id").orElseThrow(() -> new AssertionError("no Hoft-Request-Id"));
    }

    private String syncPost() throws Exception {
        String body = "{\"order\": 42, \"note\": \"caf\u00e9\"}";
        HttpResponse<byte[]> response = send(request("/echo").header("X-Test-Id", "demo-sync-post")
                .header("Content-Type", "application/json").POST(BodyPublishers.ofString(body, StandardCharsets.UTF_8)));
        expectStatus(response, 200);
        JsonNode echo = JSON.readTree(response.body());
        expect(echo.path("body").asText().equals(body), "the callee got body " + echo.path("body"));
        return "the callee got the JSON body intact";
    }

    private String binaryBody() throws Exception {
        byte[] body = new byte[256 * 1024];
        new SplittableRandom(7).nextBytes(body);
        for (int i = 0; i < 256; i++) {
            body[i] = (byte) i;
        }
        HttpResponse<byte[]> response = send(request("/echo").header("X-Test-Id", "demo-binary")
                .header("Content-Type", "application/octet-stream").POST(BodyPublishers.ofByteArray(body)));
        expectStatus(response, 200);
        JsonNode echo = JSON.readTree(response.body());
        String sent = sha256(body);
        expect(echo.path("bodySha256").asText().equals(sent), "the callee got SHA-256 " + echo.path("bodySha256") + ", sent " + sent);
        return "256 KiB arrived with the same SHA-256 (" + sent.substring(0, 16) + "...)";
    }

    private String largeUp(long size) throws Exception {
        MessageDigest digest = sha256();
        HttpRequest.BodyPublisher body = BodyPublishers.fromPublisher(BodyPublishers.ofInputStream(
                () -> new DigestInputStream(SampleCallee.bytes(11, size), digest)), size);
        long start = System.nanoTime();
        HttpResponse<byte[]> response = send(request("/echo").header("X-Test-Id", "demo-large-up")
                .header("Content-Type", "application/octet-stream").timeout(Duration.ofMinutes(10)).POST(body));
        double seconds = (System.nanoTime() - start) / 1e9;
        expectStatus(response, 200);
        JsonNode echo = JSON.readTree(response.body());
        String sent = HexFormat.of().formatHex(digest.digest());
        expect(echo.path("bodyLength").asLong() == size, "the callee got " + echo.path("bodyLength") + " bytes of " + size);
        expect(echo.path("bodySha256").asText().equals(sent), "the callee got a different SHA-256");
        return String.format("%d bytes arrived intact, %.0f MB/s end to end", size, size / seconds / 1e6);
    }

    private String largeDown(long size) throws Exception {
        long start = System.nanoTime();
        HttpResponse<InputStream> response = http.send(request("/bytes?size=" + size + "&seed=5")
                .header("X-Test-Id", "demo-large-down").timeout(Duration.ofMinutes(10)).GET().build(), BodyHandlers.ofInputStream());
        String got;
        long length = 0;
        try (InputStream in = response.body()) {
            MessageDigest digest = sha256();
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; length += n) {
                digest.update(buffer, 0, n);
            }
            got = HexFormat.of().formatHex(digest.digest());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        expect(response.statusCode() == 200, "status " + response.statusCode());
        String expected;
        try (InputStream in = SampleCallee.bytes(5, size)) {
            MessageDigest digest = sha256();
            in.transferTo(new java.security.DigestOutputStream(java.io.OutputStream.nullOutputStream(), digest));
            expected = HexFormat.of().formatHex(digest.digest());
        }
        expect(length == size && got.equals(expected), "got " + length + " bytes with a different SHA-256");
        return String.format("%d bytes came back intact, %.0f MB/s end to end", size, size / seconds / 1e6);
    }

    private String jsonCallback() throws Exception {
        HttpResponse<byte[]> accepted = send(request("/echo").header("X-Test-Id", "demo-callback")
                .header("Hoft-Callback", receiver.resultUrl().toString())
                .header("Hoft-Status-Callback", receiver.statusUrl().toString())
                .POST(BodyPublishers.ofString("call me back")));
        String id = expectAccepted(accepted);
        WebhookReceiver.Callback callback = receiver.resultOf(id).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        JsonNode json = callback.json();
        expect(json.path("status").asText().equals("responded"), "callback status " + json.path("status"));
        expect(json.path("response").path("status").asInt() == 200, "callback carried status " + json.path("response").path("status"));
        JsonNode echo = JSON.readTree(json.path("response").path("body").asText());
        expect(echo.path("body").asText().equals("call me back"), "the callee got body " + echo.path("body"));
        List<String> events = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            events.clear();
            statusEvents.stream().filter(e -> e.endsWith("@" + id)).map(e -> e.substring(0, e.indexOf('@'))).forEach(events::add);
            if (events.contains("responded")) {
                break;
            }
            Thread.sleep(50);
        }
        expect(events.contains("responded"), "status events seen: " + events);
        return "202 at once, then a signed callback (webhook-id " + callback.webhookId() + "); status events " + events;
    }

    private String rawCallback() throws Exception {
        HttpResponse<byte[]> accepted = send(request("/status/201").header("X-Test-Id", "demo-raw")
                .header("Hoft-Callback", receiver.resultUrl().toString()).header("Hoft-Callback-Format", "raw")
                .POST(BodyPublishers.ofString("raw please")));
        String id = expectAccepted(accepted);
        WebhookReceiver.Callback callback = receiver.resultOf(id).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        expect("201".equals(callback.hoftStatus()), "raw callback with Hoft-Status " + callback.hoftStatus());
        return "signed raw callback: the callee's body byte for byte, Hoft-Status " + callback.hoftStatus()
                + ", Content-Type " + callback.contentType();
    }

    private String poll() throws Exception {
        HttpResponse<byte[]> accepted = send(request("/echo?poll=1").header("X-Test-Id", "demo-poll")
                .header("Prefer", "respond-async").GET());
        String id = expectAccepted(accepted);
        String location = accepted.headers().firstValue("Location").orElseThrow(() -> new AssertionError("no Location"));
        long deadline = System.nanoTime() + WAIT.toNanos();
        int polls = 0;
        String status = "";
        while (System.nanoTime() < deadline) {
            polls++;
            HttpResponse<byte[]> state = send(HttpRequest.newBuilder(front.resolve(location)).GET());
            expectStatus(state, 200);
            status = JSON.readTree(state.body()).path("status").asText();
            if (status.equals("responded") || status.equals("failed") || status.equals("expired")) {
                break;
            }
            Thread.sleep(100);
        }
        expect(status.equals("responded"), "the call ended " + status);
        HttpResponse<byte[]> response = send(HttpRequest.newBuilder(front.resolve(location + "/response")).GET());
        expectStatus(response, 200);
        expect(JSON.readTree(response.body()).path("target").asText().equals("/echo?poll=1"), "the response is not the echo");
        return "202, " + polls + " poll(s) of " + location + ", then the response verbatim (request " + id + ")";
    }

    private String passThrough() throws Exception {
        HttpResponse<byte[]> teapot = send(request("/status/418").header("X-Test-Id", "demo-418").GET());
        expectStatus(teapot, 418);
        HttpResponse<byte[]> redirect = send(request("/redirect").header("X-Test-Id", "demo-redirect").GET());
        expectStatus(redirect, 302);
        expect(redirect.headers().firstValue("Location").orElse("").equals("/echo"), "Location " + redirect.headers().firstValue("Location"));
        return "418 came back as 418; 302 came back as 302 with its Location, not followed";
    }

    private String once() throws Exception {
        HttpResponse<byte[]> response = send(HttpRequest.newBuilder(callee.resolve("/calls")).GET());
        JsonNode counts = JSON.readTree(response.body()).path("counts");
        List<String> wrong = new ArrayList<>();
        counts.fields().forEachRemaining(entry -> {
            if (entry.getValue().asLong() != 1) {
                wrong.add(entry.getKey() + " x" + entry.getValue().asLong());
            }
        });
        expect(counts.size() >= 10 && wrong.isEmpty(), "calls seen by the callee: " + counts);
        return counts.size() + " calls, each seen by the callee exactly once";
    }

    private String health() throws Exception {
        HttpResponse<byte[]> response = send(HttpRequest.newBuilder(front.resolve("/_hoft/health")).GET());
        expectStatus(response, 200);
        JsonNode peer = JSON.readTree(response.body()).path("peers").path(0);
        expect(peer.path("state").asText().equals("up"), "peer " + peer);
        return "front sees peer " + peer.path("id").asText() + " " + peer.path("state").asText() + ", backlog "
                + peer.path("backlog").path("unackedFiles").asLong() + " unacked files";
    }

    private HttpRequest.Builder request(String target) {
        return HttpRequest.newBuilder(front.resolve(target)).timeout(WAIT);
    }

    private HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.build(), BodyHandlers.ofByteArray());
    }

    private static String expectAccepted(HttpResponse<byte[]> response) throws IOException {
        expectStatus(response, 202);
        JsonNode body = JSON.readTree(response.body());
        expect(body.path("status").asText().equals("queued"), "202 body " + new String(response.body(), StandardCharsets.UTF_8));
        return body.path("id").asText();
    }

    private static void expectStatus(HttpResponse<byte[]> response, int status) {
        if (response.statusCode() != status) {
            String body = new String(response.body(), 0, Math.min(response.body().length, 200), StandardCharsets.UTF_8);
            throw new AssertionError("expected " + status + ", got " + response.statusCode()
                    + response.headers().firstValue("Hoft-Error").map(e -> " (Hoft-Error: " + e + ")").orElse("") + " " + body);
        }
    }

    private static void expect(boolean condition, String otherwise) {
        if (!condition) {
            throw new AssertionError(otherwise);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }
}
