package io.hoft.samples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Calls an API through a hoft front in its three modes, with nothing but the JDK's HTTP client:
 *
 * <ul>
 *   <li><b>sync</b>: the call as you would make it to the API, plus {@code Prefer: wait=N}; the
 *       answer is the API's own (or 202 and a poll URL if it took longer than N seconds);
 *   <li><b>async</b>: {@code Hoft-Callback: URL}; the front answers 202 at once and later POSTs
 *       the result, signed, to a receiver this program runs ({@link WebhookReceiver}, which
 *       verifies the signature with {@link WebhookVerifier}); {@code Hoft-Status-Callback}
 *       shows the call's progress as it moves;
 *   <li><b>poll</b>: {@code Prefer: respond-async}; 202 with {@code Location}, asked until the
 *       status is final, then {@code Location/response} is the API's response verbatim.
 * </ul>
 *
 * <pre>
 * SampleCaller --front http://127.0.0.1:8080 --secret-file DIR/keys/webhook-secret [--mode sync|async|poll|all]
 *              [--path /echo] [--listen-port 0] [--timeout 60]
 * </pre>
 *
 * Exits 0 if every mode asked for got its answer.
 */
public final class SampleCaller {
    private static final Set<String> FINAL = Set.of("responded", "failed", "expired");

    private final URI front;
    private final String path;
    private final Duration timeout;
    private final HttpClient http = HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final ObjectMapper json = new ObjectMapper();

    public SampleCaller(URI front, String path, Duration timeout) {
        this.front = front;
        this.path = path;
        this.timeout = timeout;
    }

    public static void main(String[] args) throws Exception {
        URI front = URI.create("http://127.0.0.1:8080");
        String secret = null;
        String mode = "all";
        String path = "/echo";
        int listenPort = 0;
        Duration timeout = Duration.ofSeconds(60);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--front" -> front = URI.create(args[++i]);
                case "--secret" -> secret = args[++i];
                case "--secret-file" -> secret = Files.readString(Path.of(args[++i])).trim();
                case "--mode" -> mode = args[++i];
                case "--path" -> path = args[++i];
                case "--listen-port" -> listenPort = Integer.parseInt(args[++i]);
                case "--timeout" -> timeout = Duration.ofSeconds(Long.parseLong(args[++i]));
                default -> usage("unknown option " + args[i]);
            }
        }
        List<String> modes = mode.equals("all") ? List.of("sync", "async", "poll") : List.of(mode);
        if (modes.contains("async") && secret == null) {
            usage("async mode needs --secret whsec_... or --secret-file FILE to verify callbacks");
        }
        SampleCaller caller = new SampleCaller(front, path, timeout);
        boolean ok = true;
        for (String m : modes) {
            System.out.println("== " + m);
            ok &= switch (m) {
                case "sync" -> caller.sync();
                case "async" -> caller.async(new WebhookVerifier(secret), listenPort);
                case "poll" -> caller.poll();
                default -> usage("mode is sync, async, poll or all");
            };
        }
        System.exit(ok ? 0 : 1);
    }

    private static boolean usage(String problem) {
        System.err.println(problem);
        System.err.println("usage: SampleCaller --front URL [--secret whsec_... | --secret-file FILE]"
                + " [--mode sync|async|poll|all] [--path /echo] [--listen-port N] [--timeout SECONDS]");
        System.exit(2);
        return false;
    }

    /** Sync: the API's answer in the HTTP response, if it comes within the wait. */
    public boolean sync() throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(call("sync").header("Prefer", "wait=30").build(),
                HttpResponse.BodyHandlers.ofString());
        String id = response.headers().firstValue("Hoft-Request-Id").orElse("?");
        if (response.statusCode() == 202) {
            System.out.println("not back within the wait; request " + id + " goes on at "
                    + response.headers().firstValue("Location").orElse("?"));
            return poll(id);
        }
        System.out.println("request " + id + ": HTTP " + response.statusCode());
        System.out.println(response.body());
        return response.statusCode() < 500;
    }

    /** Async: 202 now, the result later as a signed callback to our receiver. */
    public boolean async(WebhookVerifier verifier, int listenPort) throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start("127.0.0.1", listenPort, verifier)) {
            receiver.onStatus(event -> System.out.println("  status event: " + new String(event.body(), StandardCharsets.UTF_8)));
            receiver.onRefusal(reason -> System.out.println("  refused a callback: " + reason));
            HttpResponse<String> accepted = http.send(call("async")
                    .header("Hoft-Callback", receiver.resultUrl().toString())
                    .header("Hoft-Status-Callback", receiver.statusUrl().toString())
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (accepted.statusCode() != 202) {
                System.out.println("expected 202, got HTTP " + accepted.statusCode() + ": " + accepted.body());
                return false;
            }
            String id = json.readTree(accepted.body()).path("id").asText();
            System.out.println("accepted as " + id + ", waiting for the callback at " + receiver.resultUrl());
            try {
                WebhookReceiver.Callback callback = receiver.resultOf(id).get(timeout.toSeconds(), TimeUnit.SECONDS);
                System.out.println("callback " + callback.webhookId() + " (signature verified):");
                System.out.println(new String(callback.body(), StandardCharsets.UTF_8));
                return "responded".equals(callback.status());
            } catch (TimeoutException e) {
                System.out.println("no callback within " + timeout.toSeconds() + " s");
                return false;
            }
        }
    }

    /** Poll: 202 now, then ask the front until the call is done, then fetch the response. */
    public boolean poll() throws IOException, InterruptedException {
        HttpResponse<String> accepted = http.send(call("poll").header("Prefer", "respond-async").build(),
                HttpResponse.BodyHandlers.ofString());
        if (accepted.statusCode() != 202) {
            System.out.println("expected 202, got HTTP " + accepted.statusCode() + ": " + accepted.body());
            return false;
        }
        return poll(accepted.headers().firstValue("Hoft-Request-Id").orElseThrow());
    }

    private boolean poll(String id) throws IOException, InterruptedException {
        URI status = front.resolve("/_hoft/requests/" + id);
        Instant deadline = Instant.now().plus(timeout);
        String state = "";
        while (Instant.now().isBefore(deadline)) {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(status).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode node = json.readTree(answer.body());
            state = node.path("status").asText();
            System.out.println("  " + id + " is " + state);
            if (FINAL.contains(state)) {
                break;
            }
            Thread.sleep(500);
        }
        if (!state.equals("responded")) {
            System.out.println("request " + id + " ended " + (state.isEmpty() ? "unknown" : state));
            return false;
        }
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(status + "/response")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        System.out.println("response of " + id + ": HTTP " + response.statusCode());
        System.out.println(response.body());
        return true;
    }

    private HttpRequest.Builder call(String mode) {
        String body = "{\"hello\":\"from the sample caller\",\"mode\":\"" + mode + "\"}";
        return HttpRequest.newBuilder(front.resolve(path))
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }
}
