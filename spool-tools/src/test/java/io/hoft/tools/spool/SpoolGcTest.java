package io.hoft.tools.spool;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hoft.tools.Cli;
import io.hoft.tools.LivePair;
import io.hoft.transport.store.NodeSnapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.sql.ResultSetMetaData;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hoft spool gc} on the spools of a real pair: a duplicate of a file back already
 * received, back's quarantine with an old and a recent file, a temporary file an interrupted
 * write left, acknowledged rows in front's database, and (for --force) a call front could not
 * deliver.
 */
class SpoolGcTest {
    @TempDir
    Path root;

    LivePair pair;
    Path duplicate;
    Path oldQuarantined;
    Path recentQuarantined;
    Path temporary;

    @BeforeEach
    void spoolsOfAPairThatWorkedAWhile() throws Exception {
        pair = new LivePair(root);
        pair.start(LivePair.FRONT);
        Path sent = pair.sendAndAwaitFile(LivePair.FRONT, pair.frontToBack, "hello".getBytes(StandardCharsets.UTF_8));
        Path copy = Files.copy(sent, root.resolve("copy.hoft"));
        pair.start(LivePair.BACK);
        await().atMost(Duration.ofSeconds(20)).until(() -> pair.received.get(LivePair.BACK).size() == 1 && unacked() == 0);
        pair.dropImpostorFile(LivePair.BACK);
        Path quarantine = pair.state("back").resolve("quarantine");
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.isDirectory(quarantine) && list(quarantine).size() == 2);
        pair.stop(LivePair.BACK);
        pair.stop(LivePair.FRONT);

