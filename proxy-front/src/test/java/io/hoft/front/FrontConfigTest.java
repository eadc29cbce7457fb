package io.hoft.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.config.ConfigException;
import io.hoft.transport.config.ConfigLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FrontConfigTest {
    private static final String NODE = String.join("\n",
            "node:",
            "  id: front",
            "  keys: keys/front.jwks",
            "  state: state/front",
            "  peers:",
            "    - id: back",
            "      keys: keys/back.public.jwks",
            "      link: {outbox: link/out, inbox: link/in}",
            "");

    private static FrontConfig parse(String front, Map<String, String> env) {
        return ConfigLoader.parse(NODE + "front:\n" + front, Path.of("/etc/hoft"), "front.yaml", FrontConfig.class, env);
    }

    private static FrontConfig parse(String front) {
        return parse(front, Map.of());
    }

    private static String refusal(String front) {
        return assertThrows(ConfigException.class, () -> parse(front)).getMessage();
    }

    @Test
    void leftOutKeysTakeTheDocumentedDefaults() {
        FrontConfig.Front front = parse("  routes: [{prefix: /, upstream: default}]\n").front();
        assertEquals("127.0.0.1", front.listenHost());
        assertEquals(8080, front.listenPort());
        assertEquals(Duration.ofSeconds(30), front.sync().defaultWait());
        assertEquals(Duration.ofSeconds(120), front.sync().maxWait());
        assertEquals(Duration.ofHours(1), front.requestTtl());
        assertEquals(Duration.ofHours(24), front.retention());
        assertEquals(1L << 30, front.limits().maxBody().bytes());
        assertEquals(10_000, front.limits().maxInFlight());
        assertEquals(100, front.limits().maxHeaders());
        assertEquals(64 * 1024, front.limits().maxHeaderBytes().bytes());
        assertEquals(Duration.ofSeconds(30), front.limits().readTimeout());
        assertEquals("none", front.auth().mode());
        assertFalse(front.insecureAllowUnauthenticated());
        assertFalse(front.callbacks().allowPrivateNetworks());
        assertEquals(Duration.ofSeconds(10), front.callbacks().timeout());
        FrontConfig.Route route = front.routes().get(0);
        assertEquals("back", route.peer(), "the only peer");
        assertEquals("default", route.name(), "named after its upstream");
    }

    @Test
    void everyKeyCanBeOverriddenFromTheEnvironment() {
        FrontConfig config = parse("  routes: [{prefix: /, upstream: default}]\n  callbacks: {secretFile: keys/webhook.secret}\n",
                Map.of("HOFT_FRONT_LIMITS_MAX_BODY", "5MiB", "HOFT_FRONT_LISTEN", "127.0.0.1:9090",
                        "HOFT_FRONT_SYNC_MAX_WAIT", "5m", "HOFT_FRONT_ROUTES_0_UPSTREAM", "api"));
        assertEquals(5L << 20, config.front().limits().maxBody().bytes());
        assertEquals(9090, config.front().listenPort());
        assertEquals(Duration.ofMinutes(5), config.front().sync().maxWait());
        assertEquals("api", config.front().routes().get(0).upstream());
        assertEquals(Path.of("/etc/hoft/keys/webhook.secret"), config.front().callbacks().secretFile(), "relative to the file");
    }

    @Test
    void mistakesAreRefusedWithTheKeyNamed() {
        assertTrue(refusal("  routes: [{prefix: /, upstream: default}]\n  limits: {maxBdy: 1MiB}\n").contains("limits.maxBdy"));
        assertTrue(refusal("  listen: 127.0.0.1:8080\n").contains("routes"));
        assertTrue(refusal("  routes: [{prefix: api, upstream: x}]\n").contains("must start with /"));
        assertTrue(refusal("  routes: [{prefix: /, upstream: x, peer: elsewhere}]\n").contains("elsewhere"));
        assertTrue(refusal("  routes: [{prefix: /, upstream: x}]\n  sync: {defaultWait: 5m, maxWait: 1m}\n").contains("defaultWait"));
        assertTrue(refusal("  routes: [{prefix: /, upstream: x}]\n  auth: {mode: apikey, apiKeys: [{name: a, key: k-0123456789abcdef,"
                + " routes: [nope]}]}\n").contains("nope"));
        assertTrue(refusal("  routes: [{prefix: /, upstream: x}]\n  auth: {mode: apikey, apiKeys: [{name: a, key: short}]}\n")
                .contains("16"));
        assertTrue(refusal("  routes: [{prefix: /, upstream: x}]\n  auth: {mode: jwt}\n").contains("jwks"));
        assertTrue(refusal("  routes: [{prefix: /, upstream: x}]\n  listen: nowhere\n").contains("host:port"));
    }

    @Test
    void listeningBeyondLoopbackWithoutAuthenticationIsRefusedUnlessExplicitlyInsecure() {
        for (String listen : List.of("0.0.0.0:8080", "[::]:8080", "10.1.2.3:8080", "example.com:80", "[::ffff:8.8.8.8]:1")) {
            String message = refusal("  listen: '" + listen + "'\n  routes: [{prefix: /, upstream: x}]\n");
            assertTrue(message.contains("insecureAllowUnauthenticated"), message);
        }
        for (String listen : List.of("127.0.0.1:8080", "localhost:8080", "[::1]:0", "127.9.9.9:1")) {
            parse("  listen: '" + listen + "'\n  routes: [{prefix: /, upstream: x}]\n");
        }
        assertTrue(parse("  listen: 0.0.0.0:8080\n  routes: [{prefix: /, upstream: x}]\n  insecureAllowUnauthenticated: true\n")
                .front().insecureAllowUnauthenticated());
        parse("  listen: 0.0.0.0:8080\n  routes: [{prefix: /, upstream: x}]\n"
                + "  auth: {mode: apikey, apiKeys: [{name: a, key: k-0123456789abcdef, routes: ['*']}]}\n");
    }
}
