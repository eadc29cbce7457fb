package io.hoft.transport.channel;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.fs.Disk;
import io.hoft.transport.link.MirrorFaults;
import io.hoft.transport.link.WatchMode;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.spool.FileMode;
import io.hoft.transport.spool.OutgoingFrame;
import io.hoft.transport.spool.SpoolFileWriter;
import io.hoft.transport.testing.TestNodes;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Things in a live node's inbox under a spool file's name that are not regular files: a named
 * pipe (made with {@code mkfifo}), a folder, symbolic links to a pipe and to a genuine spool file
 * elsewhere. None is opened, moved or followed; each is reported once; and the node keeps
 * receiving: a real message sent afterwards is delivered.
 */
class InboxStrayEntriesTest {
    @TempDir
    Path root;

    LinkedPair pair;
    Path backInbox;
    String epoch;

    @BeforeEach
    void start() throws Exception {
        pair = new LinkedPair(root, ChannelConfig.DEFAULT.withFastTimers(), MirrorFaults.NONE, WatchMode.BOTH,
                Duration.ofMillis(100)).start();
        backInbox = root.resolve("link/back-in");
        pair.front.send("first".getBytes());
        await().atMost(Duration.ofSeconds(20)).until(() -> pair.back.received().size() == 1);
        long frontEpoch = pair.front.store.inTransaction(tx -> tx.queryLong("SELECT out_epoch FROM channel WHERE peer = 'back'"));
        epoch = String.format("%013d", frontEpoch);
    }

    @AfterEach
    void stop() throws Exception {
        pair.close();
    }

    /** A spool file name from front to back far beyond any seq the test sends. */
    private Path spoolName(int seq) {
        return backInbox.resolve("front_back_" + epoch + "_" + String.format("%012d", 1000 + seq) + "_req.hoft");
    }

    private long skipped(String kind) {
        return pair.back.transport.metrics().get("hoft_inbox_skipped_total", "kind", kind);
    }

    private void assertStillServing() throws Exception {
        int before = pair.back.received().size();
        pair.front.send("after".getBytes());
        await().atMost(Duration.ofSeconds(20)).until(() -> pair.back.received().size() == before + 1);
    }

    /** Reported once, and still once after many more scans (the inbox is polled every 100 ms). */
    private void assertReportedOnce(String kind) {
        await().atMost(Duration.ofSeconds(10)).until(() -> skipped(kind) == 1);
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> skipped(kind) == 1);
    }

    @Test
    void namedPipeWithASpoolFileNameIsSkippedWithoutBlockingTheReceiver() throws Exception {
        Path fifo = spoolName(1);
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor());

        assertReportedOnce("other");
        assertStillServing();
        assertTrue(Files.exists(fifo, LinkOption.NOFOLLOW_LINKS), "the pipe is left where it is");
        assertFalse(Files.isRegularFile(fifo, LinkOption.NOFOLLOW_LINKS));
        assertEquals(0, pair.back.transport.metrics().total("hoft_files_quarantined_total"));
    }

    @Test
    void folderWithASpoolFileNameIsReportedOnceAndLeftAlone() throws Exception {
        Path folder = Files.createDirectory(spoolName(2));
        Files.writeString(folder.resolve("inside"), "x");

        assertReportedOnce("directory");
        assertStillServing();
        assertTrue(Files.isDirectory(folder));
        assertTrue(Files.exists(folder.resolve("inside")));
    }

    @Test
    void symbolicLinksAreNeverFollowedNeitherToAPipeNorToAGenuineFileElsewhere() throws Exception {
        Path elsewhere = Files.createDirectories(root.resolve("elsewhere"));
        Path fifo = elsewhere.resolve("pipe");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        Files.createSymbolicLink(spoolName(3), fifo);
        // A real file front signed for back, outside the inbox: reachable only through the link.
        Path genuine = forge(1_000_004);
        Path link = backInbox.resolve(genuine.getFileName());
        Files.createSymbolicLink(link, genuine);

        await().atMost(Duration.ofSeconds(10)).until(() -> skipped("symlink") == 2);
        assertStillServing();
        assertEquals(2, pair.back.received().size(), "the file behind the link was not delivered");
        assertTrue(Files.isSymbolicLink(link) && Files.exists(genuine), "neither the link nor its target was moved");
        assertEquals(0, pair.back.transport.metrics().total("hoft_files_quarantined_total"));
    }

    private Path forge(long seq) throws Exception {
        Instant now = Instant.now();
        Message message = new Message(MessageId.generate(Clock.systemUTC()), now, now.plus(Duration.ofHours(1)),
                new Envelope.Request("POST", "/x", "api", List.of()), Body.ofBytes("behind a link".getBytes()));
        SpoolFileWriter writer = new SpoolFileWriter(TestNodes.front(), FileMode.SIGNED_ENCRYPTED, SpoolFileWriter.Options.DEFAULT,
                Clock.systemUTC(), Disk.REAL);
        Path staging = Files.createTempDirectory(root, "forge");
        long frontEpoch = Long.parseLong(epoch);
        return writer.publish(writer.write(new SpoolFileWriter.Address(TestNodes.BACK, frontEpoch, seq),
                List.of(OutgoingFrame.whole(message)), staging), staging);
    }
}
