package io.hoft.tools.spool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hoft.tools.Cli;
import io.hoft.tools.LivePair;
import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.keys.NodeKeys;
import io.hoft.transport.keys.TrustList;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.spool.FileMode;
import io.hoft.transport.spool.OutgoingFrame;
import io.hoft.transport.spool.SpoolFileWriter;
import io.hoft.transport.fs.Disk;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hoft spool verify} over files a real front wrote for back, with three bad ones among
 * them: one with a payload byte flipped, one cut short, one addressed to another node.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SpoolVerifyTest {
    Path root;

    LivePair pair;
    Path check;
    Path tampered;
    Path truncated;
    Path foreign;
    List<Path> good;

    @BeforeAll
    void spoolFilesFromARealFront(@TempDir Path root) throws Exception {
        this.root = root;
        pair = new LivePair(root);
        pair.start(LivePair.FRONT); // back stays down: front's files wait in back's inbox
        Path one = pair.sendAndAwaitFile(LivePair.FRONT, pair.frontToBack, "{\"n\":1}".getBytes(StandardCharsets.UTF_8));
        Path two = pair.sendAndAwaitFile(LivePair.FRONT, pair.frontToBack, new byte[70_000]);
        Path three = pair.sendAndAwaitFile(LivePair.FRONT, pair.frontToBack, "three".getBytes(StandardCharsets.UTF_8));
        byte[] random = new byte[10_000];
        new java.util.Random(4).nextBytes(random);
        Path four = pair.sendAndAwaitFile(LivePair.FRONT, pair.frontToBack, random);
        pair.stop(LivePair.FRONT);

        check = Files.createDirectories(root.resolve("check"));
        good = List.of(Files.copy(one, check.resolve(one.getFileName())), Files.copy(two, check.resolve(two.getFileName())));
        byte[] bytes = Files.readAllBytes(three);
        bytes[bytes.length - 20] ^= 0x01; // inside the last payload segment
        tampered = Files.write(check.resolve(three.getFileName()), bytes);
        byte[] whole = Files.readAllBytes(four);
        truncated = Files.write(check.resolve(four.getFileName()), Arrays.copyOf(whole, whole.length - 100));
        Files.setLastModifiedTime(truncated, FileTime.from(Instant.now().minusSeconds(120))); // settled: not still arriving
        foreign = writeFileFromFrontTo(NodeId.of("other"), check);
    }

    /** A genuine file of front's, but for a third node whose folder this is not. */
    private Path writeFileFromFrontTo(NodeId other, Path dir) throws Exception {
        NodeKeys front = KeyFiles.readNodeKeys(pair.keys.resolve("front.jwks"));
        NodeKeys otherKeys = NodeKeys.generate(other, Instant.now());
        Keyring keyring = new Keyring(front, TrustList.of(otherKeys.publicKeys()));
        SpoolFileWriter writer = new SpoolFileWriter(keyring, FileMode.SIGNED_ENCRYPTED, SpoolFileWriter.Options.DEFAULT,
                Clock.systemUTC(), Disk.REAL);
        Instant now = Instant.now();
        Message message = new Message(MessageId.generate(Clock.systemUTC()), now, now.plus(Duration.ofDays(1)),
                new Envelope.Request("GET", "/", "api", List.of()), Body.EMPTY);
        SpoolFileWriter.WrittenFile file = writer.write(new SpoolFileWriter.Address(other, now.toEpochMilli(), 1),
                List.of(OutgoingFrame.whole(message)), dir);
        return writer.publish(file, dir);
    }

    @AfterAll
    void stop() throws Exception {
        pair.close();
    }

    @Test
    void findsTheTamperedTheTruncatedAndTheForeignFileAmongGoodOnes() {
        Cli.Result result = Cli.run("spool", "verify", "--config", pair.config("back"), check);

        assertEquals(1, result.exit(), result.toString());
        Map<String, String> lines = new HashMap<>();
        for (String line : result.out().split("\n")) {
            String[] cells = line.trim().split("\\s+", 3);
            if (cells.length >= 2) {
                lines.put(Path.of(cells[1]).getFileName().toString(), cells[0]);
            }
        }
        assertEquals("corrupt", lines.get(tampered.getFileName().toString()), result.toString());
        assertEquals("truncated", lines.get(truncated.getFileName().toString()), result.toString());
        assertEquals("foreign", lines.get(foreign.getFileName().toString()), result.toString());
        for (Path file : good) {
            assertEquals("ok", lines.get(file.getFileName().toString()), result.toString());
        }
        assertTrue(result.out().contains("5 files: 2 ok, 3 bad (corrupt 1, foreign 1, truncated 1)"), result.toString());
    }

    @Test
    void jsonNamesEachBadFileWithItsReasonAndDetail() {
        Cli.Result result = Cli.run("spool", "verify", "--config", pair.config("back"), "--json", check);

        assertEquals(1, result.exit(), result.toString());
        JsonNode json = result.json();
        assertEquals("back", json.get("node").asText());
        assertEquals(5, json.get("summary").get("files").asInt());
        assertEquals(2, json.get("summary").get("ok").asInt());
        assertEquals(1, json.get("summary").get("byReason").get("corrupt").asInt());
        for (JsonNode file : json.get("files")) {
            String name = Path.of(file.get("path").asText()).getFileName().toString();
            if (name.equals(tampered.getFileName().toString())) {
                assertEquals("corrupt", file.get("problem").asText());
                assertTrue(file.get("verified").asBoolean(), "the header verified before the payload failed");
            } else if (name.equals(truncated.getFileName().toString())) {
                assertEquals("truncated", file.get("problem").asText());
                assertTrue(file.get("detail").asText().contains("bytes"), file.toString());
            } else if (name.equals(foreign.getFileName().toString())) {
                assertEquals("other", file.get("recipient").asText());
            } else {
                assertTrue(file.get("ok").asBoolean(), file.toString());
                assertEquals("content", file.get("check").asText());
            }
        }
    }

    @Test
    void theNodesOwnFoldersAreCheckedLeavingOtherNodesFilesAlone() throws Exception {
        Path inShared = Files.copy(foreign, pair.frontToBack.resolve(foreign.getFileName()));
        try {
            Cli.Result result = Cli.run("spool", "verify", "--config", pair.config("back"), "--json");

            assertEquals(0, result.exit(), result.toString());
            JsonNode summary = result.json().get("summary");
            assertTrue(summary.get("files").asInt() >= 4, result.toString());
            assertEquals(summary.get("files").asInt(), summary.get("ok").asInt(), result.toString());
            assertEquals(1, summary.get("otherNodesFiles").asInt());
        } finally {
            Files.delete(inShared);
        }
    }

    @Test
    void oneGoodFileByPathPassesWithExitZero() {
        Cli.Result result = Cli.run("spool", "verify", "--config", pair.config("back"), good.get(1));

        assertEquals(0, result.exit(), result.toString());
        assertTrue(result.out().startsWith("RESULT"), result.toString());
        assertTrue(result.out().contains("1 file: 1 ok, 0 bad"), result.toString());
        assertEquals("", result.err(), "no progress or other noise on stderr when it is not a terminal");
    }

    @Test
    void aSymbolicLinkNamedOnTheCommandLineIsFollowed() throws Exception {
        Path file = good.get(0);
        Path link = Files.createSymbolicLink(Files.createDirectories(root.resolve("links")).resolve(file.getFileName()), file);

        Cli.Result result = Cli.run("spool", "verify", "--config", pair.config("back"), link);

        assertEquals(0, result.exit(), result.toString());
        assertTrue(result.out().contains("1 file: 1 ok, 0 bad"), result.toString());
    }

    @Test
    void withOnlyTheSendersPublicKeysSignaturesAndDigestsAreStillChecked() {
        Cli.Result result = Cli.run("spool", "verify", "--trust", pair.keys.resolve("front.public.jwks"), "--json",
                good.get(0), tampered, truncated);

        assertEquals(1, result.exit(), result.toString());
        JsonNode files = result.json().get("files");
        assertEquals("session-and-digest", files.get(0).get("check").asText(), "a session file: its ticket, not its own MAC");
        assertTrue(files.get(0).get("ok").asBoolean());
        assertTrue(files.get(0).get("verified").asBoolean());
        assertEquals("corrupt", files.get(1).get("problem").asText());
        assertEquals("truncated", files.get(2).get("problem").asText());
        assertTrue(result.json().get("notes").get(0).asText().contains("keyed by a session"), result.toString());
    }

    @Test
    void withoutKeysItChecksStructureAndDigestAndSaysNothingIsAuthenticated() {
        Cli.Result result = Cli.run("spool", "verify", good.get(0), tampered);

        assertEquals(1, result.exit(), result.toString());
        assertTrue(result.out().contains("no keys given: signatures were not checked"), result.toString());
        assertTrue(result.out().contains("corrupt"), result.toString());
    }

    @Test
    void aTrustListWithoutTheSenderMakesEveryFileSpoofed() {
        Cli.Result result = Cli.run("spool", "verify", "--keys", pair.keys.resolve("back.jwks"), good.get(0));

        assertEquals(1, result.exit(), result.toString());
        assertTrue(result.out().contains("spoofed"), result.toString());
    }

    @Test
    void aMissingFileIsAUsageError() {
        Cli.Result result = Cli.run("spool", "verify", "--config", pair.config("back"), root.resolve("nope"));

        assertEquals(2, result.exit(), result.toString());
        assertTrue(result.err().contains("does not exist"), result.toString());
    }
}
