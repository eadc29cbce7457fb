package io.hoft.transport.channel;

import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.KeyFiles;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;

/**
 * A node in its own JVM, for tests that kill processes: {@code NodeProcess ROLE ROOT COUNT}.
 * It sends COUNT numbered messages to its peer, each exactly once across restarts (the
 * {@code plan} table records which were handed to the transport, in the same transaction),
 * and records what it receives in the {@code received} ledger. It runs until killed.
 */
public final class NodeProcess {
    static final List<String> PLAN = List.of("CREATE TABLE plan (n INTEGER PRIMARY KEY, id TEXT NOT NULL)");

    public static void main(String[] args) throws Exception {
        String role = args[0];
        Path root = Path.of(args[1]);
        int count = Integer.parseInt(args[2]);
        String peerRole = role.equals("front") ? "back" : "front";
        NodeKeys own = KeyFiles.readNodeKeys(root.resolve("keys/" + role + ".jwks"));
        Keyring keyring = new Keyring(own, TrustList.of(KeyFiles.readPeerKeys(root.resolve("keys/" + peerRole + ".pub.jwks"))));
        NodeId peer = NodeId.of(peerRole);
        Path stateDir = root.resolve(role);
        NodeStore store = NodeStore.open(stateDir);
        store.migrate("ledger", LinkedPair.LEDGER);
        store.migrate("plan", PLAN);
        FolderLink link = new FolderLink(root.resolve("link/" + role + "-out"), root.resolve("link/" + role + "-in"),
                stateDir.resolve("tmp"), WatchMode.BOTH, Duration.ofMillis(100), Disk.REAL);
        ChannelConfig config = ChannelConfig.DEFAULT.withFastTimers().toBuilder().maxFileBytesAndCollation(4L * 1024 * 1024).build();
        LinkedPair.Ledger ledger = new LinkedPair.Ledger(null);
        Transport transport = Transport.builder().keyring(keyring).store(store).stateDir(stateDir).config(config)
                .listener(ledger).link(peer, link).build();
        transport.start();
        Random random = new Random(role.hashCode() ^ System.nanoTime());
        for (int n = 0; n < count; n++) {
            int number = n;
            if (store.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM plan WHERE n = ?", number)) > 0) {
                continue;
            }
            int size = n % 50 == 7 ? 5 * 1024 * 1024 + random.nextInt(1 << 20) : n % 10 == 3 ? 100_000 : random.nextInt(2000);
            byte[] body = new byte[size];
            new Random(n * 31L + role.hashCode()).nextBytes(body);
            Path file = null;
            if (size > 64 * 1024) {
                file = transport.bodies().newPath();
                Files.write(file, body);
                transport.bodies().force(file);
            }
            Instant now = Instant.now();
            Message message = new Message(MessageId.generate(Clock.systemUTC()), now, now.plus(Duration.ofHours(1)),
                    new Envelope.Request("POST", "/n/" + n, "api", List.of()), file == null ? Body.ofBytes(body) : Body.ofFile(file));
            store.inTransaction(tx -> {
                transport.send(tx, peer, message);
                tx.update("INSERT INTO plan (n, id) VALUES (?, ?)", number, message.id().value());
                return null;
            });
            Thread.sleep(random.nextInt(5));
        }
        System.out.println("all " + count + " messages handed over");
        Thread.sleep(Long.MAX_VALUE);
    }
}
