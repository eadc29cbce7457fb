package io.hoft.transport.channel;

import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.FolderLink;
import io.hoft.transport.link.Mirror;
import io.hoft.transport.link.MirrorFaults;
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
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Two nodes, front and back, each a real {@link Transport} with its own database and state
 * folder, linked by four folders and two {@link Mirror}s that may inject faults. Every
 * delivered message is recorded by a listener in the receiving node's database, inside the
 * delivery transaction, with the SHA-256 of its body: the ledger exactly-once is checked on.
 */
final class LinkedPair implements Closeable {
    static final List<String> LEDGER = List.of(
            "CREATE TABLE received (id TEXT PRIMARY KEY, peer TEXT NOT NULL, kind TEXT NOT NULL, body_sha256 TEXT NOT NULL,"
                    + " body_length INTEGER NOT NULL, deliveries INTEGER NOT NULL, delivered_ms INTEGER NOT NULL);"
                    + "CREATE TABLE send_expired (id TEXT PRIMARY KEY)");

    final Path root;
    final ChannelConfig config;
    final MirrorFaults faults;
    final WatchMode watchMode;
    final Duration pollInterval;
    Node front;
    Node back;
    Mirror frontToBack;
    Mirror backToFront;

    Mirror.Mode mirrorMode = Mirror.Mode.MOVE;
    boolean inPlace;

    LinkedPair(Path root, ChannelConfig config, MirrorFaults faults, WatchMode watchMode, Duration pollInterval) {
        this.root = root;
        this.config = config;
        this.faults = faults;
        this.watchMode = watchMode;
        this.pollInterval = pollInterval;
    }

    LinkedPair mirrors(Mirror.Mode mode, boolean inPlace) {
        this.mirrorMode = mode;
        this.inPlace = inPlace;
        return this;
    }

    LinkedPair start() throws IOException {
        return start(node -> { });
    }

    /** Starts both nodes after {@code prepare} has set their seams. */
    LinkedPair start(java.util.function.Consumer<Node> prepare) throws IOException {
        front = new Node(TestNodes.front(), TestNodes.BACK, root.resolve("front"), root.resolve("link/front-out"),
                root.resolve("link/front-in"));
        back = new Node(TestNodes.back(), TestNodes.FRONT, root.resolve("back"), root.resolve("link/back-out"),
                root.resolve("link/back-in"));
        prepare.accept(front);
        prepare.accept(back);
        front.start();
        back.start();
        frontToBack = new Mirror(root.resolve("link/front-out"), root.resolve("link/back-in"), mirrorMode,
                faults, Duration.ofMillis(20), inPlace).start();
        backToFront = new Mirror(root.resolve("link/back-out"), root.resolve("link/front-in"), mirrorMode,
                new MirrorFaults(faults.loss(), faults.duplicate(), faults.truncate(), faults.corrupt(), faults.reorder(),
                        faults.delay(), faults.maxDelay(), faults.seed() + 1), Duration.ofMillis(20), inPlace).start();
        return this;
    }

    /** One node: its transport, database and the ledger of what it received. */
    final class Node implements Closeable {
        final Keyring keyring;
        final NodeId peer;
        final Path stateDir;
        final Path outbox;
        final Path inbox;
        NodeStore store;
        Transport transport;
        /** Seams for commit-point tests: the disk the transport writes with, and the one its link publishes with. */
        io.hoft.transport.fs.Disk transportDisk = io.hoft.transport.fs.Disk.REAL;
        io.hoft.transport.fs.Disk linkDisk = io.hoft.transport.fs.Disk.REAL;
        /** The machine's boot id as the node sees it at start (a test changes it to simulate a reboot). */
        java.util.function.Supplier<java.util.Optional<String>> bootId = io.hoft.transport.fs.BootId::current;
        Duration quarantineMaxAge = Duration.ofDays(7);
        long quarantineMaxBytes = 1L << 30;

        Node(Keyring keyring, NodeId peer, Path stateDir, Path outbox, Path inbox) {
            this.keyring = keyring;
            this.peer = peer;
            this.stateDir = stateDir;
            this.outbox = outbox;
            this.inbox = inbox;
        }

        void start() throws IOException {
            store = NodeStore.open(stateDir);
            store.migrate("ledger", LEDGER);
            FolderLink link = new FolderLink(outbox, inbox, stateDir.resolve("tmp"), watchMode, pollInterval, linkDisk);
            transport = Transport.builder().keyring(keyring).store(store).stateDir(stateDir).config(config)
                    .disk(transportDisk).bootId(bootId).listener(new Ledger(this)).link(peer, link)
                    .quarantine(quarantineMaxAge, quarantineMaxBytes).build();
            transport.start();
        }

        /** Sends a request with this body; returns its id. */
        MessageId send(byte[] body) throws Exception {
            return send(body, Duration.ofHours(1));
        }

        MessageId send(byte[] body, Duration ttl) throws Exception {
            Instant now = Instant.now();
            Message message = new Message(MessageId.generate(Clock.systemUTC()), now, now.plus(ttl),
                    new Envelope.Request("POST", "/x", "api", List.of(new HeaderField("X-N", "1"))), Body.ofBytes(body));
            store.inTransaction(tx -> {
                transport.send(tx, peer, message);
                return null;
            });
            return message.id();
        }

