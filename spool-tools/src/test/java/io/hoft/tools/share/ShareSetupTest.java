package io.hoft.tools.share;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.back.BackConfig;
import io.hoft.front.FrontConfig;
import io.hoft.tools.Cli;
import io.hoft.transport.config.ConfigLoader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hoft init --share}, the share's config keys, and who may call the share. */
class ShareSetupTest {
    @TempDir
    Path dir;

    @Test
    void initWithShareWritesABackThatPublishesTheFolders() throws Exception {
        Path docs = Files.createDirectories(dir.resolve("my docs"));
        Path more = Files.createDirectories(dir.resolve("other/docs"));
        Path setup = dir.resolve("setup");
        Cli.Result init = Cli.run("init", setup, "--front-port", 0, "--share", docs, "--share", more);
        assertEquals(0, init.exit(), init::toString);
        assertTrue(init.out().contains("/_hoft/files"), init::toString);
        BackConfig back = BackConfig.load(setup.resolve("back.yaml"), Map.of());
        assertEquals(Map.of("my_docs", docs.toAbsolutePath(), "docs", more.toAbsolutePath()), back.back().share().folders());
        assertTrue(ConfigLoader.load(setup.resolve("front.yaml"), FrontConfig.class, Map.of()).front().share().enabled(),
                "the front serves the share");

        Cli.Result missing = Cli.run("init", dir.resolve("setup2"), "--share", dir.resolve("nope"));
        assertEquals(2, missing.exit(), missing::toString);
        assertTrue(missing.err().contains("nope"), missing::toString);
    }

    @Test
    void withoutShareNothingIsSharedAndAnUnknownShareKeyIsRefused() throws Exception {
        Path setup = dir.resolve("setup");
        assertEquals(0, Cli.run("init", setup).exit());
        assertFalse(ConfigLoader.load(setup.resolve("front.yaml"), FrontConfig.class, Map.of()).front().share().enabled(),
                "without --share the front serves no share");
        assertNull(BackConfig.load(setup.resolve("back.yaml"), Map.of()).back().share());
        Files.writeString(setup.resolve("front.yaml"), "  share: {cacheSise: 1GiB}\n", java.nio.file.StandardOpenOption.APPEND);
        Cli.Result front = Cli.run("front", "--config", setup.resolve("front.yaml"));
        assertEquals(2, front.exit(), front::toString);
        assertTrue(front.err().contains("cacheSise"), front::toString);
    }

    @Test
    void withCallerAuthTheShareNeedsACredentialUnlessAnonymous() throws Exception {
        String apiKey = "  auth:\n    mode: apikey\n    apiKeys:\n      - {name: ci, key: share-test-key-0123456789, routes: [\"*\"]}\n";
        try (ShareChain chain = new ShareChain(dir.resolve("a"), Map.of(), Map.of())) {
            Files.writeString(chain.shared.resolve("f.txt"), "file");
            chain.editFront(yaml -> yaml.replaceAll("  auth:\\n    mode: none[^\\n]*\\n", apiKey)).start();
            await().atMost(ShareChain.WAIT).until(() -> chain.send(chain.request("/_hoft/files")
                    .header("Accept", "application/json").header("Authorization", "Bearer share-test-key-0123456789")).body().length > 20
                    && new String(chain.send(chain.request("/_hoft/files").header("Accept", "application/json")
                            .header("Authorization", "Bearer share-test-key-0123456789")).body(), StandardCharsets.UTF_8).contains("f.txt"));
            assertEquals(401, chain.send(chain.request("/_hoft/files")).statusCode());
            assertEquals(401, chain.send(chain.request("/_hoft/files/docs/f.txt")).statusCode());
            assertEquals(401, chain.send(chain.request("/_hoft/files/docs/f.txt").header("Authorization", "Bearer wrong")).statusCode());
            HttpResponse<byte[]> ok = chain.send(chain.request("/_hoft/files/docs/f.txt").header("Authorization", "Bearer share-test-key-0123456789"));
            assertEquals(200, ok.statusCode());
            assertEquals("file", new String(ok.body(), StandardCharsets.UTF_8));
        }
        try (ShareChain chain = new ShareChain(dir.resolve("b"), Map.of(), Map.of("HOFT_FRONT_SHARE_ANONYMOUS", "true"))) {
            Files.writeString(chain.shared.resolve("f.txt"), "file");
            chain.editFront(yaml -> yaml.replaceAll("  auth:\\n    mode: none[^\\n]*\\n", apiKey)).start();
            await().atMost(ShareChain.WAIT).until(() -> chain.catalog().contains("docs/f.txt"));
            assertEquals(200, chain.send(chain.request("/_hoft/files/docs/f.txt")).statusCode());
        }
    }

    @Test
    void aFrontWithTheShareDisabledAnswers404() throws Exception {
        try (ShareChain chain = new ShareChain(dir, Map.of(), Map.of("HOFT_FRONT_SHARE_ENABLED", "false"))) {
            chain.start();
            assertEquals(404, chain.send(chain.request("/_hoft/files")).statusCode());
        }
    }
}
