package io.hoft.transport.spool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.testing.Codec;
import io.hoft.transport.testing.TestNodes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the writer promises besides the bytes: a file appears in the outbox only by {@link
 * SpoolFileWriter#publish}, under its strict name, and the writer never writes a file its own
 * reader would refuse (such a file would be nacked and resent forever).
 */
class SpoolFileWriterTest {
    @TempDir
    Path dir;

    private Codec codec;
    private SpoolFileWriter writer;
    private Path temp;
    private Path outbox;
    private final SpoolFileWriter.Address address = new SpoolFileWriter.Address(TestNodes.BACK, 1_700_000_000_000L, 42);

    @BeforeEach
    void setUp() throws IOException {
        codec = new Codec(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.EC);
        writer = codec.writer();
        temp = Files.createDirectory(dir.resolve("tmp"));
        outbox = Files.createDirectory(dir.resolve("outbox"));
    }

    @Test
    void aWrittenFileStaysUnderItsTemporaryNameUntilPublished() throws IOException {
        SpoolFileWriter.WrittenFile written = writer.write(address, List.of(OutgoingFrame.whole(codec.request(new byte[10]))), temp);
        assertEquals("." + written.name() + ".tmp", written.path().getFileName().toString());
        assertEquals(temp, written.path().getParent());
        assertEquals(Files.size(written.path()), written.size());
        assertTrue(list(outbox).isEmpty());

        Path published = writer.publish(written, outbox);

        assertEquals(List.of(published), list(outbox));
        assertTrue(list(temp).isEmpty());
        assertEquals("front_back_1700000000000_000000000042_req.hoft", published.getFileName().toString());
        assertTrue(SpoolFileName.parse(published.getFileName().toString()).orElseThrow().matches(codec.read(published).header()));
    }

    @Test
    void writingTheSameFileAgainReplacesALeftoverTemporaryFile() throws IOException {
        Message message = codec.request(new byte[10]);
        SpoolFileWriter.WrittenFile first = writer.write(address, List.of(OutgoingFrame.whole(message)), temp);
        SpoolFileWriter.WrittenFile second = writer.write(address, List.of(OutgoingFrame.whole(message)), temp);
        assertEquals(first.path(), second.path());
        assertEquals(1, codec.read(writer.publish(second, outbox)).frames().size());
    }

    @Test
    void writerRefusesAFileWithoutFrames() {
        assertThrows(IllegalArgumentException.class, () -> writer.write(address, List.of(), temp));
    }

    @Test
    void writerRefusesTwoFragmentsInOneFile() {
        List<OutgoingFrame> fragments = Fragmenter.split(codec.request(new byte[100]), 40);
        assertThrows(IllegalArgumentException.class, () -> writer.write(address, fragments.subList(0, 2), temp));
        assertTrue(list(temp).isEmpty());
    }

    @Test
    void writerRefusesTwoFramesOfOneMessage() {
        Message message = codec.request(new byte[10]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> writer.write(address, List.of(OutgoingFrame.whole(message), OutgoingFrame.whole(message)), temp));
        assertTrue(e.getMessage().contains(message.id().value()), e.getMessage());
        assertTrue(list(temp).isEmpty());
    }

    @Test
    void writerRefusesAMessageItsReaderWouldRefuse() {
        List<Envelope> refused = List.of(
                new Envelope.Request("GET", "/a b", "api", List.of()),
                new Envelope.Request("GET", "", "api", List.of()),
                new Envelope.Request("GE T", "/", "api", List.of()),
                new Envelope.Request("GET", "/caf\u0100", "api", List.of()),
                new Envelope.Response(MessageId.of("r"), 200, "OK\r\nX-Injected: 1", List.of(new HeaderField("A", "1")), null));
        for (Envelope envelope : refused) {
            Message message = new Message(MessageId.of("bad"), Codec.NOW, Codec.NOW.plus(Duration.ofHours(1)), envelope, Body.EMPTY);
            assertThrows(IllegalArgumentException.class,
                    () -> writer.write(address, List.of(OutgoingFrame.whole(message)), temp), envelope.toString());
        }
        assertTrue(list(temp).isEmpty());
    }

    private static List<Path> list(Path folder) {
        try (Stream<Path> files = Files.list(folder)) {
            return files.toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
