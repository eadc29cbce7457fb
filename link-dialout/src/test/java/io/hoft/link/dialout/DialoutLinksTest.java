package io.hoft.link.dialout;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.channel.ChannelListener;
import io.hoft.transport.config.ConfigLoader;
import io.hoft.transport.config.NodeConfig;
import io.hoft.transport.config.NodeRuntime;
import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.keys.NodeKeys;
import io.hoft.transport.link.Link;
import io.hoft.transport.testing.TestNodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's dial-out links as DialoutLinks builds them from its config, and how the front finds the dialed end. */
class DialoutLinksTest {
    private static final ChannelListener QUIET = (tx, peer, message) -> {};

    @TempDir
    Path dir;

    /** A front's config: its keys, and a peer for each {@code peer: link} given, with keys of its own. */
    private NodeConfig front(Map<String, String> links) throws IOException {
        Files.createDirectories(dir.resolve("keys"));
        KeyFiles.writePrivate(dir.resolve("keys/front.jwks"), TestNodes.frontKeys().toJwkSet(), false);
        List<String> yaml = new ArrayList<>(List.of("node:", "  id: front", "  keys: keys/front.jwks", "  state: state",
                "  peers:"));
        for (Map.Entry<String, String> peer : links.entrySet()) {
            NodeKeys keys = NodeKeys.generate(NodeId.of(peer.getKey()), Instant.parse("2026-01-01T00:00:00Z"));
            KeyFiles.writePublic(dir.resolve("keys/" + peer.getKey() + ".public.jwks"), keys.publicKeys().toJwkSet(), false);
            yaml.addAll(List.of("    - id: " + peer.getKey(), "      keys: keys/" + peer.getKey() + ".public.jwks",
                    "      link: " + peer.getValue()));
        }
        record Config(NodeConfig node) {}
        return ConfigLoader.parse(String.join("\n", yaml) + "\n", dir, "front.yaml", Config.class, Map.of()).node();
    }

    @Test
    void peersThatDialInShareOneReceivingLinkAndAPeerWithAUrlIsDialed() throws IOException {
        NodeConfig config = front(Map.of("site1", "{type: dialout}", "site2", "{type: dialout, heartbeat: 2s}",
                "hub", "{type: dialout, url: 'http://127.0.0.1:9'}"));
        try (NodeRuntime runtime = NodeRuntime.open(config, DialoutLinks.FACTORY, QUIET, Clock.systemUTC())) {
            Link site1 = runtime.transport().link(NodeId.of("site1")).orElseThrow();
            assertInstanceOf(DialoutServerLink.class, site1);
            assertSame(site1, runtime.transport().link(NodeId.of("site2")).orElseThrow());
            assertSame(site1, DialoutLinks.serverOf(runtime).orElseThrow());
            assertInstanceOf(DialoutClientLink.class, runtime.transport().link(NodeId.of("hub")).orElseThrow());
        }
    }

    @Test
    void aNodeThatOnlyDialsHasNoReceivingLink() throws IOException {
        NodeConfig config = front(Map.of("hub", "{type: dialout, url: 'http://127.0.0.1:9'}"));
        try (NodeRuntime runtime = NodeRuntime.open(config, DialoutLinks.FACTORY, QUIET, Clock.systemUTC())) {
            assertTrue(DialoutLinks.serverOf(runtime).isEmpty());
        }
    }
}
