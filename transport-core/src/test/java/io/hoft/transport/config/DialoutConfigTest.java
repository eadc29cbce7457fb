package io.hoft.transport.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code link: {type: dialout, ...}} in a node's config: defaults, both roles, and every refusal. */
class DialoutConfigTest {
    record Config(NodeConfig node) {}

    private static Config parse(String link) {
        return parse(link, Map.of());
    }

    private static Config parse(String link, Map<String, String> env) {
        String yaml = String.join("\n",
                "node:",
                "  id: back",
                "  keys: keys/back.jwks",
                "  state: state/back",
                "  peers:",
                "    - id: front",
                "      keys: keys/front.public.jwks",
                "      link: " + link,
                "");
        return ConfigLoader.parse(yaml, Path.of("/etc/hoft"), "back.yaml", Config.class, env);
    }

    private static String refusal(String link) {
        return assertThrows(ConfigException.class, () -> parse(link)).getMessage();
    }

    @Test
    void aDialingNodeHasItsFrontsUrlAndDefaults() {
        NodeConfig node = parse("{type: dialout, url: 'https://front.example:8443'}").node();
        NodeConfig.LinkConfig link = node.peers().get(0).link();
        assertTrue(link.dials());
        assertEquals(Duration.ofSeconds(10), link.heartbeat());
        assertEquals(4, link.parallel());
        assertNull(link.proxy());
        assertNull(link.trust());
        assertEquals(Path.of("/etc/hoft/state/back/dialout/to-front/out"), node.linkOutbox(node.peers().get(0)));
        assertEquals(Path.of("/etc/hoft/state/back/dialout/to-front/in"), node.linkInbox(node.peers().get(0)));
    }

    @Test
    void everyDialingSettingIsRead() {
        NodeConfig.LinkConfig link = parse("{type: dialout, url: 'https://front.example', proxy: 'proxy.corp:3128',"
                + " heartbeat: 2s, parallel: 8, trust: keys/front-cert.pem}").node().peers().get(0).link();
        assertEquals("proxy.corp:3128", link.proxy());
        assertEquals(Duration.ofSeconds(2), link.heartbeat());
        assertEquals(8, link.parallel());
        assertEquals(Path.of("/etc/hoft/keys/front-cert.pem"), link.trust());
    }

    @Test
    void theDialedNodeHasNoUrlAndTakesOnlyAHeartbeat() {
        NodeConfig node = parse("{type: dialout, heartbeat: 5s}").node();
        assertTrue(!node.peers().get(0).link().dials());
        assertEquals(Path.of("/etc/hoft/state/back/dialout/dialed/held"), node.linkOutbox(node.peers().get(0)));
        assertTrue(refusal("{type: dialout, proxy: 'p:1'}").contains("link.proxy does not apply"));
        assertTrue(refusal("{type: dialout, trust: x.pem}").contains("link.trust does not apply"));
        assertTrue(refusal("{type: dialout, parallel: 3}").contains("link.parallel does not apply"));
    }

    @Test
    void environmentOverridesReachTheDialoutKeys() {
        NodeConfig.LinkConfig link = parse("{type: dialout, url: 'http://127.0.0.1:8080'}",
                Map.of("HOFT_NODE_PEERS_0_LINK_PROXY", "127.0.0.1:3128", "HOFT_NODE_PEERS_0_LINK_HEARTBEAT", "1s"))
                .node().peers().get(0).link();
        assertEquals("127.0.0.1:3128", link.proxy());
        assertEquals(Duration.ofSeconds(1), link.heartbeat());
    }

    @Test
    void wrongValuesAndKeysOfTheOtherKindAreRefusedWithTheKey() {
        assertTrue(refusal("{type: dialout, url: 'ftp://front'}").contains("link.url must be the front's base URL"));
        assertTrue(refusal("{type: dialout, url: 'https://front?x=1'}").contains("link.url"));
        assertTrue(refusal("{type: dialout, url: 'https://front', proxy: 'proxy.corp'}").contains("link.proxy must be host:port"));
        assertTrue(refusal("{type: dialout, url: 'https://front', proxy: 'u:p@proxy:3128'}").contains("link.proxy"));
        assertTrue(refusal("{type: dialout, url: 'https://front', parallel: 1}").contains("link.parallel must be between 2 and 64"));
        assertTrue(refusal("{type: dialout, url: 'https://front', heartbeat: 10ms}").contains("link.heartbeat"));
        assertTrue(refusal("{type: dialout, url: 'https://front', outbox: x}").contains("link.outbox does not apply"));
        assertTrue(refusal("{type: dialout, url: 'https://front', poll: 1s}").contains("link.poll does not apply"));
        assertTrue(refusal("{type: folder, outbox: a, inbox: b, url: 'https://front'}").contains("link.url does not apply"));
        assertTrue(refusal("{type: carrier-pigeon}").contains("link.type must be folder or dialout"));
        assertTrue(refusal("{type: dialout, url: 'https://front', tunnel: yes}").contains("unknown key 'node.peers[0].link.tunnel'"));
    }
}
