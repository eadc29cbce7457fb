package io.hoft.back;

import static org.awaitility.Awaitility.await;

import io.hoft.transport.channel.ChannelConfig;
import io.hoft.transport.channel.ChannelListener;
import io.hoft.transport.channel.ReceivedMessage;
import io.hoft.transport.channel.Transport;
import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.FolderLink;
import io.hoft.transport.link.WatchMode;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.message.MessageKind;
import io.hoft.transport.store.NodeStore;
import io.hoft.transport.store.StoreTx;
import io.hoft.transport.testing.TestNodes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A back under test and a stand-in front: the back is a real {@link BackNode} started from a
 * {@code back.yaml} the harness writes (or a child process started from it); the front is a
 * plain transport-core {@link Transport} with the test keys, sharing folders with the back
 * (front outbox = back inbox and the other way round), that sends REQUEST messages and collects
 * every RESPONSE and STATUS it receives.
 */
final class BackHarness implements AutoCloseable {
    static final NodeId FRONT = TestNodes.FRONT;
    static final NodeId BACK = TestNodes.BACK;

    /** A RESPONSE as the front received it; the body is kept whole up to 16 MiB. */
    record Delivered(MessageId messageId, Envelope.Response envelope, byte[] body, long length, String sha256) {
        String bodyText() {
            return new String(body, java.nio.charset.StandardCharsets.ISO_8859_1);
        }

        String header(String name) {
            return envelope.headers().stream().filter(f -> f.hasName(name)).map(HeaderField::value).findFirst().orElse(null);
        }
    }

    final Path root;
    final Path config;
    private final Map<MessageId, List<Delivered>> responses = new ConcurrentHashMap<>();
    private final Map<MessageId, List<Envelope.Status>> statuses = new ConcurrentHashMap<>();
    private NodeStore frontStore;
    private Transport front;
    private BackNode back;

    /** Writes keys and {@code back.yaml}; {@code backSection} is the YAML under {@code back:}, indented by two spaces. */
    BackHarness(Path root, String backSection) throws IOException {
        this.root = root;
        Files.createDirectories(root.resolve("keys"));
        Files.createDirectories(root.resolve("link/f2b"));
        Files.createDirectories(root.resolve("link/b2f"));
        KeyFiles.writePrivate(root.resolve("keys/back.jwks"), TestNodes.backKeys().toJwkSet(), true);
        KeyFiles.writePublic(root.resolve("keys/front.pub.jwks"), TestNodes.frontKeys().publicKeys().toJwkSet(), true);
        this.config = root.resolve("back.yaml");
        Files.writeString(config, String.join("\n",
                "node:",
                "  id: back",
                "  keys: keys/back.jwks",
                "  state: state/back",
                "  peers:",
                "    - id: front",
                "      keys: keys/front.pub.jwks",
                "      link: {type: folder, outbox: link/b2f, inbox: link/f2b, watch: both, poll: 100ms}",
                "  channel: {heartbeat: 1s, resendAfter: 2s, resendMax: 20s, reorderWindow: 1s, settle: 1s}",
                "back:",
                backSection,
                ""));
    }

    BackHarness startFront() throws IOException {
        frontStore = NodeStore.open(root.resolve("state/front"));
        FolderLink link = new FolderLink(root.resolve("link/f2b"), root.resolve("link/b2f"), root.resolve("state/front/tmp"),
                WatchMode.BOTH, Duration.ofMillis(100), Disk.REAL);
        front = Transport.builder().keyring(TestNodes.front()).store(frontStore).stateDir(root.resolve("state/front"))
                .config(ChannelConfig.DEFAULT.withFastTimers()).listener(new Collector()).link(BACK, link).build();
        front.start();
        return this;
    }

    BackHarness startBack() throws IOException {
        back = BackNode.start(BackConfig.load(config, Map.of()));
        return this;
    }

    BackNode back() {
        return back;
    }

    void stopBack() throws IOException {
        if (back != null) {
            back.close();
            back = null;
        }
    }

    Transport front() {
        return front;
    }

    /**
     * Makes the channel forget that {@code id} was delivered, as after its dedupe retention or
     * when a front lost its state: the front restarts with an empty store (a new epoch) and the
     * back's channel drops its record of the id. Sending the id again then reaches the back's
     * listener a second time.
     */
    void forgetDelivery(MessageId id) throws IOException {
        front.close();
        frontStore.close();
        org.apache.commons.io.FileUtils.deleteDirectory(root.resolve("state/front").toFile());
        startFront();
        int deleted = readBack(tx -> tx.update("DELETE FROM in_message WHERE id = ?", id.value()));
        if (deleted != 1) {
            throw new IllegalStateException("the back's channel had no record of " + id);
        }
    }

