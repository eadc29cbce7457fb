package io.hoft.back;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.config.ConfigException;
import io.hoft.transport.config.ConfigLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BackConfigTest {
    private static final String NODE = String.join("\n",
            "node:",
            "  id: back",
            "  keys: keys/back.jwks",
            "  state: state/back",
            "  peers:",
            "    - id: front",
            "      keys: keys/front.public.jwks",
            "      link: {type: folder, outbox: link/back-out, inbox: link/back-in}",
            "");

    private static BackConfig parse(String back, Map<String, String> env) {
        return ConfigLoader.parse(NODE + "back:\n" + back, Path.of("/etc/hoft"), "back.yaml", BackConfig.class, env);
    }

    private static String error(String back) {
        return assertThrows(ConfigException.class, () -> parse(back, Map.of())).getMessage();
    }

    @Test
    void aMinimalBackSectionGetsTheDocumentedDefaults() {
        BackConfig config = parse("  upstreams:\n    default: {url: 'http://127.0.0.1:8081'}\n", Map.of());
        BackConfig.Upstream upstream = config.back().upstreams().get("default");
        assertEquals(64, upstream.maxConcurrent());
        assertEquals(Duration.ofSeconds(5), upstream.connectTimeout());
        assertEquals(Duration.ofSeconds(60), upstream.responseTimeout());
        assertFalse(upstream.preserveHost());
        assertEquals(Duration.ofSeconds(30), upstream.keepAlive());
        assertEquals(4L << 30, upstream.maxResponseBody().bytes());
        assertEquals(2, config.back().retry().maxRetries());
        assertEquals(Duration.ofMillis(500), config.back().retry().delay());
        assertFalse(config.back().retry().retryIdempotentOnTimeout());
        assertEquals("hoft", config.back().via());
        assertEquals(Duration.ofHours(1), config.back().retention());
        assertEquals(Duration.ofSeconds(30), config.back().drainTimeout());
        assertEquals(Path.of("/etc/hoft/state/back"), config.node().state());
    }

    @Test
    void everyKeyCanBeSetAndUpstreamsKeepTheirOrder() {
        BackConfig config = parse(String.join("\n",
                "  upstreams:",
                "    zeta: {url: 'https://api.internal:8443/v1/', maxConcurrent: 8, connectTimeout: 2s, responseTimeout: 90s,",
                "           preserveHost: true, keepAlive: 0s, maxResponseBody: 10MiB}",
                "    alpha: {url: 'http://[::1]:9000'}",
                "  retry: {maxRetries: 0, delay: 1s, retryIdempotentOnTimeout: true}",
                "  via: edge-1",
                "  retention: 2h",
                "  drainTimeout: 5s",
                ""), Map.of());
        assertEquals(java.util.List.of("zeta", "alpha"), java.util.List.copyOf(config.back().upstreams().keySet()));
        BackConfig.Upstream zeta = config.back().upstreams().get("zeta");
        assertEquals(8, zeta.maxConcurrent());
        assertTrue(zeta.preserveHost());
        assertEquals(Duration.ZERO, zeta.keepAlive());
        assertEquals(10L << 20, zeta.maxResponseBody().bytes());
        assertTrue(config.back().retry().retryIdempotentOnTimeout());
        assertEquals("edge-1", config.back().via());
        Callee callee = new Callee("zeta", zeta);
        assertEquals("/v1", callee.basePath());
        assertEquals("api.internal:8443", callee.authority());
        callee.close();
        Callee ipv6 = new Callee("alpha", config.back().upstreams().get("alpha"));
        assertEquals("[::1]:9000", ipv6.authority());
        assertEquals("::1", ipv6.route().getTargetHost().getHostName());
        ipv6.close();
    }

    @Test
    void environmentVariablesOverrideKeys() {
        BackConfig config = parse("  upstreams:\n    default: {url: 'http://127.0.0.1:8081'}\n",
                Map.of("HOFT_BACK_UPSTREAMS_DEFAULT_URL", "http://api:80", "HOFT_BACK_RETRY_MAX_RETRIES", "5",
                        "HOFT_BACK_UPSTREAMS_DEFAULT_MAX_CONCURRENT", "3"));
        assertEquals("http://api:80", config.back().upstreams().get("default").url());
        assertEquals(3, config.back().upstreams().get("default").maxConcurrent());
        assertEquals(5, config.back().retry().maxRetries());
    }

    @Test
    void badValuesAreRefusedWithTheirKey() {
        assertTrue(error("  upstreams: {}\n").contains("at least one upstream"));
        assertTrue(error("  upstreams:\n    a: {url: 'ftp://x'}\n").contains("'back.upstreams.a"), error("  upstreams:\n    a: {url: 'ftp://x'}\n"));
        assertTrue(error("  upstreams:\n    a: {url: 'ftp://x'}\n").contains("http:// or https://"));
        assertTrue(error("  upstreams:\n    a: {url: 'http://u:p@x'}\n").contains("user info"));
        assertTrue(error("  upstreams:\n    a: {url: 'http://x/?q=1'}\n").contains("query"));
        assertTrue(error("  upstreams:\n    a: {url: 'http:///path'}\n").contains("no host"));
        assertTrue(error("  upstreams:\n    a: {}\n").contains("url is required"));
        assertTrue(error("  upstreams:\n    a: {url: 'http://x', maxConcurrent: 0}\n").contains("maxConcurrent"));
        assertTrue(error("  upstreams:\n    a: {url: 'http://x', responseTimeout: 0s}\n").contains("responseTimeout"));
        assertTrue(error("  upstreams:\n    a: {url: 'http://x', responseTimeut: 1s}\n").contains("unknown key"));
        assertTrue(error("  upstreams:\n    'a b': {url: 'http://x'}\n").contains("upstream name"));
        assertTrue(error("  upstreams:\n    a: {url: 'http://x', trustedCertificates: ca.pem}\n").contains("https upstreams only"));
        assertTrue(error("  upstreams:\n    a: {url: 'https://x', trustedCertificates: /nonexistent/ca.pem}\n")
                .contains("'back.upstreams.a"));
        assertTrue(error("  upstreams:\n    a: {url: 'http://x'}\n  via: 'two words'\n").contains("via must be a token"));
        assertTrue(error("  upstreams:\n    a: {url: 'http://x'}\n  retry: {maxRetries: -1}\n").contains("maxRetries"));
        assertTrue(error("  upstreams:\n    a: {url: 'http://x'}\n  retry: {delay: soon}\n").contains("back.retry.delay"));
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.parse(NODE, Path.of("/"), "back.yaml",
                BackConfig.class, Map.of())).getMessage().contains("back section is required"));
    }
}
