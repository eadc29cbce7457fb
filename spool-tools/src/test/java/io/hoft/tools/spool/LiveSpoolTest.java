package io.hoft.tools.spool;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hoft.tools.Cli;
import io.hoft.tools.LivePair;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hoft spool ls} and {@code stats} beside a running front whose peer went down: two
 * calls got through and were acknowledged, two wait unacknowledged, and a forged file sits in
 * front's quarantine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LiveSpoolTest {
    LivePair pair;

    @BeforeAll
    void aFrontWithABacklog(@TempDir Path root) throws Exception {
        pair = new LivePair(root);
        pair.start(LivePair.FRONT);
        pair.start(LivePair.BACK);
        pair.send(LivePair.FRONT, "one".getBytes(StandardCharsets.UTF_8));
        await().atMost(Duration.ofSeconds(20)).until(() -> pair.received.get(LivePair.BACK).size() == 1);
        pair.send(LivePair.FRONT, "two".getBytes(StandardCharsets.UTF_8)); // in a file of its own: seq 2
        await().atMost(Duration.ofSeconds(20)).until(() -> pair.received.get(LivePair.BACK).size() == 2 && unacked() == 0);
        pair.stop(LivePair.BACK);
        pair.sendAndAwaitFile(LivePair.FRONT, pair.frontToBack, "three".getBytes(StandardCharsets.UTF_8));
        pair.sendAndAwaitFile(LivePair.FRONT, pair.frontToBack, "four".getBytes(StandardCharsets.UTF_8));
        pair.dropImpostorFile(LivePair.FRONT);
        Path quarantine = pair.state("front").resolve("quarantine");
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.isDirectory(quarantine) && count(quarantine) == 2);
    }

    private long unacked() {
        return pair.node(LivePair.FRONT).store().inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM out_file WHERE state = 'sent'"));
    }

    private static long count(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.count();
        }
    }

    @AfterAll
    void stop() throws Exception {
        pair.close();
    }

    private Map<String, List<JsonNode>> byState(JsonNode files) {
        Map<String, List<JsonNode>> map = new HashMap<>();
        for (JsonNode file : files) {
            map.computeIfAbsent(file.get("state").asText(), k -> new ArrayList<>()).add(file);
        }
        return map;
    }

    @Test
    void lsOfTheRunningFrontShowsUnackedPendingAndQuarantinedFiles() {
        Cli.Result result = Cli.run("spool", "ls", "--config", pair.config("front"), "--json");

        assertEquals(0, result.exit(), result.toString());
        JsonNode doc = result.json();
        assertEquals("front", doc.get("node").asText());
        Map<String, List<JsonNode>> states = byState(doc.get("files"));
        List<JsonNode> unacked = states.get("unacked");
        assertEquals(2, unacked.size(), result.toString());
        for (JsonNode file : unacked) {
            assertEquals("sent", file.get("location").asText());
            assertEquals("back", file.get("recipient").asText());
            assertTrue(file.get("verified").asBoolean());
        }
        assertTrue(states.get("pending").stream().filter(f -> f.get("kind").asText().equals("req")).count() >= 2, result.toString());
        JsonNode quarantined = states.get("quarantined").get(0);
        assertEquals("quarantine", quarantined.get("location").asText());
        assertTrue(quarantined.get("reason").asText().startsWith("spoofed: "), quarantined.toString());
        assertEquals(2, doc.get("summary").get("byState").get("unacked").asInt());
    }

    @Test
    void lsPrintsOneAlignedTablePerFolder() {
        Cli.Result result = Cli.run("spool", "ls", "--config", pair.config("front"));

        assertEquals(0, result.exit(), result.toString());
        String out = result.out();
        assertTrue(out.contains("(outbox to back, "), out);
        assertTrue(out.contains("(sent store, to back, 2 files)"), out);
        assertTrue(out.contains("(quarantine, 1 file)"), out);
        assertTrue(out.contains("STATE"), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("quarantined") && l.contains("spoofed: ")), out);
        List<String> header = out.lines().filter(l -> l.startsWith("STATE")).toList();
        List<String> unackedRows = out.lines().filter(l -> l.startsWith("unacked")).toList();
        assertEquals(2, unackedRows.size(), out);
        assertEquals(header.get(header.size() - 2).indexOf("FILE"), unackedRows.get(0).indexOf("front_back_"), "columns align: " + out);
    }

    @Test
    void lsFiltersByStateKindPeerAndAge() {
        assertEquals(2, files("--state", "unacked").size());
        assertEquals(1, files("--state", "quarantined").size());
        assertEquals(3, files("--state", "unacked,quarantined").size());
        assertTrue(files("--kind", "ctl").stream().allMatch(f -> f.get("kind").asText().equals("ctl")));
        List<JsonNode> withBack = files("--peer", "back");
        assertTrue(withBack.size() >= 5, withBack.toString());
        assertTrue(withBack.stream().allMatch(f -> f.get("sender").asText().equals("back") || f.get("recipient").asText().equals("back")));
        assertEquals(0, files("--peer", "nobody").size());
        assertEquals(0, files("--older-than", "1h").size());
        assertTrue(files("--newer-than", "1h").size() >= 5);
        assertEquals(2, Cli.run("spool", "ls", "--config", pair.config("front"), "--state", "lost").exit());
    }

    private List<JsonNode> files(String... filter) {
        List<Object> args = new ArrayList<>(List.of("spool", "ls", "--config", pair.config("front"), "--json"));
        args.addAll(List.of(filter));
        Cli.Result result = Cli.run(args.toArray());
        assertEquals(0, result.exit(), result.toString());
        List<JsonNode> list = new ArrayList<>();
        result.json().get("files").forEach(list::add);
        return list;
    }

    @Test
    void lsOfTheStoppedBackShowsItsInboxAsPending() {
        Cli.Result result = Cli.run("spool", "ls", "--config", pair.config("back"), "--state", "pending", "--kind", "req", "--json");

        assertEquals(0, result.exit(), result.toString());
        assertEquals(2, result.json().get("files").size(), result.toString());
        assertEquals("inbox", result.json().get("files").get(0).get("location").asText());
    }

    @Test
    void statsOfTheRunningFrontShowsItsBacklogAndQuarantine() {
        Cli.Result result = Cli.run("spool", "stats", "--config", pair.config("front"), "--json");

        assertEquals(0, result.exit(), result.toString());
        JsonNode doc = result.json();
        assertTrue(doc.get("running").asBoolean());
        assertEquals(ProcessHandle.current().pid(), doc.get("pid").asLong());
        JsonNode back = doc.get("peers").get(0);
        assertEquals("back", back.get("peer").asText());
        assertEquals("up", back.get("link").get("state").asText(), "back was heard seconds ago");
        assertEquals(2, back.get("out").get("unackedFiles").asInt());
        assertTrue(back.get("out").get("unackedBytes").asLong() > 0);
        assertEquals(0, back.get("out").get("queuedMessages").asInt());
        assertTrue(back.get("out").get("oldestUnackedAgeMs").asLong() >= 0);
        assertEquals(4, back.get("out").get("lastSeq").asLong());
        assertFalse(back.get("in").get("epoch").isNull(), "back's heartbeats started its channel");
        assertEquals(1, doc.get("quarantine").get("files").asInt());
        assertEquals(1, doc.get("quarantine").get("byReason").path("spoofed").asInt(), doc.toString());
        assertFalse(doc.get("sections").get("requests").get("available").asBoolean());
    }

    @Test
    void statsForPeople() {
        Cli.Result result = Cli.run("spool", "stats", "--config", pair.config("front"));

        assertEquals(0, result.exit(), result.toString());
        assertTrue(result.out().startsWith("node front: running (pid " + ProcessHandle.current().pid() + ")"), result.out());
        assertTrue(result.out().contains("peer back: link up"), result.out());
        assertTrue(result.out().contains("2 unacked files"), result.out());
        assertTrue(result.out().contains("quarantine: 1 file"), result.out());
    }

    @Test
    void statsOfTheStoppedBackShowsWhatWaitsInItsInbox() {
        Cli.Result result = Cli.run("spool", "stats", "--config", pair.config("back"), "--json");

        assertEquals(0, result.exit(), result.toString());
        assertFalse(result.json().get("running").asBoolean());
        JsonNode front = result.json().get("peers").get(0).get("in");
        assertEquals(2, front.get("upTo").asLong(), "files 1 and 2 arrived before back stopped");
        assertTrue(front.get("inboxFiles").asLong() >= 2, result.toString());
    }

    @Test
    void statsNeedsTheNodesConfig() {
        Cli.Result result = Cli.run("spool", "stats");

        assertEquals(2, result.exit(), result.toString());
        assertTrue(result.err().contains("--config"), result.toString());
    }
}
