package io.hoft.transport.channel;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.link.Mirror;
import io.hoft.transport.link.MirrorFaults;
import io.hoft.transport.link.WatchMode;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.StoreException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChannelBehaviourTest {
    @TempDir
    Path root;

    private static final MirrorFaults LOSE_EVERYTHING =
            new MirrorFaults(1.0, 0, 0, 0, 0, Duration.ZERO, Duration.ZERO, 1);

    @Test
    void aFullQueueRefusesTheMessageAndStoresNothingOfTheCallersTransaction() throws Exception {
        ChannelConfig config = ChannelConfig.DEFAULT.withFastTimers().toBuilder().maxQueuedMessages(5).build();
        try (LinkedPair pair = new LinkedPair(root, config, LOSE_EVERYTHING, WatchMode.BOTH, Duration.ofMillis(100)).start()) {
            for (int i = 0; i < 5; i++) {
                pair.front.send(("m" + i).getBytes());
            }
            pair.front.store.migrate("caller", List.of("CREATE TABLE calls (id TEXT PRIMARY KEY)"));
            io.hoft.transport.message.Message sixth = io.hoft.transport.message.Message.of(
                    MessageId.generate(java.time.Clock.systemUTC()), java.time.Instant.now(),
                    java.time.Instant.now().plusSeconds(60),
                    new io.hoft.transport.message.Envelope.Request("GET", "/6", "api", List.of()));
            StoreException refused = assertThrows(StoreException.class, () -> pair.front.store.inTransaction(tx -> {
                tx.update("INSERT INTO calls (id) VALUES ('call-6')");
                pair.front.transport.send(tx, pair.front.peer, sixth);
                return null;
            }));
            assertTrue(refused.getCause() instanceof ChannelFullException, refused.toString());
            assertEquals(0L, (long) pair.front.store.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM calls")));
            assertEquals(5L, (long) pair.front.store.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM out_message")));
        }
    }

    @Test
    void aBurstOfConcurrentlySentMessagesTravelsInFarFewerFilesThanMessages() throws Exception {
        int burst = 64;
        try (LinkedPair pair = new LinkedPair(root, ChannelConfig.DEFAULT.withFastTimers(), MirrorFaults.NONE, WatchMode.BOTH,
                Duration.ofMillis(100)).start()) {
            List<MessageId> ids = java.util.Collections.synchronizedList(new ArrayList<>());
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.ExecutorService senders = java.util.concurrent.Executors.newFixedThreadPool(burst);
            try {
                List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
                for (int i = 0; i < burst; i++) {
                    byte[] body = ("burst " + i).getBytes();
                    sent.add(senders.submit(() -> {
                        go.await();
                        ids.add(pair.front.send(body));
                        return null;
                    }));
                }
                go.countDown();
                for (java.util.concurrent.Future<?> f : sent) {
                    f.get();
                }
            } finally {
                senders.shutdownNow();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> pair.back.received().size() == burst && pair.front.unsettled() == 0);
            for (MessageId id : ids) {
                assertEquals(1L, pair.back.received().get(id.value()), "deliveries of " + id);
            }
            long files = pair.front.dataFilesNumbered();
            assertTrue(files <= burst / 4, burst + " messages sent at once took " + files + " files");
        }
    }

    @Test
    void smallMessagesOvertakeALargeBodyInTheBulkLane() throws Exception {
        ChannelConfig config = ChannelConfig.DEFAULT.withFastTimers().toBuilder()
                .maxFileBytesAndCollation(32L * 1024 * 1024).build();
        try (LinkedPair pair = new LinkedPair(root, config, MirrorFaults.NONE, WatchMode.BOTH, Duration.ofMillis(100)).start()) {
            Path big = ChaosTest.randomFile(root.resolve("big"), 160L * 1024 * 1024, new Random(1));
            MessageId large = pair.front.send(Body.ofFile(big));
            List<MessageId> small = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                small.add(pair.front.send(("small " + i).getBytes()));
            }
            await().atMost(Duration.ofMinutes(2)).until(() -> pair.back.received().size() == 21);
            long largeAt = pair.back.deliveredMs(large);
            for (MessageId id : small) {
                assertTrue(pair.back.deliveredMs(id) < largeAt, "small message " + id + " waited for the large body");
            }
            assertEquals(ChaosTest.sha256(big), pair.back.receivedSha256(large));
        }
    }

    @Test
    void aMessageThatExpiresUnacknowledgedIsReportedToTheSenderAndNeverDelivered() throws Exception {
        ChannelConfig config = ChannelConfig.DEFAULT.withFastTimers().toBuilder()
                .resend(new Backoff(Duration.ofMillis(300), 1.5, Duration.ofSeconds(1), 0.1)).build();
        try (LinkedPair pair = new LinkedPair(root, config, LOSE_EVERYTHING, WatchMode.BOTH, Duration.ofMillis(100)).start()) {
            MessageId id = pair.front.send("short-lived".getBytes(), Duration.ofSeconds(2));
            await().atMost(Duration.ofSeconds(20)).until(() -> pair.front.sendExpired(id));
            assertEquals(0, pair.front.unsettled());
            assertEquals(0, pair.front.unackedFiles(), "the abandoned file is no longer resent");
            assertTrue(pair.back.received().isEmpty());
        }
    }

    @Test
    void aFileThatArrivesAfterItsMessagesExpiredIsAcknowledgedButNotDelivered() throws Exception {
        MirrorFaults slow = new MirrorFaults(0, 0, 0, 0, 0, Duration.ofSeconds(3), Duration.ZERO, 1);
        try (LinkedPair pair = new LinkedPair(root, ChannelConfig.DEFAULT.withFastTimers(), slow, WatchMode.BOTH,
                Duration.ofMillis(100)).start()) {
            pair.front.send("too late".getBytes(), Duration.ofSeconds(1));
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    pair.back.transport.metrics().total("hoft_files_expired_total") >= 1 && pair.front.unackedFiles() == 0);
            assertTrue(pair.back.received().isEmpty());
        }
    }

    @Test
    void linkHealthGoesFromUpToLateToDownWhenThePeerFallsSilent() throws Exception {
        ChannelConfig config = ChannelConfig.DEFAULT.withFastTimers().toBuilder()
                .heartbeatInterval(Duration.ofMillis(300)).lateAfter(Duration.ofSeconds(1)).downAfter(Duration.ofSeconds(2))
                .build();
        try (LinkedPair pair = new LinkedPair(root, config, MirrorFaults.NONE, WatchMode.BOTH, Duration.ofMillis(100)).start()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> pair.front.transport.health().get(0).state() == LinkState.UP);
            pair.back.kill();
            await().atMost(Duration.ofSeconds(10)).until(() -> pair.front.transport.health().get(0).state() == LinkState.LATE);
            await().atMost(Duration.ofSeconds(10)).until(() -> pair.front.transport.health().get(0).state() == LinkState.DOWN);
            pair.back.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> pair.front.transport.health().get(0).state() == LinkState.UP);
        }
    }

    @Test
    void aCopyingMirrorDeliversEachMessageOnceAndTheOutboxEmptiesOnAck() throws Exception {
        try (LinkedPair pair = new LinkedPair(root, ChannelConfig.DEFAULT.withFastTimers(), MirrorFaults.NONE, WatchMode.BOTH,
                Duration.ofMillis(100)).mirrors(Mirror.Mode.COPY, false).start()) {
            for (int i = 0; i < 30; i++) {
                pair.front.send(("copied " + i).getBytes());
                pair.back.send(("copied back " + i).getBytes());
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> pair.back.received().size() == 30
                    && pair.front.received().size() == 30 && pair.front.unsettled() == 0 && pair.back.unsettled() == 0);
            pair.back.received().values().forEach(n -> assertEquals(1L, n));
            await().atMost(Duration.ofSeconds(10)).until(() -> dataFiles(root.resolve("link/front-out")) == 0);
        }
    }

    @Test
    void aMirrorThatWritesFilesInPlaceSlowlyIsWaitedForNotNacked() throws Exception {
        try (LinkedPair pair = new LinkedPair(root, ChannelConfig.DEFAULT.withFastTimers(), MirrorFaults.NONE, WatchMode.BOTH,
                Duration.ofMillis(50)).mirrors(Mirror.Mode.MOVE, true).start()) {
            Random random = new Random(5);
            for (int i = 0; i < 5; i++) {
                byte[] body = new byte[3 * 1024 * 1024];
                random.nextBytes(body);
                pair.front.send(body);
            }
            await().atMost(Duration.ofMinutes(1)).until(() -> pair.back.received().size() == 5 && pair.front.unsettled() == 0);
            pair.back.received().values().forEach(n -> assertEquals(1L, n));
            assertEquals(0, pair.back.transport.metrics().total("hoft_files_damaged_total"), "no file was judged while arriving");
            assertFalse(Files.exists(root.resolve("back/quarantine")) && dataFiles(root.resolve("back/quarantine")) > 0);
        }
    }

    private static long dataFiles(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".hoft") && !f.getFileName().toString().contains("_ctl"))
                    .count();
        }
    }
}
