package io.hoft.transport.spool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.List;
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
 * publishes a partial file and cleans up after itself, and a retry works.
 */
class WriterCrashTest {
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
