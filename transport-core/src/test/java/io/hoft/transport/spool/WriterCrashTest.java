package io.hoft.transport.spool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.fs.Disk;
import io.hoft.transport.message.Message;
import io.hoft.transport.testing.Codec;
import io.hoft.transport.testing.FaultyDisk;
import io.hoft.transport.testing.TestNodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Fail the disk at each step of every commit (Tape's {@code QueueFileTest}: "no commit for you"),
 * then look at what is on disk and carry on with a healthy disk. The spool writer never
 * publishes a partial file and cleans up after itself; the reassembler's state is the old one
 * until its rename, the new one after, and a retry works either way.
 */
class WriterCrashTest {
    private static final Duration SETTLE = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    private FaultyDisk disk;
    private Path temp;
    private Path outbox;
    private final SpoolFileWriter.Address address = new SpoolFileWriter.Address(TestNodes.BACK, 1_700_000_000_000L, 1);

    @BeforeEach
    void setUp() throws IOException {
        disk = new FaultyDisk(Disk.REAL);
        temp = Files.createDirectory(dir.resolve("tmp"));
        outbox = Files.createDirectory(dir.resolve("outbox"));
    }

    // ---- the spool writer ----

    @ParameterizedTest
    @EnumSource(FileMode.class)
    void writerFailingAtAnyPointPublishesNothingAndCleansUp(FileMode mode) throws IOException {
        assertEveryFailureCleansUp(mode, 200_000);
    }

    @ParameterizedTest
    @EnumSource(FileMode.class)
    void writerWhoseSecondThreadFailsAtAnyPointPublishesNothingAndCleansUp(FileMode mode) throws IOException {
        // Over PayloadStage.MIN_PIPELINED_BYTES: the failing writes happen on the stage's thread.
        assertEveryFailureCleansUp(mode, 1_500_000);
    }

    private void assertEveryFailureCleansUp(FileMode mode, int bodyLength) throws IOException {
        Codec codec = new Codec(mode, TestNodes.Keys.EC);
        Message message = codec.request(randomBytes(bodyLength));
        SpoolFileWriter writer = new SpoolFileWriter(codec.sender, mode, SpoolFileWriter.Options.DEFAULT, codec.clock, disk);

        // A healthy write first, to learn where the payload ends and the header write begins.
        SpoolFileWriter.WrittenFile healthy = writer.write(address, List.of(OutgoingFrame.whole(message)), temp);
        long size = healthy.size();
        long payloadLength = healthy.header().payloadLength();
        Files.delete(healthy.path());

        List<Long> limits = List.of(0L, 1L, 4096L, 65_552L, payloadLength / 2, payloadLength - 1,
                payloadLength /* the header write, last of all */, payloadLength + 47, size - 1);
        for (long limit : limits) {
            assertWriteFails(writer, message, d -> d.failWriteAfter(limit), "a write after " + limit + " bytes");
        }
        assertWriteFails(writer, message, FaultyDisk::failCreate, "create");
        assertWriteFails(writer, message, FaultyDisk::failForce, "force");
        assertTrue(disk.failures() >= limits.size() + 2);
    }

    @Test
    void publishFailingAtTheRenamePublishesNothingAndDeletesTheTemporaryFile() throws IOException {
        Codec codec = new Codec(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.EC);
        SpoolFileWriter writer = new SpoolFileWriter(codec.sender, codec.mode, SpoolFileWriter.Options.DEFAULT, codec.clock, disk);
        Message message = codec.request(randomBytes(1000));
        SpoolFileWriter.WrittenFile written = writer.write(address, List.of(OutgoingFrame.whole(message)), temp);

        disk.failMove();
        IOException e = assertThrows(IOException.class, () -> writer.publish(written, outbox));
        assertTrue(e.getMessage().contains("no rename for you"), e.getMessage());
        assertTrue(list(outbox).isEmpty());
        assertTrue(list(temp).isEmpty(), "the writer saw the failure, so it deletes its temporary file");

        disk.heal();
        assertWritesAndPublishes(writer, codec, message);
    }

    @Test
    void publishFailingToForceTheFolderAfterTheRenameLeavesTheWholeFile() throws IOException {
        // The rename is the commit: once it happened the file is visible, and it is whole. The
        // caller is told the folder was not forced and sends the file again; the receiver dedupes.
        Codec codec = new Codec(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.EC);
        SpoolFileWriter writer = new SpoolFileWriter(codec.sender, codec.mode, SpoolFileWriter.Options.DEFAULT, codec.clock, disk);
        Message message = codec.request(randomBytes(1000));
        SpoolFileWriter.WrittenFile written = writer.write(address, List.of(OutgoingFrame.whole(message)), temp);

        disk.failForceDirectory();
        assertThrows(IOException.class, () -> writer.publish(written, outbox));
        assertTrue(list(temp).isEmpty());
        assertEquals(List.of(outbox.resolve(written.name().toString())), list(outbox));
        assertEquals(message.id(), codec.read(outbox.resolve(written.name().toString())).frames().get(0).descriptor().id());

        disk.heal();
        assertWritesAndPublishes(writer, codec, message);
    }

    // ---- the reassembler's state ----

    @Test
    void reassemblerStateWriteFailingAtTheRenameKeepsTheOldStateAndARetryWorks() throws IOException {
        assertStateCommitFails(FaultyDisk::failMove, false);
    }

    @Test
    void reassemblerStateWriteFailingBeforeTheRenameKeepsTheOldStateAndARetryWorks() throws IOException {
        assertStateCommitFails(FaultyDisk::failCreate, false);
        assertStateCommitFails(d -> d.failWriteAfter(0), false);
        assertStateCommitFails(d -> d.failWriteAfter(20), false);
        assertStateCommitFails(FaultyDisk::failForce, false);
    }

    @Test
    void reassemblerFailingToForceTheFolderAfterTheRenameHasTheNewStateAndARetryWorks() throws IOException {
        assertStateCommitFails(FaultyDisk::failForceDirectory, true);
    }

    // ---- helpers ----

    private void assertWriteFails(SpoolFileWriter writer, Message message, Consumer<FaultyDisk> fault, String where)
            throws IOException {
        fault.accept(disk);
        IOException e = assertThrows(IOException.class,
                () -> writer.write(address, List.of(OutgoingFrame.whole(message)), temp), where);
        assertTrue(e.getMessage().contains("for you (FaultyDisk)"), where + ": " + e);
        assertTrue(list(temp).isEmpty(), where + ": the temporary file is deleted");
        assertTrue(list(outbox).isEmpty(), where + ": nothing is published");
        disk.heal();
    }

    private void assertWritesAndPublishes(SpoolFileWriter writer, Codec codec, Message message) throws IOException {
        SpoolFileWriter.WrittenFile written = writer.write(address, List.of(OutgoingFrame.whole(message)), temp);
        Path published = writer.publish(written, outbox);
        assertTrue(SpoolFileName.parse(published.getFileName().toString()).isPresent());
        Codec.Read read = codec.read(published).frames().get(0);
        assertEquals(message.id(), read.descriptor().id());
        try (var body = message.body().open()) {
            assertArrayEquals(body.readAllBytes(), read.body());
        }
        Files.delete(published);
    }

    /**
     * Records fragment 0 on a healthy disk, then fails the commit of fragment 1 with {@code
     * fault}: a new reassembler on the folder sees the old state (or, if the rename happened,
     * the new one) and the same state file bytes; after healing, retrying the commit records
     * fragment 1, and the message completes.
     */
    private void assertStateCommitFails(Consumer<FaultyDisk> fault, boolean renamed) throws IOException {
        Codec codec = new Codec(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.EC);
        Path folder = Files.createTempDirectory(dir, "reassembly");
        Path fragments = Files.createTempDirectory(dir, "fragments");
        byte[] body = randomBytes(5000);
        Message message = codec.request(body);
        List<Path> files = new ArrayList<>();
        long seq = 0;
        for (OutgoingFrame fragment : Fragmenter.split(message, 2000)) {
            files.add(codec.write(fragments, ++seq, List.of(fragment)));
        }
        assertEquals(3, files.size());

        Reassembler reassembler = new Reassembler(folder, disk);
        write(codec, reassembler, files.get(0)).commit();
        byte[] stateBefore = stateFile(folder);

        Reassembler.Piece piece = write(codec, reassembler, files.get(1));
        fault.accept(disk);
        assertThrows(IOException.class, piece::commit);
        disk.heal();

        Reassembler reopened = new Reassembler(folder, Disk.REAL);
        BitSet expected = new BitSet();
        expected.set(0);
        if (renamed) {
            expected.set(1);
        } else {
            assertArrayEquals(stateBefore, stateFile(folder), "the old state file survives byte for byte");
        }
        assertEquals(expected, reopened.received(TestNodes.FRONT, message.id()));

        assertFalse(piece.commit().isPresent());
        expected.set(1);
        assertEquals(expected, reopened.received(TestNodes.FRONT, message.id()));
        Optional<Reassembler.Completed> completed = write(codec, reopened, files.get(2)).commit();
        assertArrayEquals(body, Files.readAllBytes(completed.orElseThrow().body()));
    }

    private static Reassembler.Piece write(Codec codec, Reassembler reassembler, Path file) throws IOException {
        List<Reassembler.Piece> pieces = new ArrayList<>();
        try (SpoolFile spoolFile = codec.reader().open(file, SETTLE)) {
            spoolFile.readFrames(frame -> pieces.add(reassembler.write(spoolFile.header(), frame)));
        }
        return pieces.get(0);
    }

    private static byte[] stateFile(Path folder) throws IOException {
        try (Stream<Path> entries = Files.list(folder)) {
            List<Path> states = entries.filter(p -> p.getFileName().toString().matches("[0-9a-f]{40}\\.state")).toList();
            assertEquals(1, states.size(), states.toString());
            return Files.readAllBytes(states.get(0));
        }
    }

    private static List<Path> list(Path folder) throws IOException {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.toList();
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        new Random(n).nextBytes(bytes);
        return bytes;
    }
}
