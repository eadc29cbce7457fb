package io.hoft.transport.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
    record Limits(DataSize maxBody, Duration readTimeout) {}

    record Upstream(String url, Integer maxConcurrent) {}

    record Front(String listen, Duration requestTtl, Limits limits, Map<String, Upstream> upstreams, List<Path> files) {
        Front {
            if (listen == null) {
                throw new IllegalArgumentException("listen is required");
            }
        }
    }

    record Config(NodeConfig node, Front front) {}

    private static final String YAML = String.join("\n",
            "node:",
            "  id: front",
            "  keys: keys/front.jwks",
            "  state: state/front",
            "  peers:",
            "    - id: back",
            "      keys: keys/back.public.jwks",
            "      link: {type: folder, outbox: link/out, inbox: link/in, poll: 2s}",
            "front:",
            "  listen: 127.0.0.1:8080",
            "  requestTtl: 1h",
            "  limits: {maxBody: 512MiB, readTimeout: 30s}",
            "  upstreams:",
            "    default: {url: 'http://127.0.0.1:8081'}",
            "  files: [a/b]",
            "");

    private static Config parse(String yaml, Map<String, String> env) {
        return ConfigLoader.parse(yaml, Path.of("/etc/hoft"), "front.yaml", Config.class, env);
    }

    @Test
    void readsDurationsSizesAndPathsRelativeToTheConfigFolder() {
        Config config = parse(YAML, Map.of());
        assertEquals(Duration.ofHours(1), config.front().requestTtl());
        assertEquals(512L * 1024 * 1024, config.front().limits().maxBody().bytes());
        assertEquals(Path.of("/etc/hoft/keys/front.jwks"), config.node().keys());
        assertEquals(Path.of("/etc/hoft/link/out"), config.node().peers().get(0).link().outbox());
        assertEquals(Duration.ofSeconds(2), config.node().peers().get(0).link().poll());
        assertEquals("encrypted", config.node().mode());
        assertEquals(List.of(Path.of("/etc/hoft/a/b")), config.front().files());
    }

    @Test
    void unknownKeyIsRefusedWithItsPath() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(YAML.replace("readTimeout: 30s", "readTimeout: 30s, maxBdy: 1"), Map.of()));
        assertTrue(e.getMessage().contains("unknown key 'front.limits.maxBdy'"), e.getMessage());
        assertTrue(e.getMessage().contains("maxBody"), e.getMessage());
    }

    @Test
    void badValueIsRefusedWithItsPath() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(YAML.replace("requestTtl: 1h", "requestTtl: soon"), Map.of()));
        assertTrue(e.getMessage().contains("front.requestTtl") && e.getMessage().contains("not a duration"), e.getMessage());
        ConfigException missing = assertThrows(ConfigException.class, () -> parse(YAML.replace("  listen: 127.0.0.1:8080\n", ""), Map.of()));
        assertTrue(missing.getMessage().contains("listen is required"), missing.getMessage());
        ConfigException id = assertThrows(ConfigException.class, () -> parse(YAML.replace("id: front", "id: Front!"), Map.of()));
        assertTrue(id.getMessage().contains("node.id"), id.getMessage());
    }

    @Test
    void environmentVariablesOverrideKeysByPath() {
        Config config = parse(YAML, Map.of(
                "HOFT_FRONT_LISTEN", "0.0.0.0:9090",
                "HOFT_FRONT_REQUEST_TTL", "2h",
                "HOFT_FRONT_LIMITS_MAX_BODY", "1GiB",
                "HOFT_FRONT_UPSTREAMS_DEFAULT_URL", "http://api:80",
                "HOFT_FRONT_UPSTREAMS_OTHER_URL", "http://other:80",
                "HOFT_NODE_PEERS_0_LINK_POLL", "5s",
                "HOFT_LOG_LEVEL", "DEBUG",
                "PATH", "/usr/bin"));
        assertEquals("0.0.0.0:9090", config.front().listen());
        assertEquals(Duration.ofHours(2), config.front().requestTtl());
        assertEquals(1L << 30, config.front().limits().maxBody().bytes());
        assertEquals("http://api:80", config.front().upstreams().get("default").url());
        assertEquals("http://other:80", config.front().upstreams().get("other").url());
        assertEquals(Duration.ofSeconds(5), config.node().peers().get(0).link().poll());
    }

    @Test
    void environmentVariableNamingNoKeyIsRefused() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(YAML, Map.of("HOFT_FRONT_LISTN", "x")));
        assertTrue(e.getMessage().contains("HOFT_FRONT_LISTN"), e.getMessage());
    }

    @Test
    void oneSectionCanBeReadAloneWithItsOwnOverrides(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = dir.resolve("front.yaml");
        java.nio.file.Files.writeString(file, YAML);
        NodeConfig node = ConfigLoader.loadSection(file, "node", NodeConfig.class,
                Map.of("HOFT_NODE_STATE", "/var/lib/hoft", "HOFT_FRONT_LISTEN", "ignored here"));
        assertEquals("front", node.id());
        assertEquals(Path.of("/var/lib/hoft"), node.state());
        assertEquals(dir.resolve("keys/front.jwks"), node.keys());
    }

    @Test
    void sizesAndDurationsParseTheWayTheyPrint() {
        assertEquals(DataSize.parse("64KiB"), DataSize.parse(DataSize.parse("64KiB").toString()));
        assertEquals(1536, DataSize.parse("1536").bytes());
        assertEquals("90s", Durations.format(Duration.ofSeconds(90)));
        assertEquals(Duration.ofMillis(1500), Durations.parse(Durations.format(Duration.ofMillis(1500))));
        assertThrows(IllegalArgumentException.class, () -> DataSize.parse("-1"));
    }
}
