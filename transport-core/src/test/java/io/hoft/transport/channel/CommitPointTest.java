package io.hoft.transport.channel;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.link.MirrorFaults;
import io.hoft.transport.link.WatchMode;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.testing.FaultyDisk;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The channel failed exactly at each of its commit points (Tape's "no commit for you"): the
 * rename of a file into the sender's store, the publish into the outbox, the database commit
 * on either side. After the fault heals, or after the node is closed and reopened on the same
 * state, every message arrives exactly once.
 */
class CommitPointTest {
    @TempDir
    Path root;

    private static final ChannelConfig CONFIG = ChannelConfig.DEFAULT.withFastTimers();

    private List<MessageId> sendSome(LinkedPair.Node node, int count, String tag) throws Exception {
        List<MessageId> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(node.send((tag + " " + i).getBytes()));
        }
        return ids;
    }

    private static void assertExactlyOnce(LinkedPair.Node receiver, List<MessageId> ids) {
        for (MessageId id : ids) {
            assertEquals(1L, receiver.received().getOrDefault(id.value(), 0L), "deliveries of " + id);
        }
    }

    @Test
    void renameIntoTheSendersStoreFailsThenHealsAndTheFileIsRebuiltWithItsSequenceNumber() throws Exception {
        FaultyDisk disk = new FaultyDisk();
        try (LinkedPair pair = new LinkedPair(root, CONFIG, MirrorFaults.NONE, WatchMode.BOTH, Duration.ofMillis(100))
                .start(node -> {
                    if (node.peer.value().equals("back")) {
                        node.transportDisk = disk;
                    }
                })) {
            disk.failMove();
            List<MessageId> ids = sendSome(pair.front, 10, "rename");
            await().atMost(Duration.ofSeconds(10)).until(() -> disk.failures() > 0);
            assertEquals(0, pair.back.received().size(), "nothing can leave while the store refuses files");
            disk.heal();
            await().atMost(Duration.ofSeconds(30)).until(() -> pair.back.received().size() == 10 && pair.front.unsettled() == 0);
            assertExactlyOnce(pair.back, ids);
            assertEquals(1L, (long) pair.front.store.inTransaction(tx -> tx.queryLong("SELECT MIN(seq) FROM out_file")),
                    "the interrupted file kept its sequence number: no gap");
        }
    }

    @Test
    void publishIntoTheOutboxFailsAndTheResendTimerDeliversTheStoredCopy() throws Exception {
        FaultyDisk disk = new FaultyDisk();
        try (LinkedPair pair = new LinkedPair(root, CONFIG, MirrorFaults.NONE, WatchMode.BOTH, Duration.ofMillis(100))
                .start(node -> {
                    if (node.peer.value().equals("back")) {
                        node.linkDisk = disk;
                    }
                })) {
            disk.failMove();
            List<MessageId> ids = sendSome(pair.front, 10, "publish");
            await().atMost(Duration.ofSeconds(10)).until(() -> pair.front.unackedFiles() > 0 && disk.failures() > 0);
            disk.heal();
            await().atMost(Duration.ofSeconds(30)).until(() -> pair.back.received().size() == 10 && pair.front.unsettled() == 0);
            assertExactlyOnce(pair.back, ids);
        }
    }

    @Test
    void databaseCommitsFailOnBothSidesForAWhileAndNothingIsLostOrDoubled() throws Exception {
        AtomicBoolean failing = new AtomicBoolean();
        AtomicInteger refused = new AtomicInteger();
        try (LinkedPair pair = new LinkedPair(root, CONFIG, MirrorFaults.NONE, WatchMode.BOTH, Duration.ofMillis(100)).start()) {
            for (LinkedPair.Node node : List.of(pair.front, pair.back)) {
                node.store.setCommitGate(() -> {
                    if (failing.get()) {
                        refused.incrementAndGet();
                        throw new SQLException("no commit for you");
                    }
                });
            }
            List<MessageId> toBack = sendSome(pair.front, 20, "before");
            List<MessageId> toFront = sendSome(pair.back, 20, "before back");
            failing.set(true);
            Thread.sleep(1500);
            failing.set(false);
            toBack.addAll(sendSome(pair.front, 20, "after"));
            await().atMost(Duration.ofSeconds(60)).until(() -> pair.back.received().size() == 40
                    && pair.front.received().size() == 20 && pair.front.unsettled() == 0 && pair.back.unsettled() == 0);
            assertTrue(refused.get() > 0, "commits were refused while failing");
            assertExactlyOnce(pair.back, toBack);
            assertExactlyOnce(pair.front, toFront);
        }
    }

    @Test
    void messagesInAnOpenFileWhenTheSenderStopsAreSentAfterItsRestartUnderTheNumberTheyWereGiven() throws Exception {
        FaultyDisk disk = new FaultyDisk();
        try (LinkedPair pair = new LinkedPair(root, CONFIG, MirrorFaults.NONE, WatchMode.BOTH, Duration.ofMillis(100))
                .start(node -> {
                    if (node.peer.value().equals("back")) {
                        node.transportDisk = disk;
                    }
                })) {
            disk.failCreate(); // the lane cannot write a single file: the messages stay in their reserved files
            List<MessageId> ids = sendSome(pair.front, 10, "open");
            await().atMost(Duration.ofSeconds(10)).until(() -> disk.failures() > 0);
            long reserved = pair.front.store.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM out_file WHERE state = 'open'"));
            assertTrue(reserved >= 1 && reserved == pair.front.dataFilesNumbered(), "the accepting commits reserved the files");
            assertEquals(10L, (long) pair.front.store.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM out_file_frame")));
            pair.front.kill();
            pair.front.transportDisk = io.hoft.transport.fs.Disk.REAL;
            pair.front.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> pair.back.received().size() == 10 && pair.front.unsettled() == 0);
            assertExactlyOnce(pair.back, ids);
            assertEquals(reserved, pair.front.dataFilesNumbered(), "the reserved numbers were used, and no other");
        }
    }

    @Test
    void afterAMachineRebootEveryUnacknowledgedFileIsRebuiltSoCopiesDamagedByPowerLossNeverGoOut() throws Exception {
        try (LinkedPair pair = new LinkedPair(root, CONFIG, MirrorFaults.NONE, WatchMode.BOTH, Duration.ofMillis(100)).start()) {
            pair.back.kill(); // nothing is acknowledged
            List<MessageId> ids = sendSome(pair.front, 12, "reboot");
            await().atMost(Duration.ofSeconds(10)).until(() -> pair.front.unackedFiles() > 0
                    && pair.front.store.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM out_file WHERE state <> 'sent'")) == 0);
            pair.front.kill();
            // What power loss can do to files written without a force: the stored copies and the
            // copies in the outbox are cut short.
            Path sent = pair.front.stateDir.resolve("sent").resolve("back");
            for (Path folder : List.of(sent, pair.front.outbox)) {
                try (var files = java.nio.file.Files.newDirectoryStream(folder, "*.hoft")) {
                    for (Path file : files) {
                        try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
                            channel.truncate(channel.size() / 2);
                        }
                    }
                }
            }
            pair.front.bootId = () -> java.util.Optional.of("a-later-boot");
            pair.front.start();
            pair.back.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> pair.back.received().size() == 12 && pair.front.unsettled() == 0);
            assertExactlyOnce(pair.back, ids);
        }
    }

    @Test
    void aReceiptThatPowerLossTookBackWasNeverAcknowledgedSoTheSenderSendsItAgainAndItIsDeliveredOnce() throws Exception {
        try (LinkedPair pair = new LinkedPair(root, CONFIG, MirrorFaults.NONE, WatchMode.BOTH, Duration.ofMillis(100)).start()) {
            sendSome(pair.front, 1, "warm-up"); // both channels known
            await().atMost(Duration.ofSeconds(20)).until(() -> pair.back.received().size() == 1 && pair.front.unsettled() == 0);
            pair.back.snapshotDatabase();
            // From here the back's disk takes nothing: the receipt commits (it needs no force), and
            // the ack of it must wait for a force that never ends, like a machine losing power;
            // when the test has seen enough, the waiting forces fail and the node is stopped.
            AtomicBoolean powerLost = new AtomicBoolean(true);
            java.util.concurrent.CountDownLatch machineGone = new java.util.concurrent.CountDownLatch(1);
            pair.back.store.setBeforeSync(() -> {
                if (powerLost.get()) {
                    try {
                        machineGone.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw new java.io.UncheckedIOException(new java.io.IOException("power lost"));
                }
            });
            long delivered = pair.back.transport.metrics().total("hoft_messages_delivered_total");
            List<MessageId> ids;
            try {
                ids = sendSome(pair.front, 3, "lost receipt");
                await().atMost(Duration.ofSeconds(20)).until(
                        () -> pair.back.transport.metrics().total("hoft_messages_delivered_total") == delivered + 3);
                Thread.sleep(1500); // time for an ack to go out, if one could
                assertEquals(3L, pair.front.unsettled(), "no ack left the back for receipts that were not on disk");
            } finally {
                machineGone.countDown();
            }
            pair.back.kill();
            pair.back.restoreDatabase();
            powerLost.set(false);
            pair.back.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> pair.back.received().size() == 4 && pair.front.unsettled() == 0);
            assertExactlyOnce(pair.back, ids);
        }
    }

    @Test
    void aSentMarkThatPowerLossTookBackMakesTheFileBeRebuiltUnderItsNumberAndTheReceiverDropsTheSecondCopy() throws Exception {
        try (LinkedPair pair = new LinkedPair(root, CONFIG, MirrorFaults.NONE, WatchMode.BOTH, Duration.ofMillis(100)).start()) {
            List<MessageId> ids = sendSome(pair.front, 3, "marked");
            await().atMost(Duration.ofSeconds(20)).until(() -> pair.back.received().size() == 3);
            pair.back.kill(); // no ack reaches the front before it has sent its rebuilt files
            pair.front.kill();
            // The files went out, but the commits after the accepting ones (the mark that they
            // were sent, the acks that settled them) were not forced, and power loss took them back.
            pair.front.store = io.hoft.transport.store.NodeStore.open(pair.front.stateDir);
            long reopened = pair.front.store.inTransaction(tx -> {
                tx.update("UPDATE out_message SET state = 'sent', settled_ms = NULL WHERE kind = 'request'");
                tx.update("UPDATE out_backlog SET messages = 3");
                return tx.update("UPDATE out_file SET state = 'open', name = '', attempts = 0 WHERE lane = 0");
            });
            pair.front.store.close();
            assertTrue(reopened >= 1, "data files to rebuild");
            pair.front.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> pair.front.store.inTransaction(
                    tx -> tx.queryLong("SELECT COUNT(*) FROM out_file WHERE state = 'sent'")) == reopened);
            pair.back.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> pair.front.unsettled() == 0
                    && pair.back.transport.metrics().total("hoft_files_duplicate_total") >= reopened);
            assertExactlyOnce(pair.back, ids);
            assertEquals(reopened, pair.front.dataFilesNumbered(), "rebuilt under the numbers they had");
        }
    }

    @Test
    void receiverClosedWhileItsCommitsFailIsReopenedAndDeliversEverythingOnce() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(true);
        try (LinkedPair pair = new LinkedPair(root, CONFIG, MirrorFaults.NONE, WatchMode.BOTH, Duration.ofMillis(100)).start()) {
            pair.back.store.setCommitGate(() -> {
                if (failing.get()) {
                    throw new SQLException("no commit for you");
                }
            });
            List<MessageId> ids = sendSome(pair.front, 15, "reopen");
            Thread.sleep(1500); // files arrive and fail to commit
            pair.back.kill();
            failing.set(false);
            pair.back.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> pair.back.received().size() == 15 && pair.front.unsettled() == 0);
            assertExactlyOnce(pair.back, ids);
        }
    }

    @Test
    void aMessageSentWhileItsBodyArrivesThatTheNodeStoppedBeforeAcceptingIsGivenUpAtTheNextStart() throws Exception {
        ChannelConfig small = CONFIG.toBuilder().maxFileBytesAndCollation(4L << 20).build();
        long per = small.fragmentBodyBytes();
        try (LinkedPair pair = new LinkedPair(root, small, MirrorFaults.NONE, WatchMode.BOTH, Duration.ofMillis(100)).start()) {
            // two slices of a three-slice body are in and forced: their fragments may leave
            Path file = pair.front.transport.bodies().newPath();
            java.nio.file.Files.write(file, new byte[(int) (2 * per)]);
            pair.front.transport.bodies().force(file);
            java.time.Instant now = java.time.Instant.now();
            io.hoft.transport.message.Message message = new io.hoft.transport.message.Message(
                    MessageId.generate(java.time.Clock.systemUTC()), now, now.plus(Duration.ofHours(1)),
                    new io.hoft.transport.message.Envelope.Request("PUT", "/big", "api", List.of()),
                    io.hoft.transport.message.Body.ofFile(file, 3 * per));
            boolean growing = pair.front.store.inTransaction(tx -> pair.front.transport.sendGrowing(tx, pair.front.peer, message));
            assertTrue(growing);
            pair.front.transport.grown(pair.front.peer, message.id(), 2 * per);
            await().atMost(Duration.ofSeconds(30)).until(() -> pair.front.dataFilesNumbered() == 2);

            // The node stops before the message was accepted (no completeGrowing, no cancelGrowing).
            pair.front.kill();
            pair.front.start();
            assertEquals("expired", pair.front.store.inTransaction(tx -> tx.queryOne("SELECT state FROM out_message WHERE id = ?",
                    row -> row.getString(1), message.id().value())).orElseThrow(), "given up at the start");
            assertTrue(java.nio.file.Files.notExists(file), "its body went with it");

            List<MessageId> after = sendSome(pair.front, 3, "after");
            await().atMost(Duration.ofSeconds(30)).until(() -> pair.back.received().size() == 3 && pair.front.unsettled() == 0);
            assertExactlyOnce(pair.back, after);
            assertEquals(0L, pair.back.received().getOrDefault(message.id().value(), 0L), "never delivered");
        }
    }
}
