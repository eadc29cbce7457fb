package io.hoft.transport.channel;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.keys.NodeKeys;
import io.hoft.transport.keys.TrustList;
import io.hoft.transport.link.MirrorFaults;
import io.hoft.transport.link.WatchMode;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.spool.FileMode;
import io.hoft.transport.spool.OutgoingFrame;
import io.hoft.transport.spool.SendingSessions;
import io.hoft.transport.spool.SessionPolicy;
import io.hoft.transport.spool.SpoolFileWriter;
import io.hoft.transport.testing.TestNodes;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Forged and foreign files dropped into a live node's inbox: none is delivered, none is
 * answered (no nack, no ack state changes), and each is counted and quarantined or left
 * alone as designed.
 */
class SpoofingTest {
    @TempDir
    Path root;

    LinkedPair pair;
    Path backInbox;

    @BeforeEach
    void start() throws Exception {
        pair = new LinkedPair(root, ChannelConfig.DEFAULT.withFastTimers(), MirrorFaults.NONE, WatchMode.BOTH,
                Duration.ofMillis(100)).start();
        backInbox = root.resolve("link/back-in");
        // One real message first, so the back knows the front's epoch.
        pair.front.send("real".getBytes());
        await().atMost(Duration.ofSeconds(20)).until(() -> pair.back.received().size() == 1);
    }

    @AfterEach
    void stop() throws Exception {
        pair.close();
    }

    private long frontEpoch() {
        return pair.front.store.inTransaction(tx -> tx.queryLong("SELECT out_epoch FROM channel WHERE peer = 'back'"));
    }

    private Path forge(Keyring as, FileMode mode, long epoch, long seq, NodeId to) throws Exception {
        return forge(as, mode, epoch, seq, to, null);
    }

    /** A file written by {@code as}, keyed by {@code sessions} (version 2) or signed on its own (null). */
    private Path forge(Keyring as, FileMode mode, long epoch, long seq, NodeId to, SendingSessions sessions) throws Exception {
        Instant now = Instant.now();
        Message message = new Message(MessageId.generate(Clock.systemUTC()), now, now.plus(Duration.ofHours(1)),
                new Envelope.Request("DELETE", "/everything", "api", List.of()), Body.ofBytes("forged".getBytes()));
        SpoolFileWriter writer = new SpoolFileWriter(as, mode, SpoolFileWriter.Options.DEFAULT, Clock.systemUTC(), Disk.REAL,
                sessions);
        Path staging = Files.createTempDirectory(root, "forge");
        SpoolFileWriter.WrittenFile file = writer.write(new SpoolFileWriter.Address(to, epoch, seq),
                List.of(OutgoingFrame.whole(message)), staging);
        return writer.publish(file, staging);
    }

    private void drop(Path file) throws Exception {
        Files.move(file, backInbox.resolve(file.getFileName()));
    }

