package io.hoft.tools;

import static org.awaitility.Awaitility.await;

import io.hoft.transport.channel.ChannelListener;
import io.hoft.transport.channel.ReceivedMessage;
import io.hoft.transport.config.ConfigLoader;
import io.hoft.transport.config.NodeConfig;
import io.hoft.transport.config.NodeRuntime;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.StoreTx;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Two real nodes, front and back, as an operator sets them up: keys made with {@code hoft keys
 * gen}, a {@code front.yaml} and a {@code back.yaml} whose {@code node:} sections the tools read,
 * and two folders where one node's outbox is the other's inbox. Each node is a
 * {@link NodeRuntime} started in this JVM, holding its state folder's lock like a real one.
 */
public final class LivePair implements Closeable {
    public static final NodeId FRONT = NodeId.of("front");
    public static final NodeId BACK = NodeId.of("back");

    public final Path root;
    public final Path keys;
    public final Path frontToBack;
    public final Path backToFront;
    private final Map<NodeId, NodeRuntime> running = new ConcurrentHashMap<>();
    /** Message ids each node received. */
    public final Map<NodeId, Set<String>> received = Map.of(FRONT, ConcurrentHashMap.newKeySet(), BACK, ConcurrentHashMap.newKeySet());

    public LivePair(Path root) throws IOException {
        this.root = root;
        this.keys = root.resolve("keys");
        this.frontToBack = root.resolve("link/front-to-back");
        this.backToFront = root.resolve("link/back-to-front");
        for (String node : List.of("front", "back")) {
            Cli.Result gen = Cli.run("keys", "gen", "--node", node, "--out", keys);
            if (gen.exit() != 0) {
                throw new IllegalStateException(gen.toString());
            }
        }
        Files.writeString(config("front"), yaml("front", "back", "link/front-to-back", "link/back-to-front"));
        Files.writeString(config("back"), yaml("back", "front", "link/back-to-front", "link/front-to-back"));
    }

    private static String yaml(String self, String peer, String outbox, String inbox) {
        return String.join("\n",
                "node:",
                "  id: " + self,
                "  keys: keys/" + self + ".jwks",
                "  state: state/" + self,
                "  peers:",
                "    - id: " + peer,
                "      keys: keys/" + peer + ".public.jwks",
                "      link: {type: folder, outbox: " + outbox + ", inbox: " + inbox + ", watch: both, poll: 100ms}",
                "  channel: {heartbeat: 1s, resendAfter: 2s, resendMax: 10s, minNackResend: 500ms, reorderWindow: 1s,"
                        + " lateAfter: 30s, downAfter: 2m, settle: 1s}",
                "# other sections of a front.yaml or back.yaml are the proxies'; the tools read node: only",
                "");
    }

    public Path config(String node) {
        return root.resolve(node + ".yaml");
    }

    public Path state(String node) {
        return root.resolve("state").resolve(node);
    }

    public NodeRuntime start(NodeId node) throws IOException {
        NodeConfig config = ConfigLoader.loadSection(config(node.value()), "node", NodeConfig.class, Map.of());
        Set<String> ids = received.get(node);
        NodeRuntime runtime = NodeRuntime.open(config, new ChannelListener() {
            @Override
            public void onMessage(StoreTx tx, NodeId peer, ReceivedMessage message) {
                tx.afterCommit(() -> ids.add(message.message().id().value()));
            }
        }, Clock.systemUTC());
        runtime.start();
        running.put(node, runtime);
        return runtime;
    }

    public void stop(NodeId node) throws IOException {
        NodeRuntime runtime = running.remove(node);
        if (runtime != null) {
            runtime.close();
        }
    }

    public NodeRuntime node(NodeId node) {
        return running.get(node);
    }

    /** Sends a request from {@code from} (which must be running) and returns its id. */
    public MessageId send(NodeId from, byte[] body, HeaderField... headers) throws Exception {
        NodeRuntime runtime = running.get(from);
        Instant now = Instant.now();
        Message message = new Message(MessageId.generate(Clock.systemUTC()), now, now.plus(Duration.ofDays(30)),
                new Envelope.Request("POST", "/api/items?x=1", "api", List.of(headers)), Body.ofBytes(body));
        NodeId to = from.equals(FRONT) ? BACK : FRONT;
        runtime.store().inTransaction(tx -> {
            runtime.transport().send(tx, to, message);
            return null;
        });
        return message.id();
    }

    /** Sends a request and waits until its data file is in {@code folder}; returns that file. */
    public Path sendAndAwaitFile(NodeId from, Path folder, byte[] body, HeaderField... headers) throws Exception {
        Set<Path> before = dataFiles(folder);
        send(from, body, headers);
        Path[] found = new Path[1];
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            Set<Path> now = dataFiles(folder);
            now.removeAll(before);
            if (now.size() == 1) {
                found[0] = now.iterator().next();
                return true;
            }
            return false;
        });
        return found[0];
    }

    /**
     * Drops into {@code node}'s inbox a file that claims to come from its peer but is signed by
     * an impostor's key: a running node quarantines it as spoofed.
     */
    public Path dropImpostorFile(NodeId node) throws IOException {
        NodeId peer = node.equals(FRONT) ? BACK : FRONT;
        Instant now = Instant.now();
        io.hoft.transport.keys.Keyring impostor = new io.hoft.transport.keys.Keyring(
                io.hoft.transport.keys.NodeKeys.generate(peer, now),
                io.hoft.transport.keys.TrustList.of(io.hoft.transport.keys.KeyFiles.readPeerKeys(keys.resolve(node + ".public.jwks"))));
        io.hoft.transport.spool.SpoolFileWriter writer = new io.hoft.transport.spool.SpoolFileWriter(impostor,
                io.hoft.transport.spool.FileMode.SIGNED_ENCRYPTED, io.hoft.transport.spool.SpoolFileWriter.Options.DEFAULT,
                Clock.systemUTC(), io.hoft.transport.fs.Disk.REAL);
        Message message = new Message(MessageId.generate(Clock.systemUTC()), now, now.plus(Duration.ofDays(1)),
                new Envelope.Request("DELETE", "/everything", "api", List.of()), Body.EMPTY);
        Path tmp = Files.createDirectories(root.resolve("impostor-tmp"));
        var written = writer.write(new io.hoft.transport.spool.SpoolFileWriter.Address(node, 1, 999),
                List.of(io.hoft.transport.spool.OutgoingFrame.whole(message)), tmp);
        // Older than the settle time, so the node judges it at once rather than waiting to see whether it still grows.
        Files.setLastModifiedTime(written.path(), java.nio.file.attribute.FileTime.from(now.minusSeconds(10)));
        return writer.publish(written, node.equals(FRONT) ? backToFront : frontToBack);
    }

    /** Spool files in a folder that carry data (not control files). */
    public static Set<Path> dataFiles(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return new java.util.HashSet<>();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".hoft") && !p.getFileName().toString().endsWith("_ctl.hoft"))
                    .collect(java.util.stream.Collectors.toCollection(java.util.HashSet::new));
        }
    }

    @Override
    public void close() throws IOException {
        for (NodeId node : List.copyOf(running.keySet())) {
            stop(node);
        }
    }
}
