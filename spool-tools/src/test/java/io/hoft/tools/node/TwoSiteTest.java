package io.hoft.tools.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.back.BackConfig;
import io.hoft.back.BackNode;
import io.hoft.front.FrontConfig;
import io.hoft.front.FrontNode;
import io.hoft.samples.SampleCallee;
import io.hoft.tools.Cli;
import io.hoft.transport.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hoft init --role} and {@code hoft peer add}: each site writes its own side, only
 * cards cross, and the pair works; cards that could leak or confuse are refused before
 * anything changes. (Two unpacked release archives in processes over a folder link, with a key
 * rotation: the distribution module's TwoSitesIT.)
 */
class TwoSiteTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path root;

    @Test
    void aDialoutFrontAndItsBackJoinedByTheirCardsCarryACallOverPinnedTls() throws Exception {
        int port = NodeProcess.freePort();
        Path front = root.resolve("front-site");
        Path back = root.resolve("back-site");
        try (SampleCallee callee = SampleCallee.start("127.0.0.1", 0)) {
            ok(Cli.run("init", front, "--role", "front", "--link", "dialout", "--front-port", port));
            ok(Cli.run("init", back, "--role", "back", "--link", "dialout", "--upstream", "http://127.0.0.1:" + callee.port()));
            JsonNode card = JSON.readTree(front.resolve("front.card.json").toFile());
            assertEquals("https://127.0.0.1:" + port, card.path("url").asText());
            assertTrue(card.path("tls").path("certificate").asText().startsWith("-----BEGIN CERTIFICATE-----"));

            ok(Cli.run("peer", "add", "--config", front.resolve("front.yaml"), back.resolve("back.card.json")));
            Cli.Result added = ok(Cli.run("peer", "add", "--config", back.resolve("back.yaml"), front.resolve("front.card.json")));
            assertTrue(added.out().contains(card.path("tls").path("sha256").asText()), "the pin's fingerprint, to compare: "
                    + added.out());

            try (FrontNode frontNode = FrontNode.open(ConfigLoader.load(front.resolve("front.yaml"), FrontConfig.class,
                    Map.of()), Clock.systemUTC())) {
                frontNode.start();
                try (BackNode backNode = BackNode.start(BackConfig.load(back.resolve("back.yaml"), Map.of()))) {
                    HttpClient https = HttpClient.newBuilder().sslContext(DialoutTlsEndToEndTest.trusting(front.resolve("keys/tls-cert.pem")))
                            .version(HttpClient.Version.HTTP_1_1).build();
                    URI base = URI.create("https://127.0.0.1:" + port);
                    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> JSON.readTree(
                            https.send(HttpRequest.newBuilder(base.resolve("/_hoft/health")).build(),
                                    HttpResponse.BodyHandlers.ofByteArray()).body())
                            .path("peers").path(0).path("dialout").path("connected").asBoolean());
                    HttpResponse<byte[]> response = https.send(HttpRequest.newBuilder(base.resolve("/echo"))
                            .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString("across two sites")).build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    assertEquals(200, response.statusCode(), () -> new String(response.body()));
                    assertEquals("across two sites", JSON.readTree(response.body()).path("body").asText());
                }
            }
        }
        assertNoSecretIn(front.resolve("front.card.json"), front);
        assertNoSecretIn(back.resolve("back.card.json"), back);
    }

    @Test
    void aBackThatSharesFilesTurnsOnTheFrontsShareThroughItsCard() throws Exception {
        Path docs = Files.createDirectories(root.resolve("docs"));
        ok(Cli.run("init", root.resolve("f"), "--role", "front"));
        ok(Cli.run("init", root.resolve("b"), "--role", "back", "--share", docs));
        assertTrue(JSON.readTree(root.resolve("b/back.card.json").toFile()).path("shares").asBoolean());

        ok(Cli.run("peer", "add", "--config", root.resolve("f/front.yaml"), root.resolve("b/back.card.json")));

        FrontConfig config = ConfigLoader.load(root.resolve("f/front.yaml"), FrontConfig.class, Map.of());
        assertTrue(config.front().share().enabled());
        assertEquals("back", config.node().peers().get(0).id());
        assertEquals(root.resolve("f/link/out").toAbsolutePath().normalize(),
                config.node().peers().get(0).link().outbox().toAbsolutePath().normalize());
    }

    @Test
    void cardsThatLeakASecretOrAreOfTheWrongRoleAreRefusedAndNothingChanges() throws Exception {
        ok(Cli.run("init", root.resolve("f"), "--role", "front"));
        ok(Cli.run("init", root.resolve("f2"), "--role", "front", "--id", "front-2"));
        ok(Cli.run("init", root.resolve("b"), "--role", "back"));
        Path config = root.resolve("f/front.yaml");
        String before = Files.readString(config);

        ObjectNode leaking = (ObjectNode) JSON.readTree(root.resolve("b/back.card.json").toFile());
        leaking.set("keys", JSON.readTree(root.resolve("b/keys/back.jwks").toFile())); // the private set
        Path leaked = Files.writeString(root.resolve("leaking.card.json"), leaking.toString());
        Cli.Result refused = Cli.run("peer", "add", "--config", config, leaked);
        assertEquals(2, refused.exit(), refused::toString);
        assertTrue(refused.err().contains("is private"), refused.err());

        Cli.Result sameRole = Cli.run("peer", "add", "--config", config, root.resolve("f2/front-2.card.json"));
        assertEquals(2, sameRole.exit(), sameRole::toString);
        assertTrue(sameRole.err().contains("a front trusts a back"), sameRole.err());

        ObjectNode unknown = (ObjectNode) JSON.readTree(root.resolve("b/back.card.json").toFile());
        unknown.put("secret", "x");
        Cli.Result odd = Cli.run("peer", "add", "--config", config,
                Files.writeString(root.resolve("odd.card.json"), unknown.toString()));
        assertEquals(2, odd.exit(), odd::toString);
        assertTrue(odd.err().contains("unknown field 'secret'"), odd.err());

        assertEquals(before, Files.readString(config), "the config is unchanged");
        assertFalse(Files.exists(root.resolve("f/keys/back.public.jwks")), "no key file was written");
    }

    @Test
    void aRotatedCardReplacesThePeersKeysAndLeavesTheConfigAsItIs() throws Exception {
        ok(Cli.run("init", root.resolve("f"), "--role", "front"));
        ok(Cli.run("init", root.resolve("b"), "--role", "back"));
        Path config = root.resolve("b/back.yaml");
        ok(Cli.run("peer", "add", "--config", config, root.resolve("f/front.card.json")));
        String configured = Files.readString(config);

        ok(Cli.run("keys", "rotate", "--keys", root.resolve("f/keys/front.jwks"), "--overlap", "2d"));
        ok(Cli.run("peer", "card", "--config", root.resolve("f/front.yaml")));
        JsonNode renewed = JSON.readTree(root.resolve("f/front.card.json").toFile());
        assertEquals(4, renewed.path("keys").path("keys").size(), "old and new signing and agreement keys");
        Cli.Result updated = ok(Cli.run("peer", "add", "--config", config, root.resolve("f/front.card.json"), "--json"));

        assertFalse(updated.json().path("added").asBoolean());
        assertEquals(4, updated.json().path("kids").size());
        assertEquals(configured, Files.readString(config), "the peer was known: only its keys changed");
        assertEquals(4, JSON.readTree(root.resolve("b/keys/front.public.jwks").toFile()).path("keys").size());
    }

    private static Cli.Result ok(Cli.Result result) {
        assertEquals(0, result.exit(), result::toString);
        return result;
    }

    /** No private key member of a JWK, and no secret of the site, is in the card. */
    private static void assertNoSecretIn(Path card, Path site) throws Exception {
        String text = Files.readString(card);
        for (JsonNode key : JSON.readTree(text).path("keys").path("keys")) {
            assertFalse(key.has("d") || key.has("k"), "a private or secret key member in " + card + ": " + key);
        }
        try (Stream<Path> files = Files.list(site.resolve("keys"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".secret") || f.toString().endsWith("-key.pem")).toList()) {
                String secret = Files.readString(file).replaceAll("-----[A-Z ]+-----", "").trim();
                for (String line : List.of(secret.split("\n"))) {
                    assertFalse(!line.isBlank() && text.contains(line.trim()), card + " holds a line of " + file);
                }
            }
        }
    }
}
