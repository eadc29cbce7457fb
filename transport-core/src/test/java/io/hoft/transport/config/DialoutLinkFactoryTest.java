package io.hoft.transport.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.channel.ChannelListener;
import io.hoft.transport.channel.ReceivedMessage;
import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.Link;
import io.hoft.transport.spool.SpoolFileName;
import io.hoft.transport.store.StoreTx;
import io.hoft.transport.testing.TestNodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The seam through which a node gets its dial-out links: core builds none of its own. */
class DialoutLinkFactoryTest {
    @TempDir
    Path dir;

    private NodeConfig backDialing() throws IOException {
        Files.createDirectories(dir.resolve("keys"));
        KeyFiles.writePrivate(dir.resolve("keys/back.jwks"), TestNodes.backKeys().toJwkSet(), false);
        KeyFiles.writePublic(dir.resolve("keys/front.public.jwks"), TestNodes.frontKeys().publicKeys().toJwkSet(), false);
        String yaml = String.join("\n",
                "node:",
                "  id: back",
                "  keys: keys/back.jwks",
                "  state: state",
                "  peers:",
                "    - id: front",
                "      keys: keys/front.public.jwks",
                "      link: {type: dialout, url: 'http://127.0.0.1:9'}",
                "");
        record Config(NodeConfig node) {}
        return ConfigLoader.parse(yaml, dir, "back.yaml", Config.class, Map.of()).node();
    }

    @Test
    void aNodeWithADialoutPeerOpenedWithoutTheDialoutModuleIsRefusedSayingWhy() throws IOException {
        NodeConfig config = backDialing();
        ConfigException refusal = assertThrows(ConfigException.class, () -> NodeRuntime.open(config, new Quiet(), Clock.systemUTC()));
        assertTrue(refusal.getMessage().contains("peer front has a dial-out link"), refusal.getMessage());
    }

    @Test
    void theFactoryIsAskedOnceAndItsLinkCarriesTheDialoutPeer() throws IOException {
        NodeConfig config = backDialing();
        Link link = new NoLink();
        AtomicInteger asked = new AtomicInteger();
        DialoutLinkFactory factory = (given, keyring, clock) -> {
            asked.incrementAndGet();
            assertEquals(NodeId.of("back"), keyring.node());
            return Map.of(NodeId.of("front"), link);
        };
        try (NodeRuntime runtime = NodeRuntime.open(config, factory, new Quiet(), Clock.systemUTC())) {
            assertEquals(1, asked.get());
            assertSame(link, runtime.transport().link(NodeId.of("front")).orElseThrow());
        }
        assertFalse(Files.exists(dir.resolve("state/dialout")), "core made no dial-out state of its own");
    }

    /** A link that carries nothing: the test looks only at who holds it. */
    private static final class NoLink implements Link {
        @Override
        public void send(Path file, SpoolFileName name) {}

        @Override
        public void retract(SpoolFileName name) {}

        @Override
        public void start(NodeId self, IncomingSink sink) {}

        @Override
        public void rescan() {}

        @Override
        public void close() {}
    }

    private static final class Quiet implements ChannelListener {
        @Override
        public void onMessage(StoreTx tx, NodeId peer, ReceivedMessage message) {}
    }
}