        duplicate = Files.move(copy, pair.frontToBack.resolve(sent.getFileName())); // as a copying mirror would bring it again
        recentQuarantined = list(quarantine).stream().filter(p -> !p.toString().endsWith(".reason")).findFirst().orElseThrow();
        String name = recentQuarantined.getFileName().toString().replaceFirst("^[0-9]+-", "");
        long tenDaysAgo = Instant.now().minus(Duration.ofDays(10)).toEpochMilli();
        oldQuarantined = Files.copy(recentQuarantined, quarantine.resolve(tenDaysAgo + "-" + name));
        Files.writeString(quarantine.resolve(oldQuarantined.getFileName() + ".reason"), "spoofed: an old one\n");
        temporary = Files.writeString(pair.state("back").resolve("tmp").resolve(".front_back_x.hoft.tmp"), "half");
    }

    @AfterEach
    void stop() throws Exception {
        pair.close();
    }

    private long unacked() {
        return pair.node(LivePair.FRONT).store().inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM out_file WHERE state = 'sent'"));
    }

    private static List<Path> list(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }

    /** Every file under the pair's root with its size, modification time and SHA-256, and every row of both databases. */
    private Map<String, String> snapshot() throws Exception {
        Map<String, String> state = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
                state.put(root.relativize(file).toString(), a.size() + " " + a.lastModifiedTime().toMillis() + " " + digest);
            }
        }
        for (String node : List.of("front", "back")) {
            try (NodeSnapshot db = NodeSnapshot.open(pair.state(node)).orElseThrow()) {
                for (String table : db.tx().query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", r -> r.getString(1))) {
                    List<String> rows = db.tx().query("SELECT * FROM " + table, r -> {
                        ResultSetMetaData meta = r.getMetaData();
                        StringBuilder row = new StringBuilder();
                        for (int i = 1; i <= meta.getColumnCount(); i++) {
                            Object value = r.getObject(i);
                            row.append(value instanceof byte[] ? HexFormat.of().formatHex((byte[]) value) : String.valueOf(value)).append('|');
                        }
                        return row.toString();
                    });
                    state.put("db:" + node + ":" + table, new ArrayList<>(new java.util.TreeSet<>(rows)).toString());
                }
            }
        }
        return state;
    }

    @Test
    void dryRunListsWhatWouldGoAndChangesNothing() throws Exception {
        Map<String, String> before = snapshot();

        Cli.Result back = Cli.run("spool", "gc", "--config", pair.config("back"), "--older-than", "2d", "--dry-run");
        Cli.Result front = Cli.run("spool", "gc", "--config", pair.config("front"), "--older-than", "0ms", "--dry-run", "--json");

        assertEquals(before, snapshot(), "a dry run changes no file and no row");
        assertEquals(0, back.exit(), back.toString());
        String out = back.out();
        assertTrue(out.lines().anyMatch(l -> l.startsWith("would remove") && l.contains("quarantined")
                && l.contains(oldQuarantined.getFileName().toString()) && l.contains("(+ .reason)")), out);
        assertFalse(out.contains(recentQuarantined.getFileName().toString()), "younger than the age: " + out);
        assertTrue(out.lines().anyMatch(l -> l.contains("received") && l.contains(duplicate.getFileName().toString())), out);
        assertTrue(out.lines().anyMatch(l -> l.contains("temporary") && l.contains(temporary.getFileName().toString())), out);
        assertTrue(out.contains("dry run: nothing was changed"), out);
        assertEquals(0, front.exit(), front.toString());
        assertTrue(front.json().get("dryRun").asBoolean());
        assertTrue(front.json().get("rows").get("out_file").asLong() >= 1, "front's acknowledged file row: " + front);
    }

    @Test
    void removesWhatIsSafeToRemoveAndKeepsTheRest() throws Exception {
        Cli.Result result = Cli.run("spool", "gc", "--config", pair.config("back"), "--older-than", "2d", "--json");

        assertEquals(0, result.exit(), result.toString());
        assertFalse(result.json().get("running").asBoolean());
        assertFalse(Files.exists(oldQuarantined));
        assertFalse(Files.exists(oldQuarantined.resolveSibling(oldQuarantined.getFileName() + ".reason")));
        assertTrue(Files.exists(recentQuarantined), "younger than the age");
        assertTrue(Files.exists(recentQuarantined.resolveSibling(recentQuarantined.getFileName() + ".reason")));
        assertFalse(Files.exists(duplicate), "back received it already");
        assertFalse(Files.exists(temporary), "back is not running");
        List<String> what = new ArrayList<>();
        result.json().get("removals").forEach(r -> what.add(r.get("what").asText()));
        assertEquals(List.of("quarantined", "received", "temporary"), what);

        Cli.Result again = Cli.run("spool", "gc", "--config", pair.config("back"), "--older-than", "2d", "--json");
        assertEquals(0, again.json().get("removals").size(), "nothing left to do: " + again);
    }

    @Test
    void theNodesQuarantineCapsApplyTooTheOldestGoingFirst() throws Exception {
        Path quarantine = recentQuarantined.getParent();
        Path big = quarantined(Duration.ofDays(1), new byte[20_000], "spoofed: a big one");
        Path small = quarantined(Duration.ofDays(2), new byte[10], "spoofed: a small one");
        long recentBytes = Files.size(recentQuarantined) + Files.size(reasonOf(recentQuarantined));
        long smallBytes = Files.size(small) + Files.size(reasonOf(small));
        // room for the recent file and the small one, but the big one between them is the first that does not fit
        Path config = pair.config("back");
        Files.writeString(config, Files.readString(config).replace("  channel:",
                "  quarantine: {maxAge: 7d, maxSize: " + (recentBytes + smallBytes) + "}\n  channel:"));

        Cli.Result result = Cli.run("spool", "gc", "--config", config, "--older-than", "30d", "--json");

        assertEquals(0, result.exit(), result.toString());
        assertTrue(Files.exists(recentQuarantined) && Files.exists(reasonOf(recentQuarantined)), "the newest fits");
        assertFalse(Files.exists(big) || Files.exists(reasonOf(big)), "beyond maxSize");
        assertFalse(Files.exists(small) || Files.exists(reasonOf(small)), "older than one that did not fit: oldest first");
        assertFalse(Files.exists(oldQuarantined), "older than maxAge, though younger than --older-than");
        Map<String, String> why = new TreeMap<>();
        for (JsonNode removal : result.json().get("removals")) {
            if (removal.get("what").asText().equals("quarantined")) {
                why.put(Path.of(removal.get("path").asText()).getFileName().toString(), removal.get("why").asText());
            }
        }
        assertEquals(3, why.size(), result.toString());
        assertTrue(why.get(big.getFileName().toString()).contains("beyond node.quarantine.maxSize"), why.toString());
        assertFalse(why.get(oldQuarantined.getFileName().toString()).contains("maxSize"), why.toString());
        assertEquals(List.of(recentQuarantined, reasonOf(recentQuarantined)), list(quarantine).stream().sorted().toList());
    }

    /** A copy of the recent quarantined file's name, quarantined {@code ago}, with other contents and its reason. */
    private Path quarantined(Duration ago, byte[] contents, String reason) throws Exception {
        String name = recentQuarantined.getFileName().toString().replaceFirst("^[0-9]+-", "");
        Path file = Files.write(recentQuarantined.resolveSibling(Instant.now().minus(ago).toEpochMilli() + "-" + name), contents);
        Files.writeString(reasonOf(file), reason + "\n");
        return file;
    }

    private static Path reasonOf(Path quarantined) {
        return quarantined.resolveSibling(quarantined.getFileName() + ".reason");
    }

    @Test
    void settledRowsGoOnceOlderThanTheAge() throws Exception {
        Cli.Result keep = Cli.run("spool", "gc", "--config", pair.config("front"), "--json");
        Cli.Result result = Cli.run("spool", "gc", "--config", pair.config("front"), "--older-than", "0ms", "--json");

        assertEquals(0, keep.exit(), keep.toString());
        assertEquals(0, keep.json().get("rows").size(), "settled a moment ago: younger than 7d");
        assertEquals(0, result.exit(), result.toString());
        assertTrue(result.json().get("rows").get("out_file").asLong() >= 1, result.toString());
        try (NodeSnapshot db = NodeSnapshot.open(pair.state("front")).orElseThrow()) {
            assertEquals(0, db.tx().queryLong("SELECT COUNT(*) FROM out_file WHERE state IN ('acked', 'abandoned')"));
            assertEquals(0, db.tx().queryLong("SELECT COUNT(*) FROM out_message WHERE state IN ('acked', 'expired')"));
        }
    }

    @Test
    void besideARunningNodeItDoesOnlyWhatCannotRaceWithIt() throws Exception {
        pair.start(LivePair.BACK);
        Path liveTemporary = Files.writeString(pair.state("back").resolve("tmp").resolve(".front_back_y.hoft.tmp"), "half");

        Cli.Result result = Cli.run("spool", "gc", "--config", pair.config("back"), "--older-than", "2d");

        assertEquals(0, result.exit(), result.toString());
        assertTrue(result.out().startsWith("node back: running; gc does only what cannot race with it"), result.out());
        assertFalse(Files.exists(oldQuarantined), "quarantined files are never looked at again by the node");
        assertTrue(Files.exists(liveTemporary), "the running node may be writing it");
        // The running node may have a temporary file of its own in flight (a heartbeat), so "at least ours"
        assertTrue(result.out().matches("(?s).*skipped [1-9][0-9]* temporary files?: the running node may be writing them.*"),
                result.out());
        pair.stop(LivePair.BACK);
    }

    @Test
    void forceListsExactlyWhatIsLostAndTheNodeThenSettlesItAsExpired() throws Exception {
        pair.start(LivePair.FRONT);
        pair.sendAndAwaitFile(LivePair.FRONT, pair.frontToBack, "undeliverable".getBytes(StandardCharsets.UTF_8));
        pair.stop(LivePair.FRONT);

        Cli.Result kept = Cli.run("spool", "gc", "--config", pair.config("front"));
        assertTrue(kept.out().contains("kept 1 unacknowledged file and 1 unsettled message (only --force gives them up)"), kept.out());

        Map<String, String> before = snapshot();
        Cli.Result dryRun = Cli.run("spool", "gc", "--config", pair.config("front"), "--older-than", "0ms", "--force",
                "--dry-run", "--json");
        assertEquals(before, snapshot(), "--force --dry-run changes nothing either");
        JsonNode lost = dryRun.json().get("lost");
        assertEquals(2, lost.size(), dryRun.toString());
        assertEquals("file", lost.get(0).get("type").asText());
        assertEquals("message", lost.get(1).get("type").asText());
        assertEquals("request", lost.get(1).get("kind").asText());

        Cli.Result result = Cli.run("spool", "gc", "--config", pair.config("front"), "--older-than", "0ms", "--force");
        assertEquals(0, result.exit(), result.toString());
        assertTrue(result.out().contains("--force gave up (these are lost: the node settles them as expired when it next runs)"),
                result.out());
        assertTrue(result.out().contains(lost.get(0).get("id").asText()), result.out());

        // The node applies it by its own rules: the file is abandoned, the message expired, the stored copy deleted.
        pair.start(LivePair.FRONT);
        await().atMost(Duration.ofSeconds(20)).until(() -> pair.node(LivePair.FRONT).store().inTransaction(tx -> tx.queryLong(
                "SELECT COUNT(*) FROM out_message WHERE state = 'expired'")) == 1);
        await().atMost(Duration.ofSeconds(20)).until(() -> list(pair.state("front").resolve("sent").resolve("back")).isEmpty());
        assertEquals(0, unacked());
    }
}
