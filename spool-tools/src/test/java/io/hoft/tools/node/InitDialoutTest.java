package io.hoft.tools.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.back.BackConfig;
import io.hoft.front.FrontConfig;
import io.hoft.tools.Cli;
import io.hoft.transport.config.ConfigLoader;
import io.hoft.transport.config.NodeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hoft init --link dialout}: a pair whose back dials the front's port, with no link
 * folders; the configs load; what does not go with it is refused before anything is written.
 * (That the pair carries calls is {@link DialoutEndToEndTest}'s.)
 */
class InitDialoutTest {
    @TempDir
    Path root;

    @Test
    void writesADialoutPairWhoseConfigsLoad() throws Exception {
        Path dir = root.resolve("site");
        Cli.Result init = Cli.run("init", dir, "--link", "dialout", "--front-port", 9443, "--json");
        assertEquals(0, init.exit(), init::toString);
        assertEquals(0, init.json().path("linkFolders").size(), init.out());
        assertFalse(Files.exists(dir.resolve("link")), "no link folders");

        FrontConfig front = ConfigLoader.load(dir.resolve("front.yaml"), FrontConfig.class, Map.of());
        NodeConfig.LinkConfig frontLink = front.node().peers().get(0).link();
        assertEquals("dialout", frontLink.type());
        assertFalse(frontLink.dials(), "the front is dialed, it dials nothing");

        BackConfig back = BackConfig.load(dir.resolve("back.yaml"), Map.of());
        NodeConfig.LinkConfig backLink = back.node().peers().get(0).link();
        assertTrue(backLink.dials());
        assertEquals("http://127.0.0.1:9443", backLink.url());
        assertEquals(4, backLink.parallel());
        String backYaml = Files.readString(dir.resolve("back.yaml"));
        assertTrue(backYaml.contains("listens on no port"), backYaml);
        assertTrue(backYaml.contains("proxy:") && backYaml.contains("trust:"), "the YAML says how to add a proxy and TLS trust");
        assertTrue(Files.readString(dir.resolve("front.yaml")).contains("resendAfter: 30s"));

        Cli.Result text = Cli.run("init", root.resolve("other"), "--link", "dialout");
        assertEquals(0, text.exit(), text::toString);
        assertTrue(text.out().contains("dial-out link: the back dials the front at http://127.0.0.1:8080/_hoft/link"), text.out());
    }

    @Test
    void refusesWhatDoesNotGoWithADialoutLinkAndWritesNothing() {
        Cli.Result separate = Cli.run("init", root.resolve("a"), "--link", "dialout", "--separate-folders");
        assertEquals(2, separate.exit(), separate::toString);
        assertTrue(separate.err().contains("--separate-folders applies to folder links only"), separate.err());
        assertFalse(Files.exists(root.resolve("a")));

        Cli.Result unknown = Cli.run("init", root.resolve("b"), "--link", "carrier-pigeon");
        assertEquals(2, unknown.exit(), unknown::toString);
        assertTrue(unknown.err().contains("must be folder or dialout"), unknown.err());
        assertFalse(Files.exists(root.resolve("b")));
    }
}