    private long quarantined() throws Exception {
        Path dir = root.resolve("back/quarantine");
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".hoft")).count();
        }
    }

    private void assertNothingDeliveredOrAnswered(long nacksBefore) {
        assertEquals(1, pair.back.received().size(), "only the real message was delivered");
        assertEquals(nacksBefore, pair.back.transport.metrics().total("hoft_nacks_sent_total"), "no nack was sent");
    }

    @Test
    void unsignedFileClaimingToBeFromFrontIsQuarantinedSilently() throws Exception {
        long nacks = pair.back.transport.metrics().total("hoft_nacks_sent_total");
        drop(forge(TestNodes.front(), FileMode.CHECKSUM_ONLY_UNAUTHENTICATED, frontEpoch(), 1000, TestNodes.BACK));
        await().atMost(Duration.ofSeconds(10)).until(() -> quarantined() == 1);
        assertEquals(1, pair.back.transport.metrics().get("hoft_files_quarantined_total", "reason", "spoofed"));
        assertNothingDeliveredOrAnswered(nacks);
    }

    @Test
    void fileSignedByAnUnknownKeyIsQuarantinedSilently() throws Exception {
        long nacks = pair.back.transport.metrics().total("hoft_nacks_sent_total");
        drop(forge(TestNodes.impostorFront(), FileMode.SIGNED_ENCRYPTED, frontEpoch(), 1000, TestNodes.BACK));
        await().atMost(Duration.ofSeconds(10)).until(() -> quarantined() == 1);
        assertEquals(1, pair.back.transport.metrics().get("hoft_files_quarantined_total", "reason", "spoofed"));
        assertNothingDeliveredOrAnswered(nacks);
    }

    @Test
    void fileOfASessionNobodyTrustsIsQuarantinedSilentlyLikeAForgedOne() throws Exception {
        long nacks = pair.back.transport.metrics().total("hoft_nacks_sent_total");
        Keyring impostor = TestNodes.impostorFront();
        drop(forge(impostor, FileMode.SIGNED_ENCRYPTED, frontEpoch(), 1000, TestNodes.BACK,
                new SendingSessions(impostor, SessionPolicy.DEFAULT)));
        await().atMost(Duration.ofSeconds(10)).until(() -> quarantined() == 1);
        assertEquals(1, pair.back.transport.metrics().get("hoft_files_quarantined_total", "reason", "spoofed"));
        assertNothingDeliveredOrAnswered(nacks);
    }

    @Test
    void validFileReplayedWithAnAlreadyReceivedSequenceIsDroppedAndOnlyReacked() throws Exception {
        long nacks = pair.back.transport.metrics().total("hoft_nacks_sent_total");
        drop(forge(TestNodes.front(), FileMode.SIGNED_ENCRYPTED, frontEpoch(), 1, TestNodes.BACK));
        await().atMost(Duration.ofSeconds(10)).until(() ->
                pair.back.transport.metrics().get("hoft_files_duplicate_total", "peer", "front") == 1);
        assertNothingDeliveredOrAnswered(nacks);
    }

    @Test
    void validFileFromAnOlderEpochIsDroppedAsStale() throws Exception {
        long nacks = pair.back.transport.metrics().total("hoft_nacks_sent_total");
        drop(forge(TestNodes.front(), FileMode.SIGNED_ENCRYPTED, frontEpoch() - 1, 5, TestNodes.BACK));
        await().atMost(Duration.ofSeconds(10)).until(() ->
                pair.back.transport.metrics().get("hoft_files_stale_total", "peer", "front") == 1);
        assertNothingDeliveredOrAnswered(nacks);
    }

    @Test
    void tamperedHeaderByteIsQuarantinedSilently() throws Exception {
        long nacks = pair.back.transport.metrics().total("hoft_nacks_sent_total");
        Path file = forge(TestNodes.front(), FileMode.SIGNED_ENCRYPTED, frontEpoch(), 1000, TestNodes.BACK);
        flip(file, 100);
        drop(file);
        await().atMost(Duration.ofSeconds(10)).until(() -> quarantined() == 1);
        assertNothingDeliveredOrAnswered(nacks);
    }

    @Test
    void tamperedPayloadOfAnAuthenticHeaderIsNackedButNotDelivered() throws Exception {
        Path file = forge(TestNodes.front(), FileMode.SIGNED_ENCRYPTED, frontEpoch(), 1000, TestNodes.BACK);
        flip(file, Files.size(file) - 5);
        drop(file);
        await().atMost(Duration.ofSeconds(10)).until(() ->
                pair.back.transport.metrics().get("hoft_files_damaged_total", "peer", "front", "reason", "corrupt") == 1);
        assertEquals(1, pair.back.received().size());
    }

    @Test
    void fileNamedForAnotherNodeIsLeftAlone() throws Exception {
        NodeKeys otherKeys = NodeKeys.generate(NodeId.of("other"), Instant.now());
        Keyring frontTrustingOther = new Keyring(TestNodes.frontKeys(), TrustList.of(TestNodes.backKeys().publicKeys(),
                otherKeys.publicKeys()));
        Path file = forge(frontTrustingOther, FileMode.SIGNED_ENCRYPTED, frontEpoch(), 1000, NodeId.of("other"));
        Path dropped = backInbox.resolve(file.getFileName());
        drop(file);
        Thread.sleep(1500); // several polls
        assertTrue(Files.exists(dropped), "another node's file stays where it is");
        assertEquals(0, quarantined());
    }

    @Test
    void fileRenamedToThisNodeButSignedForAnotherIsQuarantined() throws Exception {
        long nacks = pair.back.transport.metrics().total("hoft_nacks_sent_total");
        NodeKeys otherKeys = NodeKeys.generate(NodeId.of("other"), Instant.now());
        Keyring frontTrustingOther = new Keyring(TestNodes.frontKeys(), TrustList.of(TestNodes.backKeys().publicKeys(),
                otherKeys.publicKeys()));
        Path file = forge(frontTrustingOther, FileMode.SIGNED_ENCRYPTED, frontEpoch(), 1000, NodeId.of("other"));
        String renamed = file.getFileName().toString().replace("front_other_", "front_back_");
        Files.move(file, backInbox.resolve(renamed));
        await().atMost(Duration.ofSeconds(10)).until(() -> quarantined() == 1);
        assertEquals(1, pair.back.transport.metrics().get("hoft_files_quarantined_total", "reason", "misaddressed"));
        assertNothingDeliveredOrAnswered(nacks);
        assertFalse(Files.exists(backInbox.resolve(renamed)));
    }

    private static void flip(Path file, long position) throws Exception {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, position);
            one.put(0, (byte) (one.get(0) ^ 0x55));
            one.rewind();
            channel.write(one, position);
        }
        // Make the file look settled, so it is judged at once instead of waited for.
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(Instant.now().minusSeconds(60)));
    }
}