    MessageId send(String method, String target, String upstream, List<HeaderField> headers, byte[] body) throws Exception {
        return send(MessageId.generate(Clock.systemUTC()), method, target, upstream, headers, Body.ofBytes(body), Duration.ofMinutes(10));
    }

    MessageId send(MessageId id, String method, String target, String upstream, List<HeaderField> headers, Body body,
            Duration ttl) throws Exception {
        Instant now = Instant.now();
        Message message = new Message(id, now, now.plus(ttl), new Envelope.Request(method, target, upstream, headers), body);
        frontStore.inTransaction(tx -> {
            front.send(tx, BACK, message);
            return null;
        });
        return id;
    }

    /**
     * Sends a later attempt of request {@code requestId}: a new message (its id is returned, and
     * the answer names it) carrying the request again with {@code requestId} and {@code attempt}.
     */
    MessageId sendAttempt(MessageId requestId, int attempt, String method, String target, String upstream,
            List<HeaderField> headers, byte[] body) throws Exception {
        Instant now = Instant.now();
        Message message = new Message(MessageId.generate(Clock.systemUTC()), now, now.plus(Duration.ofMinutes(10)),
                new Envelope.Request(method, target, upstream, headers, requestId, attempt), Body.ofBytes(body));
        frontStore.inTransaction(tx -> {
            front.send(tx, BACK, message);
            return null;
        });
        return message.id();
    }

    Delivered awaitResponse(MessageId id) {
        return awaitResponse(id, Duration.ofSeconds(30));
    }

    Delivered awaitResponse(MessageId id, Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(20)).until(() -> !responses(id).isEmpty());
        return responses(id).get(0);
    }

    List<Delivered> responses(MessageId id) {
        return List.copyOf(responses.getOrDefault(id, List.of()));
    }

    List<Envelope.Status> statuses(MessageId id) {
        return List.copyOf(statuses.getOrDefault(id, List.of()));
    }

    int responseCount() {
        return responses.values().stream().mapToInt(List::size).sum();
    }

    /** Reads the back's database with a second connection (works while the back runs, or after). */
    <T> T readBack(NodeStore.Work<T> work) throws IOException {
        try (NodeStore store = NodeStore.open(root.resolve("state/back"))) {
            return store.inTransaction(work);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            stopBack();
        } finally {
            if (front != null) {
                front.close();
                frontStore.close();
            }
        }
    }

    /** The front's listener: keeps every RESPONSE and STATUS, once committed. */
    private final class Collector implements ChannelListener {
        @Override
        public void onMessage(StoreTx tx, NodeId peer, ReceivedMessage received) throws Exception {
            Message message = received.message();
            if (message.kind() == MessageKind.RESPONSE) {
                Envelope.Response envelope = (Envelope.Response) message.envelope();
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                ByteArrayOutputStream kept = new ByteArrayOutputStream();
                long length = 0;
                try (InputStream in = message.body().open()) {
                    byte[] buffer = new byte[1 << 16];
                    int n;
                    while ((n = in.read(buffer)) != -1) {
                        digest.update(buffer, 0, n);
                        if (length < 16 * 1024 * 1024) {
                            kept.write(buffer, 0, n);
                        }
                        length += n;
                    }
                }
                Delivered delivered = new Delivered(message.id(), envelope, kept.toByteArray(), length,
                        HexFormat.of().formatHex(digest.digest()));
                tx.afterCommit(() -> responses.computeIfAbsent(envelope.requestId(), k -> new CopyOnWriteArrayList<>()).add(delivered));
            } else if (message.kind() == MessageKind.STATUS) {
                Envelope.Status status = (Envelope.Status) message.envelope();
                tx.afterCommit(() -> statuses.computeIfAbsent(status.requestId(), k -> new CopyOnWriteArrayList<>()).add(status));
            }
        }
    }

    static List<HeaderField> fields(String... namesAndValues) {
        List<HeaderField> fields = new ArrayList<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            fields.add(new HeaderField(namesAndValues[i], namesAndValues[i + 1]));
        }
        return fields;
    }
}
