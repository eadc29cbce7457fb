package io.hoft.tools.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.tools.Cli;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A shared file downloaded through a dial-out pair of real processes while the back is killed
 * with SIGKILL and started again: the front asks again for what is missing, the download goes
 * on in the same transfer and every byte checks. About 20 s of process starts, so it runs with
 * {@code -Dhoft.long=true} only; {@code ShareDialoutTest} stops an in-process back by default.
 */
@EnabledIfSystemProperty(named = "hoft.long", matches = "true")
class ShareKillTest {
    private static final long SIZE = 48L << 20;

    @TempDir
    Path root;

    private NodeProcess front;
    private NodeProcess back;

    @AfterEach
    void stop() throws InterruptedException {
        for (NodeProcess node : new NodeProcess[] {back, front}) {
            if (node != null) {
                node.close();
            }
        }
    }

    @Test
    void aBackKilledWithSigkillInTheMiddleOfADownloadIsAskedAgainAndEveryByteArrives() throws Exception {
        Path published = Files.createDirectories(root.resolve("published"));
        byte[] bytes = new byte[(int) SIZE];
        new SplittableRandom(11).nextBytes(bytes);
        Files.write(published.resolve("big.bin"), bytes);
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        bytes = null;

        int port = NodeProcess.freePort();
        Path setup = root.resolve("setup");
        Cli.Result init = Cli.run("init", setup, "--link", "dialout", "--share", published, "--upstream", "http://127.0.0.1:1",
                "--front-port", port);
        assertEquals(0, init.exit(), init::toString);
        Map<String, String> backEnv = Map.of("HOFT_BACK_SHARE_UPLOAD_RATE", "8MiB", "HOFT_NODE_PEERS_0_LINK_HEARTBEAT", "1s");
        front = NodeProcess.start("front", setup.resolve("front.yaml"), root.resolve("front.log"),
                Map.of("HOFT_FRONT_SHARE_RESUME_AFTER", "1s", "HOFT_NODE_PEERS_0_LINK_HEARTBEAT", "1s")).awaitHealthy(port);
        back = NodeProcess.start("back", setup.resolve("back.yaml"), root.resolve("back.log"), backEnv)
                .awaitLog("control connection to front");

        URI base = URI.create("http://127.0.0.1:" + port);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        await().atMost(Duration.ofSeconds(60)).until(() -> get(http, base, "/_hoft/files").contains("published/big.bin"));
        CompletableFuture<String> download = CompletableFuture.supplyAsync(() -> {
            try {
                HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(base.resolve("/_hoft/files/published/big.bin"))
                        .timeout(Duration.ofMinutes(3)).build(), HttpResponse.BodyHandlers.ofInputStream());
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                try (InputStream in = response.body()) {
                    byte[] buffer = new byte[1 << 16];
                    for (int n; (n = in.read(buffer)) > 0;) {
                        digest.update(buffer, 0, n);
                    }
                }
                return response.statusCode() + " " + HexFormat.of().formatHex(digest.digest());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> metric(http, base, "hoft_front_share_received_bytes_total") > 0);
        back.kill();
        long before = metric(http, base, "hoft_front_share_received_bytes_total");
        assertTrue(before < SIZE, "killed in the middle (the back needs six seconds for the file): " + before);
        back = NodeProcess.start("back", setup.resolve("back.yaml"), root.resolve("back.log"), backEnv);

        assertEquals("200 " + expected, download.get(3, TimeUnit.MINUTES));
        assertEquals(1, metric(http, base, "hoft_front_share_transfers_total"), "the same transfer went on");
        assertTrue(metric(http, base, "hoft_front_share_asked_again_total") >= 1);
        assertTrue(metric(http, base, "hoft_front_share_received_bytes_total") <= SIZE + (8L << 20),
                "what had arrived was not asked for again (a slice or two may come twice)");
    }

    private static String get(HttpClient http, URI base, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).header("Accept", "application/json")
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).body();
    }

    private static long metric(HttpClient http, URI base, String name) throws IOException, InterruptedException {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\d+)").matcher(get(http, base, "/_hoft/metrics"));
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }
}
