package io.hoft.transport.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Group commit: what a commit promises when it returns, and that concurrent commits share a sync. */
class NodeStoreTest {
    @TempDir
    Path dir;

    @Test
    void everyCommitThatReturnedSurvivesKillMinus9AtTheCommitPoint() throws Exception {
        for (int attempt = 0; attempt < 3; attempt++) {
            Path state = dir.resolve("state" + attempt);
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    CommitChild.class.getName(), state.toString()).redirectErrorStream(true).start();
            long lastReported = 0;
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                long killAfter = 200 + 150L * attempt;
                for (String line; (line = lines.readLine()) != null; ) {
                    if (!line.startsWith("committed ")) {
                        continue;
                    }
                    lastReported = Long.parseLong(line.substring("committed ".length()));
                    if (lastReported >= killAfter) {
                        // The moment the child reported a commit: it is in its next commit, so the
                        // kill lands at or around the commit point.
                        child.destroyForcibly(); // SIGKILL
                        break;
                    }
                }
            } finally {
                child.destroyForcibly();
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            }
            assertTrue(lastReported > 0, "the child never committed");
            try (NodeStore store = NodeStore.open(state)) {
                long reported = lastReported;
                long count = store.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM item WHERE n <= ?", reported));
                long max = store.inTransaction(tx -> tx.queryLong("SELECT COALESCE(MAX(n), 0) FROM item"));
                assertEquals(lastReported, count, "every row whose commit returned is there after kill -9");
                // The child may be a few commits ahead of the line the kill followed (the pipe
                // lags), but what is there has no holes: a commit is all there or not at all.
                long all = store.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM item"));
                assertTrue(max >= lastReported, "rows up to " + lastReported + " were reported, the highest is " + max);
                assertEquals(max, all, "rows 1.." + max + " without holes");
                assertEquals("ok", store.inTransaction(tx -> tx.queryOne("PRAGMA integrity_check", row -> row.getString(1))).orElseThrow());
            }
        }
    }

    @Test
    void aCommitReturnsAndRunsItsAfterCommitActionsOnlyOnceTheLogWasForcedAfterIt() throws Exception {
        try (NodeStore store = NodeStore.open(dir)) {
            store.migrate("t", List.of("CREATE TABLE item (n INTEGER PRIMARY KEY)"));
            List<String> events = Collections.synchronizedList(new ArrayList<>());
            store.setBeforeSync(() -> events.add("force"));
            store.inTransaction(tx -> {
                tx.update("INSERT INTO item (n) VALUES (1)");
                tx.afterCommit(() -> events.add("after-commit"));
                events.add("work");
                return null;
            });
            events.add("returned");
            assertEquals(List.of("work", "force", "after-commit", "returned"), events);
        }
    }

    @Test
    void concurrentCommitsShareOneSync() throws Exception {
        try (NodeStore store = NodeStore.open(dir)) {
            store.migrate("t", List.of("CREATE TABLE item (n INTEGER PRIMARY KEY)"));
            int writers = 8;
            long before = store.syncCount();
            long committedBefore = store.committedCount();
            // The first force is held until every other writer has committed behind it; then one
            // more force must cover all of them.
            CountDownLatch firstSyncStarted = new CountDownLatch(1);
            AtomicBoolean first = new AtomicBoolean(true);
            store.setBeforeSync(() -> {
                if (first.getAndSet(false)) {
                    firstSyncStarted.countDown();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    while (store.committedCount() < committedBefore + writers && System.nanoTime() < deadline) {
                        Thread.onSpinWait();
                    }
                }
            });
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            try {
                List<Future<?>> done = new ArrayList<>();
                done.add(pool.submit(() -> insert(store, 1)));
                assertTrue(firstSyncStarted.await(10, TimeUnit.SECONDS));
                for (int i = 2; i <= writers; i++) {
                    int n = i;
                    done.add(pool.submit(() -> insert(store, n)));
                }
                for (Future<?> f : done) {
                    f.get(30, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(writers, store.committedCount() - committedBefore);
            assertEquals(2, store.syncCount() - before, "8 commits, 2 forces: the second covered 7 commits");
        }
    }

    @Test
    void manyThreadsCommittingAtOnceTakeFewerSyncsThanCommits() throws Exception {
        try (NodeStore store = NodeStore.open(dir)) {
            store.migrate("t", List.of("CREATE TABLE item (n INTEGER PRIMARY KEY)"));
            // Each force takes a while (as on a slow disk), so commits pile up behind it.
            store.setBeforeSync(() -> sleep(5));
            AtomicLong next = new AtomicLong();
            long before = store.syncCount();
            ExecutorService pool = Executors.newFixedThreadPool(16);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 20; i++) {
                        insert(store, next.incrementAndGet());
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            long syncs = store.syncCount() - before;
            assertEquals(320L, (long) store.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM item")));
            assertTrue(syncs < 320 / 4, "320 commits took " + syncs + " syncs");
        }
    }

    @Test
    void aReadOnlyTransactionTakesNoSyncOfItsOwn() throws Exception {
        try (NodeStore store = NodeStore.open(dir)) {
            store.migrate("t", List.of("CREATE TABLE item (n INTEGER PRIMARY KEY)"));
            insert(store, 1);
            long before = store.syncCount();
            for (int i = 0; i < 10; i++) {
                assertEquals(1L, (long) store.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM item")));
            }
            assertEquals(before, store.syncCount());
        }
    }

    @Test
    void anInterruptedCommitterStillMakesItsCommitDurableAndKeepsTheInterrupt() throws Exception {
        try (NodeStore store = NodeStore.open(dir)) {
            store.migrate("t", List.of("CREATE TABLE item (n INTEGER PRIMARY KEY)"));
            long before = store.syncCount();
            Thread.currentThread().interrupt();
            try {
                insert(store, 1);
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is kept for the caller");
            } finally {
                Thread.interrupted();
            }
            assertEquals(before + 1, store.syncCount(), "the force ran despite the interrupt");
            // and the store still works (an interrupted FileChannel would have been closed)
            insert(store, 2);
            assertEquals(2L, (long) store.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM item")));
        }
    }

    @Test
    void anInterruptThatArrivesDuringTheForceNeitherLosesTheCommitNorBreaksTheStore() throws Exception {
        try (NodeStore store = NodeStore.open(dir)) {
            store.migrate("t", List.of("CREATE TABLE item (n INTEGER PRIMARY KEY)"));
            AtomicBoolean first = new AtomicBoolean(true);
            // interrupted just before the force: FileChannel.force then closes the channel and throws
            store.setBeforeSync(() -> {
                if (first.getAndSet(false)) {
                    Thread.currentThread().interrupt();
                }
            });
            long before = store.syncCount();
            try {
                insert(store, 1);
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is kept for the caller");
            } finally {
                Thread.interrupted();
            }
            assertEquals(before + 1, store.syncCount(), "forced again after the interrupt");
            insert(store, 2);
            assertEquals(2L, (long) store.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM item")));
        }
    }

    @Test
    void aFailedForceFailsTheCommitAndEveryLaterTransaction() throws Exception {
        try (NodeStore store = NodeStore.open(dir)) {
            store.migrate("t", List.of("CREATE TABLE item (n INTEGER PRIMARY KEY)"));
            store.setBeforeSync(() -> {
                throw new java.io.UncheckedIOException(new java.io.IOException("disk gone"));
            });
            AtomicBoolean ran = new AtomicBoolean();
            assertThrows(RuntimeException.class, () -> store.inTransaction(tx -> {
                tx.update("INSERT INTO item (n) VALUES (1)");
                tx.afterCommit(() -> ran.set(true));
                return null;
            }));
            assertFalse(ran.get(), "no after-commit action for a commit that is not known durable");
            store.setBeforeSync(() -> { });
            assertThrows(StoreException.class, () -> insert(store, 2));
        }
    }

    @Test
    void aDurableLaterTransactionTakesNoSyncAndTheNextDurableCommitCoversIt() throws Exception {
        try (NodeStore store = NodeStore.open(dir)) {
            store.migrate("t", List.of("CREATE TABLE item (n INTEGER PRIMARY KEY)"));
            long before = store.syncCount();
            store.inTransactionDurableLater(tx -> tx.update("INSERT INTO item (n) VALUES (1)"));
            assertEquals(before, store.syncCount(), "no force of its own");
            List<String> events = Collections.synchronizedList(new ArrayList<>());
            store.setBeforeSync(() -> events.add("force"));
            // a reader that saw it waits until it is on disk, like the next writer does
            assertEquals(1L, (long) store.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM item")));
            assertEquals(List.of("force"), events);
        }
    }

    @Test
    void aDurableLaterReadDoesNotWaitForTheDisk() throws Exception {
        try (NodeStore store = NodeStore.open(dir)) {
            store.migrate("t", List.of("CREATE TABLE item (n INTEGER PRIMARY KEY)"));
            store.inTransactionDurableLater(tx -> tx.update("INSERT INTO item (n) VALUES (1)"));
            long before = store.syncCount();
            assertEquals(1L, (long) store.inTransactionDurableLater(tx -> tx.queryLong("SELECT COUNT(*) FROM item")));
            assertEquals(before, store.syncCount(), "the node's own read needs nothing on disk");
            store.sync();
            assertEquals(before + 1, store.syncCount(), "sync forces what is not on disk yet");
            store.sync();
            assertEquals(before + 1, store.syncCount(), "and nothing when everything is");
        }
    }

    @Test
    void onCommitActionsRunBeforeTheForceAndAfterCommitActionsAfterIt() throws Exception {
        try (NodeStore store = NodeStore.open(dir)) {
            store.migrate("t", List.of("CREATE TABLE item (n INTEGER PRIMARY KEY)"));
            List<String> events = Collections.synchronizedList(new ArrayList<>());
            store.setBeforeSync(() -> events.add("force"));
            store.inTransaction(tx -> {
                tx.update("INSERT INTO item (n) VALUES (1)");
                tx.afterCommit(() -> events.add("after"));
                tx.onCommit(() -> events.add("on"));
                return null;
            });
            assertEquals(List.of("on", "force", "after"), events);
        }
    }

    @Test
    void aDurableLaterTransactionWithAfterCommitActionsIsForcedBeforeThemAndOnCommitActionsAreNot() throws Exception {
        try (NodeStore store = NodeStore.open(dir)) {
            store.migrate("t", List.of("CREATE TABLE item (n INTEGER PRIMARY KEY)"));
            List<String> events = Collections.synchronizedList(new ArrayList<>());
            store.setBeforeSync(() -> events.add("force"));
            store.inTransactionDurableLater(tx -> {
                tx.update("INSERT INTO item (n) VALUES (1)");
                tx.onCommit(() -> events.add("on"));
                return null;
            });
            assertEquals(List.of("on"), events, "no force for on-commit actions");
            store.inTransactionDurableLater(tx -> {
                tx.update("INSERT INTO item (n) VALUES (2)");
                tx.afterCommit(() -> events.add("after"));
                return null;
            });
            assertEquals(List.of("on", "force", "after"), events);
        }
    }

    private static void insert(NodeStore store, long n) {
        store.inTransaction(tx -> tx.update("INSERT INTO item (n) VALUES (?)", n));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