        MessageId send(Body body) throws Exception {
            Instant now = Instant.now();
            Message message = new Message(MessageId.generate(Clock.systemUTC()), now, now.plus(Duration.ofHours(1)),
                    new Envelope.Request("PUT", "/big", "api", List.of()), body);
            store.inTransaction(tx -> {
                transport.send(tx, peer, message);
                return null;
            });
            return message.id();
        }

        /** id to deliveries, as recorded by the ledger. */
        Map<String, Long> received() {
            Map<String, Long> map = new java.util.TreeMap<>();
            store.inTransaction(tx -> tx.query("SELECT id, deliveries FROM received", row -> {
                map.put(row.getString(1), row.getLong(2));
                return null;
            }));
            return map;
        }

        long deliveredMs(MessageId id) {
            return store.inTransaction(tx -> tx.queryLong("SELECT delivered_ms FROM received WHERE id = ?", id.value()));
        }

        boolean sendExpired(MessageId id) {
            return store.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM send_expired WHERE id = ?", id.value())) == 1;
        }

        String receivedSha256(MessageId id) {
            return store.inTransaction(tx -> tx.queryOne("SELECT body_sha256 FROM received WHERE id = ?",
                    row -> row.getString(1), id.value())).orElse(null);
        }

        long unsettled() {
            return store.inTransaction(tx -> tx.queryLong(
                    "SELECT COUNT(*) FROM out_message WHERE state NOT IN ('acked', 'expired')"));
        }

        long unackedFiles() {
            return store.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM out_file WHERE state IN ('sent', 'writing')"));
        }

        /**
         * Copies the node database as it is now, holding the writer lock so no commit is half in
         * it: with {@link #restoreDatabase}, what power loss at this moment would leave (the test
         * must make sure that nothing it relies on was forced after this).
         */
        void snapshotDatabase() throws IOException {
            store.sync();
            Path snapshot = stateDir.resolveSibling(stateDir.getFileName() + "-snapshot");
            java.nio.file.Files.createDirectories(snapshot);
            store.inTransaction(tx -> {
                for (String name : List.of("node.db", "node.db-wal", "node.db-shm")) {
                    Path file = stateDir.resolve(name);
                    if (java.nio.file.Files.exists(file)) {
                        java.nio.file.Files.copy(file, snapshot.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    } else {
                        java.nio.file.Files.deleteIfExists(snapshot.resolve(name));
                    }
                }
                return null;
            });
        }

        /** Puts back the database of {@link #snapshotDatabase}; the node must be stopped. */
        void restoreDatabase() throws IOException {
            Path snapshot = stateDir.resolveSibling(stateDir.getFileName() + "-snapshot");
            for (String name : List.of("node.db", "node.db-wal", "node.db-shm")) {
                Path copy = snapshot.resolve(name);
                if (java.nio.file.Files.exists(copy)) {
                    java.nio.file.Files.copy(copy, stateDir.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                } else {
                    java.nio.file.Files.deleteIfExists(stateDir.resolve(name));
                }
            }
        }

        /** Data files this node has numbered so far (acknowledged or not). */
        long dataFilesNumbered() {
            return store.inTransaction(tx -> tx.queryLong("SELECT out_next_seq - 1 FROM channel"));
        }

        void kill() throws IOException {
            transport.close();
            store.close();
        }

        @Override
        public void close() throws IOException {
            kill();
        }
    }

    /** Records each delivery with the body's digest; a second delivery of an id would show as deliveries = 2. */
    static final class Ledger implements ChannelListener {
        Ledger(Node node) {
        }

        @Override
        public void onMessage(StoreTx tx, NodeId peer, ReceivedMessage received) throws Exception {
            Message message = received.message();
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (InputStream in = message.body().open()) {
                byte[] buffer = new byte[65536];
                int n;
                while ((n = in.read(buffer)) != -1) {
                    digest.update(buffer, 0, n);
                }
            }
            int updated = tx.update("UPDATE received SET deliveries = deliveries + 1 WHERE id = ?", message.id().value());
            if (updated == 0) {
                tx.update("INSERT INTO received (id, peer, kind, body_sha256, body_length, deliveries, delivered_ms)"
                                + " VALUES (?, ?, ?, ?, ?, 1, ?)", message.id().value(), peer.value(), message.kind().wireName(),
                        HexFormat.of().formatHex(digest.digest()), message.body().length(), System.currentTimeMillis());
            }
        }

        @Override
        public void onSendExpired(StoreTx tx, NodeId peer, List<MessageId> ids) {
            ids.forEach(id -> tx.update("INSERT OR IGNORE INTO send_expired (id) VALUES (?)", id.value()));
        }
    }

    static boolean isData(MessageKind kind) {
        return kind == MessageKind.REQUEST || kind == MessageKind.RESPONSE || kind == MessageKind.STATUS;
    }

    @Override
    public void close() throws IOException {
        List<Closeable> all = new ArrayList<>();
        all.add(frontToBack);
        all.add(backToFront);
        all.add(front);
        all.add(back);
        IOException first = null;
        for (Closeable c : all) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (IOException | RuntimeException e) {
                first = first == null ? new IOException(e) : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
