package io.hoft.transport.channel;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.link.MirrorFaults;
import io.hoft.transport.link.WatchMode;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.NodeStore;
import io.hoft.transport.testing.TestNodes;
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
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A message in several fragment files over a folder link, with one fragment file lost and
 * another truncated on the way, or with the receiver (a process of its own) killed with SIGKILL
 * after some fragments and started again: the fragments that arrived are kept, and only the
 * missing ones are sent again (each
 * fragment is a data file of its own seq, acknowledged on its own, SPEC.md sections 12.3 and
 * 15.7). The test carries the front's files itself, so it sees every file the sender hands over.
 */
class FragmentResumeTest {
    private static final long MAX_FILE = 4L * 1024 * 1024;

    @TempDir
    Path root;

    private LinkedPair pair;
    private Process back;
    /** Each spool file name the front handed to its outbox, with how many times. */
    private final Map<String, Integer> carried = new ConcurrentHashMap<>();

    @AfterEach
    void stop() throws Exception {
        if (back != null) {
            back.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
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

    private MessageId sendFragments(int count, long seed) throws Exception {
        long per = pair.config.fragmentBodyBytes();
        Path body = ChaosTest.randomFile(root.resolve("body"), (count - 1) * per + 1000, new Random(seed));
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
        MessageId id = sendFragments(4, 1);
        String sha = ChaosTest.sha256(root.resolve("body"));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
            carry(name -> false, Set.of("-p2of4"), Set.of("-p4of4"));
            return pair.back.received().containsKey(id.value());
        });

        assertEquals(sha, pair.back.receivedSha256(id));
        assertEquals(1L, pair.back.received().get(id.value()));
        Map<String, Integer> fragments = fragmentsCarried();
        assertEquals(Set.of("p1of4", "p2of4", "p3of4", "p4of4"), fragments.keySet());
        for (String kept : Set.of("p1of4", "p3of4")) {
            assertEquals(1, fragments.get(kept), kept + " arrived whole the first time and was not sent again: " + fragments);
        }
        assertTrue(fragments.get("p2of4") >= 2 && fragments.get("p4of4") >= 2, "the lost and the cut one came again: " + fragments);
        assertEquals(0, pair.back.transport.metrics().total("hoft_files_duplicate_total"), "no file was decoded twice");
    }

    @Test
    void aReceiverKilledMidMessageKeepsTheFragmentsItHadAndGetsOnlyTheRest() throws Exception {
        startPair();
        // The back runs as a process of its own (NodeProcess, sending nothing) on the same state and folders.
        pair.back.kill();
        pair.back = null;
        Files.createDirectories(root.resolve("keys"));
        KeyFiles.writePrivate(root.resolve("keys/back.jwks"), TestNodes.backKeys().toJwkSet(), true);
        KeyFiles.writePublic(root.resolve("keys/front.pub.jwks"), TestNodes.frontKeys().publicKeys().toJwkSet(), true);
        back = startBack();
        MessageId id = sendFragments(3, 2);
        String sha = ChaosTest.sha256(root.resolve("body"));
        Predicate<String> lastFragment = name -> name.contains("-p3of3");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
            carry(lastFragment, Set.of(), Set.of());
            return fragmentsCarried().size() == 2 && inboxEmpty() && backFragments() == 2;
        });
        // the back has taken in fragments 1 and 2: SIGKILL, and a new process on the same state
        back.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        back = startBack();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
            carry(name -> false, Set.of(), Set.of());
            return backReceived(id) != null;
        });

        assertEquals(sha, backReceived(id)[0]);
        assertEquals("1", backReceived(id)[1], "deliveries");
        Map<String, Integer> fragments = fragmentsCarried();
        assertEquals(Set.of("p1of3", "p2of3", "p3of3"), fragments.keySet());
        // The first two were kept across the kill: never sent, so never decoded, again. (The back
        // may have asked for the held one more than once while it was held; that is its right.)
        assertEquals(1, fragments.get("p1of3"), "fragment 1 crossed once: " + fragments);
        assertEquals(1, fragments.get("p2of3"), "fragment 2 crossed once: " + fragments);
    }

    private Process startBack() throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), NodeProcess.class.getName(), "back", root.toString(), "0");
        builder.redirectErrorStream(true);
        builder.redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve("back.log").toFile()));
        return builder.start();
    }

    /** Fragments the back process holds of partial messages, read through a second connection to its database. */
    private long backFragments() throws IOException {
        try (NodeStore store = NodeStore.open(root.resolve("back"))) {
            return store.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM sqlite_master WHERE name = 'in_fragment'") == 0 ? 0
                    : tx.queryLong("SELECT COUNT(*) FROM in_fragment"));
        }
    }

    /** The body's SHA-256 and the deliveries of {@code id} in the back's ledger, or null. */
    private String[] backReceived(MessageId id) throws IOException {
        try (NodeStore store = NodeStore.open(root.resolve("back"))) {
            return store.inTransaction(tx -> tx.queryOne("SELECT body_sha256, deliveries FROM received WHERE id = ?",
                    row -> new String[] {row.getString(1), Long.toString(row.getLong(2))}, id.value())).orElse(null);
        }
    }

    private boolean inboxEmpty() throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(root.resolve("link/back-in"), "*.hoft")) {
            return !files.iterator().hasNext();
        }
    }
}
