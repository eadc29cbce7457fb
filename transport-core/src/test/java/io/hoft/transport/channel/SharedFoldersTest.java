package io.hoft.transport.channel;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.keys.NodeKeys;
import io.hoft.transport.keys.TrustList;
import io.hoft.transport.link.FolderLink;
import io.hoft.transport.link.WatchMode;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.NodeStore;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes over one pair of folders: "a" and "c" both write to {@code up/} and read
 * {@code down/}; "b" reads {@code up/} and writes {@code down/}. Each node reads only what is
 * addressed to it and leaves the rest alone; b keeps a separate channel with each of the others.
 */
class SharedFoldersTest {
    @TempDir
    Path root;

    @Test
    void threeNodesShareOnePairOfFoldersAndEachGetsOnlyItsOwnMessages() throws Exception {
        Instant issued = Instant.now();
        NodeKeys a = NodeKeys.generate(NodeId.of("a"), issued);
        NodeKeys b = NodeKeys.generate(NodeId.of("b"), issued);
        NodeKeys c = NodeKeys.generate(NodeId.of("c"), issued);
        Path up = root.resolve("up");
        Path down = root.resolve("down");
        ChannelConfig config = ChannelConfig.DEFAULT.withFastTimers();
        List<Closeable> open = new ArrayList<>();
        try {
            Node nodeA = new Node(new Keyring(a, TrustList.of(b.publicKeys())), root.resolve("a"), config, open);
            Node nodeC = new Node(new Keyring(c, TrustList.of(b.publicKeys())), root.resolve("c"), config, open);
            Node nodeB = new Node(new Keyring(b, TrustList.of(a.publicKeys(), c.publicKeys())), root.resolve("b"), config, open);
            nodeA.start(List.of(b.node()), up, down);
            nodeC.start(List.of(b.node()), up, down);
            nodeB.start(List.of(a.node(), c.node()), down, up);
            for (int i = 0; i < 40; i++) {
                nodeA.send(b.node(), "from a " + i);
                nodeC.send(b.node(), "from c " + i);
                nodeB.send(i % 2 == 0 ? a.node() : c.node(), "from b " + i);
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> nodeB.count("a") == 40 && nodeB.count("c") == 40
                    && nodeA.count("b") == 20 && nodeC.count("b") == 20
                    && nodeA.unsettled() == 0 && nodeB.unsettled() == 0 && nodeC.unsettled() == 0);
            for (Node node : List.of(nodeA, nodeB, nodeC)) {
                assertEquals(0, node.transport.metrics().total("hoft_files_quarantined_total"), "quarantined at " + node.dir);
                assertEquals(0L, node.maxDeliveries());
            }
        } finally {
            for (Closeable c2 : open) {
                c2.close();
            }
        }
    }

    private static final class Node {
        final Keyring keyring;
        final Path dir;
        final ChannelConfig config;
        final List<Closeable> open;
        NodeStore store;
        Transport transport;

        Node(Keyring keyring, Path dir, ChannelConfig config, List<Closeable> open) {
            this.keyring = keyring;
            this.dir = dir;
            this.config = config;
            this.open = open;
        }

        void start(List<NodeId> peers, Path outbox, Path inbox) throws IOException {
            store = NodeStore.open(dir);
            store.migrate("ledger", LinkedPair.LEDGER);
            FolderLink link = new FolderLink(outbox, inbox, dir.resolve("tmp"), WatchMode.BOTH, Duration.ofMillis(100), Disk.REAL);
            Transport.Builder builder = Transport.builder().keyring(keyring).store(store).stateDir(dir).config(config)
                    .listener(new LinkedPair.Ledger(null));
            peers.forEach(peer -> builder.link(peer, link));
            transport = builder.build();
            transport.start();
            open.add(store);
            open.add(0, transport);
        }

        void send(NodeId peer, String text) throws Exception {
            Instant now = Instant.now();
            Message message = new Message(MessageId.generate(Clock.systemUTC()), now, now.plusSeconds(3600),
                    new Envelope.Request("POST", "/", "api", List.of()), Body.ofBytes(text.getBytes()));
            store.inTransaction(tx -> {
                transport.send(tx, peer, message);
                return null;
            });
        }

        long count(String peer) {
            return store.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM received WHERE peer = ?", peer));
        }

        long maxDeliveries() {
            return store.inTransaction(tx -> tx.queryLong("SELECT COALESCE(MAX(deliveries), 1) - 1 FROM received"));
        }

        long unsettled() {
            return store.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM out_message WHERE state NOT IN ('acked', 'expired')"));
        }
    }
}
