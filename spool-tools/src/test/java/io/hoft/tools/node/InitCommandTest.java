package io.hoft.tools.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hoft.back.BackConfig;
import io.hoft.back.BackNode;
import io.hoft.front.FrontConfig;
import io.hoft.front.FrontNode;
import io.hoft.samples.SampleCallee;
import io.hoft.tools.Cli;
import io.hoft.transport.config.ConfigLoader;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hoft init}: the files it writes, that they load and make a working pair (shared folders,
 * or separate ones carried by {@code hoft mirror}), that secrets are owner-only, and that it
 * refuses what it must without touching anything. Also the config errors of {@code hoft front}
 * and {@code hoft back}.
 */
class InitCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> FILES = List.of("front.yaml", "back.yaml", "keys/front.jwks", "keys/front.public.jwks",
            "keys/back.jwks", "keys/back.public.jwks", "keys/webhook.secret");

    @TempDir
    Path root;

    private SampleCallee callee;
    private final List<NodeProcess> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void startCallee() {
        callee = SampleCallee.start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() throws InterruptedException {
        for (NodeProcess process : processes) {
            process.close();
        }
        callee.close();
    }

    @Test
    void writesASetupWhoseConfigsLoadAndWhosePairCarriesACall() throws Exception {
        Path dir = root.resolve("setup");
        Cli.Result init = Cli.run("init", dir, "--upstream", upstream(), "--front-port", 0);
        assertEquals(0, init.exit(), init::toString);
        for (String file : FILES) {
            assertTrue(Files.isRegularFile(dir.resolve(file)), file);
            assertTrue(init.out().contains(dir.resolve(file).toString()), () -> "the output names " + file + ":\n" + init.out());
        }
        for (String folder : List.of("state/front", "state/back", "link/front-to-back", "link/back-to-front")) {
            assertTrue(Files.isDirectory(dir.resolve(folder)), folder);
        }
        String frontYaml = Files.readString(dir.resolve("front.yaml"));
        assertTrue(frontYaml.contains("outbox: link/front-to-back, inbox: link/back-to-front"), frontYaml);
        assertTrue(frontYaml.contains("LOCAL"), "the YAML says the setup is local:\n" + frontYaml);
        assertTrue(Files.readString(dir.resolve("back.yaml")).contains("url: \"" + upstream() + "\""));
        assertEquals(1, Files.readAllLines(dir.resolve("keys/webhook.secret")).size());

        assertCarriesASyncCall(dir, "init-shared");
    }

    @Test
    void keysAndTheWebhookSecretAreOwnerOnly() throws Exception {
        Path dir = root.resolve("setup");
        assertEquals(0, Cli.run("init", dir, "--upstream", upstream()).exit());
        for (String secret : List.of("keys/front.jwks", "keys/back.jwks", "keys/webhook.secret")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(secret))), secret);
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("keys"))), "keys/");
    }

    @Test
    void refusesAFolderThatAlreadyHoldsASetupAndChangesNothing() throws Exception {
        Path dir = root.resolve("setup");
        assertEquals(0, Cli.run("init", dir, "--upstream", upstream()).exit());
        Map<String, String> before = snapshot(dir);

        Cli.Result again = Cli.run("init", dir, "--upstream", upstream(), "--separate-folders");
        assertEquals(2, again.exit(), again::toString);
        assertTrue(again.err().contains("already holds a setup"), again::toString);
        assertEquals("", again.out(), again::toString);
        assertEquals(before, snapshot(dir), "nothing changed");

        // part of a setup is refused too, and nothing is added to it
        Path partial = root.resolve("partial");
        Files.createDirectories(partial.resolve("state"));
        Files.writeString(partial.resolve("notes.txt"), "mine");
        Map<String, String> partialBefore = snapshot(partial);
        Cli.Result refused = Cli.run("init", partial);
        assertEquals(2, refused.exit(), refused::toString);
        assertEquals(partialBefore, snapshot(partial), "nothing changed");
    }

    @Test
    void aBadUpstreamOrPortIsAUsageErrorAndWritesNothing() throws Exception {
        List<String> bad = List.of("ftp://127.0.0.1/", "127.0.0.1:8081", "http://", "http://127.0.0.1:8081/?q=1",
                "http://127.0.0.1:8081/#top", "http://127.0.0.1:8081/a\"b", "http://127.0.0.1:8081/a b", "not a url");
        for (String upstream : bad) {
            Path dir = root.resolve("bad-" + Integer.toHexString(upstream.hashCode()));
            Cli.Result init = Cli.run("init", dir, "--upstream", upstream);
            assertEquals(2, init.exit(), init::toString);
            assertTrue(init.err().contains("--upstream"), init::toString);
            assertFalse(Files.exists(dir), () -> "wrote " + dir + " for " + upstream);
        }
        for (String port : List.of("-1", "65536", "http")) {
            Path dir = root.resolve("port" + port);
            Cli.Result init = Cli.run("init", dir, "--front-port", port);
            assertEquals(2, init.exit(), init::toString);
            assertFalse(Files.exists(dir), dir::toString);
        }
    }

    @Test
    void jsonOutputParsesAndNamesWhatWasWritten() throws Exception {
        Path dir = root.resolve("setup");
        Cli.Result init = Cli.run("init", dir, "--upstream", upstream(), "--json");
        assertEquals(0, init.exit(), init::toString);
        JsonNode json = init.json();
        assertEquals(dir.toString(), json.path("dir").asText());
        assertEquals(dir.resolve("front.yaml").toString(), json.path("frontConfig").asText());
        assertEquals(dir.resolve("back.yaml").toString(), json.path("backConfig").asText());
        assertEquals(dir.resolve("keys/webhook.secret").toString(), json.path("webhookSecret").asText());
        List<String> files = new ArrayList<>();
        json.path("files").forEach(file -> files.add(file.asText()));
        assertEquals(FILES.stream().map(file -> dir.resolve(file).toString()).sorted().toList(), files.stream().sorted().toList());
        List<String> link = new ArrayList<>();
        json.path("linkFolders").forEach(folder -> link.add(folder.asText()));
        assertEquals(List.of(dir.resolve("link/front-to-back").toString(), dir.resolve("link/back-to-front").toString()), link);
    }

    @Test
    void separateFoldersAreFourDistinctFoldersThatWorkCarriedByHoftMirror() throws Exception {
        Path dir = root.resolve("setup");
        Cli.Result init = Cli.run("init", dir, "--upstream", upstream(), "--front-port", 0, "--separate-folders", "--json");
        assertEquals(0, init.exit(), init::toString);
        List<Path> link = new ArrayList<>();
        init.json().path("linkFolders").forEach(folder -> link.add(Path.of(folder.asText())));
        assertEquals(List.of(dir.resolve("link/front-out"), dir.resolve("link/back-in"), dir.resolve("link/back-out"),
                dir.resolve("link/front-in")), link);
        assertEquals(4, new HashSet<>(link).size());
        for (Path folder : link) {
            assertTrue(Files.isDirectory(folder), folder::toString);
        }
        assertTrue(Files.readString(dir.resolve("front.yaml")).contains("outbox: link/front-out, inbox: link/front-in"));
        assertTrue(Files.readString(dir.resolve("back.yaml")).contains("outbox: link/back-out, inbox: link/back-in"));

        // the human output says how to carry them
        Cli.Result human = Cli.run("init", root.resolve("other"), "--separate-folders");
        assertTrue(human.out().contains("hoft mirror --from " + root.resolve("other/link/front-out") + " --to "
                + root.resolve("other/link/back-in")), human::toString);

        // two `hoft mirror` processes carry the folders, as the output suggests
        for (int i = 0; i < 4; i += 2) {
            NodeProcess mirror = NodeProcess.hoft(root.resolve("mirror-" + i + ".log"), Map.of(), "mirror",
                    "--from", link.get(i).toString(), "--to", link.get(i + 1).toString(), "--poll", "50ms");
            processes.add(mirror);
            mirror.awaitLog("hoft mirror: carrying");
        }
        assertCarriesASyncCall(dir, "init-separate");
    }

    @Test
    void anUnknownConfigKeyIsAUsageErrorNamingTheKey() throws Exception {
        Path dir = root.resolve("setup");
        assertEquals(0, Cli.run("init", dir, "--upstream", upstream()).exit());
        Files.writeString(dir.resolve("front.yaml"), "  listn: 127.0.0.1:9\n", java.nio.file.StandardOpenOption.APPEND);
        Cli.Result front = Cli.run("front", "--config", dir.resolve("front.yaml"));
        assertEquals(2, front.exit(), front::toString);
        assertTrue(front.err().contains("listn"), front::toString);

        Files.writeString(dir.resolve("back.yaml"), "typo: true\n", java.nio.file.StandardOpenOption.APPEND);
        Cli.Result back = Cli.run("back", "--config", dir.resolve("back.yaml"));
        assertEquals(2, back.exit(), back::toString);
        assertTrue(back.err().contains("typo"), back::toString);

        Cli.Result missing = Cli.run("front", "--config", dir.resolve("nope.yaml"));
        assertEquals(2, missing.exit(), missing::toString);
        assertTrue(missing.err().contains("nope.yaml"), missing::toString);
    }

    /** Loads both configs as the commands do, runs the pair in this JVM, and sends one sync call through. */
    private void assertCarriesASyncCall(Path dir, String testId) throws Exception {
        BackConfig backConfig = BackConfig.load(dir.resolve("back.yaml"), Map.of());
        FrontConfig frontConfig = ConfigLoader.load(dir.resolve("front.yaml"), FrontConfig.class, Map.of());
        assertEquals("front", frontConfig.node().id().toString());
        assertEquals("back", backConfig.node().id().toString());
        try (BackNode back = BackNode.start(backConfig); FrontNode front = FrontNode.open(frontConfig, Clock.systemUTC())) {
            front.start();
            assertTrue(front.address().getAddress().isLoopbackAddress(), "the front listens on loopback only");
            URI uri = URI.create("http://127.0.0.1:" + front.address().getPort() + "/echo?via=init");
            HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(uri).header("X-Test-Id", testId)
                    .header("Prefer", "wait=60").timeout(Duration.ofSeconds(90))
                    .POST(HttpRequest.BodyPublishers.ofString("hello")).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, response.statusCode(), () -> new String(response.body(), StandardCharsets.UTF_8));
            JsonNode echo = JSON.readTree(response.body());
            assertEquals("/echo?via=init", echo.path("target").asText());
            assertEquals("hello", echo.path("body").asText());
            assertTrue(response.headers().firstValue("Hoft-Request-Id").isPresent());
        }
        JsonNode calls = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(upstream() + "/calls?id=" + testId)).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body());
        assertEquals(1, calls.path("count").asLong(), "the callee saw the call once");
    }

    private String upstream() {
        return "http://127.0.0.1:" + callee.port();
    }

    /** Every path under {@code dir} with its kind, size, modification time, permissions and content hash. */
    private static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> snapshot = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.toList()) {
                String description = Files.isDirectory(path) ? "dir" : Files.size(path) + " bytes, hash "
                        + java.util.Arrays.hashCode(Files.readAllBytes(path));
                snapshot.put(dir.relativize(path).toString(), description + ", " + Files.getLastModifiedTime(path) + ", "
                        + PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
            }
        }
        return snapshot;
    }
}
