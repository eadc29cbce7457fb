package io.hoft.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hoft.samples.SampleCallee;
import io.hoft.samples.WebhookReceiver;
import io.hoft.samples.WebhookVerifier;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two sites as operators set them up, each from its own unpacked release archive: {@code hoft
 * init --role front} at one, {@code --role back} at the other, the cards (and nothing else)
 * copied across, {@code hoft peer add} at each, two {@code hoft mirror} processes carrying each
 * side's {@code link/out} to the other's {@code link/in}, and the nodes run as processes of
 * their archives. A sync call and a signed callback go across; then the front's keys are
 * rotated by the documented procedure (keys rotate, peer card, peer add at the back, restart
 * the back, then the front) and calls go across again.
 */
class TwoSitesIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path root;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void twoUnpackedArchivesJoinedOnlyByTheirCardsCarryCallsAndCallbacksBeforeAndAfterAKeyRotation() throws Exception {
        Release frontSite = Release.unpack(root.resolve("front-site"));
        Release backSite = Release.unpack(root.resolve("back-site"));
        Path front = root.resolve("front-site/node");
        Path back = root.resolve("back-site/node");
        int port = freePort();
        try (SampleCallee callee = SampleCallee.start("127.0.0.1", 0)) {
            // Each site at its own pace: the two sites' commands run at the same time.
            bothOk(() -> frontSite.ok("init", front, "--role", "front", "--front-port", port),
                    () -> backSite.ok("init", back, "--role", "back", "--upstream", "http://127.0.0.1:" + callee.port()));
            // Only the cards cross: each is copied to the other site's folder, as a person would carry it.
            Path frontCard = Files.copy(front.resolve("front.card.json"), root.resolve("back-site/front.card.json"));
            Path backCard = Files.copy(back.resolve("back.card.json"), root.resolve("front-site/back.card.json"));
            bothOk(() -> frontSite.ok("peer", "add", "--config", front.resolve("front.yaml"), backCard),
                    () -> backSite.ok("peer", "add", "--config", back.resolve("back.yaml"), frontCard));

            Path logs = Files.createDirectories(root.resolve("logs"));
            Process toBack = frontSite.start(logs.resolve("mirror-to-back.log"), Map.of(), "mirror", "--from",
                    front.resolve("link/out"), "--to", back.resolve("link/in"));
            Process toFront = backSite.start(logs.resolve("mirror-to-front.log"), Map.of(), "mirror", "--from",
                    back.resolve("link/out"), "--to", front.resolve("link/in"));
            WebhookVerifier verifier = new WebhookVerifier(Files.readString(front.resolve("keys/webhook.secret")).trim());
            try (WebhookReceiver hooks = WebhookReceiver.start("127.0.0.1", 0, verifier)) {
                Release.Node backNode = backSite.new Node("back", back.resolve("back.yaml"), logs.resolve("back.log"));
                Release.Node frontNode = frontSite.new Node("front", front.resolve("front.yaml"), logs.resolve("front.log"));
                try {
                    backNode.awaitLog("back back running");
                    frontNode.awaitLog("front front listening");
                    URI base = URI.create("http://127.0.0.1:" + port);
                    callsGoAcross(base, hooks, "before");

                    frontSite.ok("keys", "rotate", "--keys", front.resolve("keys/front.jwks"), "--overlap", "1d");
                    frontSite.ok("peer", "card", "--config", front.resolve("front.yaml"));
                    Files.copy(front.resolve("front.card.json"), frontCard, StandardCopyOption.REPLACE_EXISTING);
                    String added = backSite.ok("peer", "add", "--config", back.resolve("back.yaml"), frontCard);
                    assertTrue(added.contains("updated the keys of the front"), added);
                    assertEquals(4, JSON.readTree(back.resolve("keys/front.public.jwks").toFile()).path("keys").size());

                    assertEquals(0, backNode.stop(), "the back drains and exits 0 on SIGTERM");
                    backNode = backSite.new Node("back", back.resolve("back.yaml"), logs.resolve("back.log"));
                    backNode.awaitLog("back back running");
                    assertEquals(0, frontNode.stop(), "the front drains and exits 0 on SIGTERM");
                    frontNode = frontSite.new Node("front", front.resolve("front.yaml"), logs.resolve("front.log"));
                    frontNode.awaitLog("front front listening");
                    callsGoAcross(base, hooks, "after");
                } finally {
                    frontNode.close();
                    backNode.close();
                }
            } finally {
                for (Process mirror : new Process[] {toBack, toFront}) {
                    mirror.destroy();
                    if (!mirror.waitFor(30, TimeUnit.SECONDS)) {
                        mirror.destroyForcibly();
                    }
                }
            }
        }
    }

    /** A sync call comes back with the callee's answer, and an async one ends in a verified callback. */
    private void callsGoAcross(URI base, WebhookReceiver hooks, String when) throws Exception {
        HttpResponse<byte[]> sync = http.send(HttpRequest.newBuilder(base.resolve("/echo?" + when))
                .header("Prefer", "wait=60").timeout(WAIT).POST(HttpRequest.BodyPublishers.ofString("sync " + when)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, sync.statusCode(), () -> when + ": " + new String(sync.body()));
        assertEquals("sync " + when, JSON.readTree(sync.body()).path("body").asText());

        HttpResponse<byte[]> async = http.send(HttpRequest.newBuilder(base.resolve("/echo?callback-" + when))
                .header("Hoft-Callback", hooks.resultUrl().toString()).timeout(WAIT)
                .POST(HttpRequest.BodyPublishers.ofString("async " + when)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(202, async.statusCode(), () -> when + ": " + new String(async.body()));
        String id = async.headers().firstValue("Hoft-Request-Id").orElseThrow();
        WebhookReceiver.Callback callback = hooks.resultOf(id).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        JsonNode payload = callback.json();
        assertEquals("responded", payload.path("status").asText(), payload.toString());
        assertEquals(200, payload.path("response").path("status").asInt());
    }

    /** Runs two commands at once and waits for both. */
    private static void bothOk(Callable<String> a, Callable<String> b) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<String> first = pool.submit(a);
            Future<String> second = pool.submit(b);
            first.get();
            second.get();
        } finally {
            pool.shutdownNow();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
