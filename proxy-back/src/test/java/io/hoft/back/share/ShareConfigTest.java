package io.hoft.back.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.back.BackConfig;
import io.hoft.transport.config.ConfigException;
import io.hoft.transport.config.ConfigLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShareConfigTest {
    private static final String NODE = String.join("\n",
            "node:",
            "  id: back",
            "  keys: keys/back.jwks",
            "  state: state/back",
            "  peers:",
            "    - id: front",
            "      keys: keys/front.public.jwks",
            "      link: {type: folder, outbox: link/back-out, inbox: link/back-in}",
            "back:",
            "  upstreams:",
            "    default: {url: 'http://127.0.0.1:8081'}",
            "");

    private static BackConfig parse(String share, Map<String, String> env) {
        return ConfigLoader.parse(NODE + share, Path.of("/etc/hoft"), "back.yaml", BackConfig.class, env);
    }

    private static String error(String share) {
        return assertThrows(ConfigException.class, () -> parse(share, Map.of())).getMessage();
    }

    @Test
    void withoutAShareSectionNothingIsPublished() {
        assertNull(parse("", Map.of()).back().share());
    }

    @Test
    void aShareSectionGetsTheDocumentedDefaultsAndRelativeFoldersResolveAgainstTheConfig() {
        ShareConfig share = parse("  share:\n    folders: {docs: shared/docs, abs: /srv/x}\n", Map.of()).back().share();
        assertEquals(Path.of("/etc/hoft/shared/docs"), share.folders().get("docs"));
        assertEquals(Path.of("/srv/x"), share.folders().get("abs"));
        assertEquals(Duration.ofMinutes(1), share.refresh());
        assertEquals(Duration.ofMillis(500), share.settle());
        assertTrue(share.watch());
        assertEquals(64L << 20, share.hashUpTo().bytes());
        assertEquals(4L << 20, share.chunkSize().bytes());
        assertEquals(16, share.inFlightChunks());
        assertEquals(16, share.maxUploads());
    }

    @Test
    void environmentOverridesReachTheShareSection() {
        ShareConfig share = parse("  share:\n    folders: {docs: /srv/docs}\n",
                Map.of("HOFT_BACK_SHARE_REFRESH", "5s", "HOFT_BACK_SHARE_FOLDERS_DOCS", "/srv/other")).back().share();
        assertEquals(Duration.ofSeconds(5), share.refresh());
        assertEquals(Path.of("/srv/other"), share.folders().get("docs"));
    }

    @Test
    void badValuesAndUnknownKeysAreRefusedNamingTheKey() {
        assertTrue(error("  share:\n    folders: {}\n").contains("at least one folder"));
        assertTrue(error("  share:\n    refresh: 1m\n").contains("at least one folder"));
        assertTrue(error("  share:\n    folders: {'a b': /x}\n").contains("folder name"));
        assertTrue(error("  share:\n    folders: {'..': /x}\n").contains("folder name"));
        assertTrue(error("  share:\n    folders: {a: /x}\n    refresh: 10ms\n").contains("refresh"));
        assertTrue(error("  share:\n    folders: {a: /x}\n    chunkSize: 1KiB\n").contains("chunkSize"));
        assertTrue(error("  share:\n    folders: {a: /x}\n    maxUploads: 0\n").contains("maxUploads"));
        String unknown = error("  share:\n    folders: {a: /x}\n    refrsh: 1m\n");
        assertTrue(unknown.contains("unknown key") && unknown.contains("refrsh"), unknown);
    }
}
