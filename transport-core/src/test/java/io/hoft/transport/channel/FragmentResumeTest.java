package io.hoft.transport.channel;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.link.MirrorFaults;
import io.hoft.transport.link.WatchMode;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.MessageId;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A message in five fragment files over a folder link, with one fragment file lost and
 * another truncated on the way, or with the receiver stopped after some fragments and started
 * again: the fragments that arrived are kept, and only the missing ones are sent again (each
 * fragment is a data file of its own seq, acknowledged on its own, SPEC.md sections 12.3 and
 * 15.7). The test carries the front's files itself, so it sees every file the sender hands over.
 */
class FragmentResumeTest {
    private static final long MAX_FILE = 4L * 1024 * 1024;

    @TempDir
    Path root;

    private LinkedPair pair;
    /** Each spool file name the front handed to its outbox, with how many times. */
    private final Map<String, Integer> carried = new ConcurrentHashMap<>();

    @AfterEach
    void stop() throws IOException {
        if (pair != null) {
            pair.close();
        }
    }

    /** Timers that resend only on a nack or a gap, so a resend in this test is one the receiver asked for. */
    private void startPair() throws IOException {
        ChannelConfig config = ChannelConfig.DEFAULT.withFastTimers().toBuilder().maxFileBytesAndCollation(MAX_FILE)
                .resend(new Backoff(Duration.ofMinutes(10), 2.0, Duration.ofMinutes(30), 0.2)).build();
        pair = new LinkedPair(root, config, MirrorFaults.NONE, WatchMode.BOTH, Duration.ofMillis(50)).start();
        pair.frontToBack.close(); // this test carries the front's files itself
        pair.frontToBack = null;
    }

    private MessageId sendFiveFragments(long seed) throws Exception {
        long per = pair.config.fragmentBodyBytes();
        Path body = ChaosTest.randomFile(root.resolve("body"), 4 * per + 1000, new Random(seed));
        return pair.front.send(Body.ofFile(body));
    }

    /**
     * Moves every file in the front's outbox to the back's inbox, as a mirror would, except that
     * a fragment file whose name {@code hold} matches stays where it is for now, and the first
     * copy of a name in {@code lose} is dropped and of a name in {@code cut} cut in half.
     */
    private void carry(Predicate<String> hold, Set<String> lose, Set<String> cut) throws IOException {
        Path out = root.resolve("link/front-out");
        Path in = root.resolve("link/back-in");
        try (DirectoryStream<Path> files = Files.newDirectoryStream(out, "*.hoft")) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (hold.test(name)) {
                    continue;
                }
                int times = carried.merge(name, 1, Integer::sum);
                // A copy, as a mirror to another machine makes: the outbox entry is a hard link to the sender's stored copy.
                Path temp = root.resolve("link/.carrying");
                Files.copy(file, temp, StandardCopyOption.REPLACE_EXISTING);
                Files.delete(file);
                if (times == 1 && lose.stream().anyMatch(name::contains)) {
                    Files.delete(temp);
                    continue;
                }
                if (times == 1 && cut.stream().anyMatch(name::contains)) {
                    try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                        channel.truncate(channel.size() / 2);
                    }
                }
                Files.move(temp, in.resolve(name), StandardCopyOption.ATOMIC_MOVE);
            }
        }
    }

    private Map<String, Integer> fragmentsCarried() {
        Map<String, Integer> fragments = new TreeMap<>();
        carried.forEach((name, times) -> {
            int at = name.indexOf("-p");
            if (at > 0) {
                fragments.put(name.substring(at + 1, name.length() - ".hoft".length()), times);
            }
        });
        return fragments;
    }

    @Test
    void aLostAndATruncatedFragmentAreSentAgainAloneAndTheOthersAreKept() throws Exception {
        startPair();
        MessageId id = sendFiveFragments(1);
        String sha = ChaosTest.sha256(root.resolve("body"));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
            carry(name -> false, Set.of("-p2of5"), Set.of("-p4of5"));
            return pair.back.received().containsKey(id.value());
        });

        assertEquals(sha, pair.back.receivedSha256(id));
        assertEquals(1L, pair.back.received().get(id.value()));
        Map<String, Integer> fragments = fragmentsCarried();
        assertEquals(Set.of("p1of5", "p2of5", "p3of5", "p4of5", "p5of5"), fragments.keySet());
        for (String kept : Set.of("p1of5", "p3of5", "p5of5")) {
            assertEquals(1, fragments.get(kept), kept + " arrived whole the first time and was not sent again: " + fragments);
        }
        assertTrue(fragments.get("p2of5") >= 2 && fragments.get("p4of5") >= 2, "the lost and the cut one came again: " + fragments);
        assertEquals(0, pair.back.transport.metrics().total("hoft_files_duplicate_total"), "no file was decoded twice");
    }

    @Test
    void aReceiverStoppedMidMessageKeepsTheFragmentsItHadAndGetsOnlyTheRest() throws Exception {
        startPair();
        MessageId id = sendFiveFragments(2);
        String sha = ChaosTest.sha256(root.resolve("body"));
        Predicate<String> laterFragments = name -> name.contains("-p3of5") || name.contains("-p4of5") || name.contains("-p5of5");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
            carry(laterFragments, Set.of(), Set.of());
            return fragmentsCarried().size() == 2 && inboxEmpty() && pair.back.store.inTransaction(
                    tx -> tx.queryLong("SELECT COUNT(*) FROM in_fragment")) == 2;
        });
        // the back has taken in fragments 1 and 2; it stops, and starts again on the same state
        pair.back.kill();
        pair.back.start();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
            carry(name -> false, Set.of(), Set.of());
            return pair.back.received().containsKey(id.value());
        });

        assertEquals(sha, pair.back.receivedSha256(id));
        assertEquals(Map.of("p1of5", 1, "p2of5", 1, "p3of5", 1, "p4of5", 1, "p5of5", 1), fragmentsCarried(),
                "every fragment crossed once");
        assertEquals(0, pair.back.transport.metrics().total("hoft_files_duplicate_total"), "no file was decoded twice");
    }

    private boolean inboxEmpty() throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(root.resolve("link/back-in"), "*.hoft")) {
            return !files.iterator().hasNext();
        }
    }
}
