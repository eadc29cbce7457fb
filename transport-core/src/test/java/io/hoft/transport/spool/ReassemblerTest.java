package io.hoft.transport.spool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.fs.Disk;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.testing.Codec;
import io.hoft.transport.testing.TestNodes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fragments come in any order, twice, or broken; the process dies between writing a fragment and
 * recording it. The reassembled body is always exactly the original, and what is recorded on
 * disk is all a new reassembler needs to carry on.
 */
class ReassemblerTest {
    private static final Duration SETTLE = Duration.ofSeconds(2);
    private static final int FRAGMENT = 3000;

    @TempDir
    Path dir;

    private Codec codec;
    private Path folder;
    private Path outbox;
    private byte[] body;
    private Message message;
    /** The four fragment files of {@link #message}, in order. */
    private List<Path> files;
    private long seq;

    @BeforeEach
    void setUp() throws IOException {
        codec = new Codec(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.EC);
        folder = dir.resolve("reassembly");
        outbox = Files.createDirectory(dir.resolve("outbox"));
        body = new byte[10_000];
        new Random(3).nextBytes(body);
        message = message("big", body, Codec.NOW.plus(Duration.ofHours(1)));
        files = writeFragments(message, FRAGMENT);
        assertEquals(4, files.size());
    }

    @Test
    void fragmentsInAnyOrderMakeTheWholeBody() throws IOException {
        Reassembler reassembler = new Reassembler(folder, Disk.REAL);
        int[] order = {2, 0, 3, 1};
        Optional<Reassembler.Completed> completed = Optional.empty();
        for (int i = 0; i < order.length; i++) {
            assertFalse(completed.isPresent());
            completed = deliver(reassembler, files.get(order[i]));
            assertEquals(i + 1, reassembler.received(TestNodes.FRONT, message.id()).cardinality());
        }
        assertCompletedWithTheOriginal(completed);
    }

    @Test
    void aFragmentCommittedTwiceIsRecordedOnce() throws IOException {
        Reassembler reassembler = new Reassembler(folder, Disk.REAL);
        assertFalse(deliver(reassembler, files.get(1)).isPresent());
        byte[] state = onlyFile(".state");
        assertFalse(deliver(reassembler, files.get(1)).isPresent());
        Reassembler.Piece again = write(reassembler, files.get(1));
        assertFalse(again.commit().isPresent());
        assertFalse(again.commit().isPresent());

        assertEquals(bits(1), reassembler.received(TestNodes.FRONT, message.id()));
        assertArrayEquals(state, onlyFile(".state"), "a duplicate does not rewrite the state");

        deliver(reassembler, files.get(0));
        deliver(reassembler, files.get(3));
        assertCompletedWithTheOriginal(deliver(reassembler, files.get(2)));
        // A duplicate arriving after completion changes nothing on disk.
        deliver(reassembler, files.get(0));
        assertArrayEquals(body, Files.readAllBytes(onlyPath(".body")));
    }

    @Test
    void aFragmentWrittenButNeverCommittedIsWrittenAgainWhenResent() throws IOException {
        Reassembler beforeCrash = new Reassembler(folder, Disk.REAL);
        deliver(beforeCrash, files.get(0));
        write(beforeCrash, files.get(1)); // the process dies before the commit...
        scribble(onlyPath(".body"), FRAGMENT + 100, 500); // ...having left a half-written fragment behind

        Reassembler afterRestart = new Reassembler(folder, Disk.REAL);
        assertEquals(bits(0), afterRestart.received(TestNodes.FRONT, message.id()));
        assertFalse(deliver(afterRestart, files.get(3)).isPresent());
        assertFalse(deliver(afterRestart, files.get(2)).isPresent());
        assertCompletedWithTheOriginal(deliver(afterRestart, files.get(1)));
    }

    @Test
    void aFragmentWhoseFileFailsVerificationIsNeverRecorded() throws IOException {
        Reassembler reassembler = new Reassembler(folder, Disk.REAL);
        // In a plaintext file of the older format versions (frame digests, no zstd checksum) a
        // damaged body byte shows only in the frame's digest, after the reassembler has written
        // the whole fragment in place.
        Codec plaintext = new Codec(FileMode.SIGNED_PLAINTEXT, TestNodes.Keys.EC);
        plaintext.olderVersions = true;
        Path sent = plaintext.write(Files.createDirectory(dir.resolve("plaintext")), 99,
                List.of(Fragmenter.split(message, FRAGMENT).get(1)));
        byte[] damaged = Files.readAllBytes(sent);
        damaged[damaged.length - 1000] ^= 1;
        Path broken = Files.write(dir.resolve("broken.hoft"), damaged);
        List<Reassembler.Piece> pieces = new ArrayList<>();
        assertThrows(CorruptFileException.class, () -> {
            try (SpoolFile spoolFile = codec.reader().open(broken, SETTLE)) {
                spoolFile.readFrames(frame -> pieces.add(reassembler.write(spoolFile.header(), frame)));
            }
        });
        assertEquals(1, pieces.size(), "the fragment was written in place before its file failed");
        assertTrue(reassembler.received(TestNodes.FRONT, message.id()).isEmpty());

        for (int i : new int[] {0, 2, 3}) {
            assertFalse(deliver(reassembler, files.get(i)).isPresent());
        }
        assertCompletedWithTheOriginal(deliver(reassembler, files.get(1)));
    }

    @Test
    void aFragmentDisagreeingWithEarlierOnesIsRefused() throws IOException {
        Reassembler reassembler = new Reassembler(folder, Disk.REAL);
        deliver(reassembler, files.get(0));

        Path otherCount = writeFragments(message, 2000).get(1);
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> deliver(reassembler, otherCount));
        assertTrue(e.getMessage().contains("disagrees with earlier fragments"), e.getMessage());
        assertTrue(e.verifiedHeader().isPresent());

        Path otherLength = writeFragments(message("big", Arrays.copyOf(body, 11_000), message.expires()), FRAGMENT).get(1);
        assertThrows(MalformedFileException.class, () -> deliver(reassembler, otherLength));

        assertEquals(bits(0), reassembler.received(TestNodes.FRONT, message.id()));
        for (int i = 1; i < 3; i++) {
            deliver(reassembler, files.get(i));
        }
        assertCompletedWithTheOriginal(deliver(reassembler, files.get(3)));
    }

    @Test
    void purgeExpiredDeletesOnlyPartialMessagesPastTheirExpiry() throws IOException {
        Message later = message("later", body, Codec.NOW.plus(Duration.ofHours(3)));
        List<Path> laterFiles = writeFragments(later, FRAGMENT);
        Reassembler reassembler = new Reassembler(folder, Disk.REAL);
        deliver(reassembler, files.get(0));
        deliver(reassembler, laterFiles.get(2));
        assertEquals(4, fileCount());

        assertEquals(0, reassembler.purgeExpired(message.expires()), "a message is not expired at its expiry instant");
        assertEquals(1, reassembler.purgeExpired(Codec.NOW.plus(Duration.ofHours(2))));

        assertTrue(reassembler.received(TestNodes.FRONT, message.id()).isEmpty());
        assertEquals(bits(2), reassembler.received(TestNodes.FRONT, later.id()));
        assertEquals(2, fileCount());
        assertEquals(0, reassembler.purgeExpired(Codec.NOW.plus(Duration.ofHours(2))));
        assertEquals(1, reassembler.purgeExpired(Codec.NOW.plus(Duration.ofHours(4))));
        assertEquals(0, fileCount());
    }

    @Test
    void stateSurvivesANewReassemblerOnTheSameFolder() throws IOException {
        Reassembler first = new Reassembler(folder, Disk.REAL);
        deliver(first, files.get(3));
        deliver(first, files.get(1));

        Reassembler second = new Reassembler(folder, Disk.REAL);
        assertEquals(bits(1, 3), second.received(TestNodes.FRONT, message.id()));
        assertFalse(deliver(second, files.get(0)).isPresent());
        assertCompletedWithTheOriginal(deliver(second, files.get(2)));
    }

    @Test
    void releaseForgetsTheMessageAndItsFiles() throws IOException {
        Reassembler reassembler = new Reassembler(folder, Disk.REAL);
        Optional<Reassembler.Completed> completed = Optional.empty();
        for (Path file : files) {
            completed = deliver(reassembler, file);
        }
        assertCompletedWithTheOriginal(completed);
        reassembler.release(TestNodes.FRONT, message.id());
        assertEquals(0, fileCount());
        assertTrue(reassembler.received(TestNodes.FRONT, message.id()).isEmpty());
    }

    @Test
    void aDamagedStateFileStartsTheMessageOver() throws IOException {
        Reassembler reassembler = new Reassembler(folder, Disk.REAL);
        deliver(reassembler, files.get(0));
        deliver(reassembler, files.get(1));
        Files.writeString(onlyPath(".state"), "{\"kind\":");

        assertTrue(reassembler.received(TestNodes.FRONT, message.id()).isEmpty());
        assertEquals(0, fileCount(), "the damaged state and its body are deleted");
        Optional<Reassembler.Completed> completed = Optional.empty();
        for (Path file : files) {
            completed = deliver(reassembler, file);
        }
        assertCompletedWithTheOriginal(completed);
    }

    @Test
    void namesOnDiskAreDerivedNeverTakenFromTheFile() throws IOException {
        Reassembler reassembler = new Reassembler(folder, Disk.REAL);
        deliver(reassembler, files.get(0));
        try (Stream<Path> entries = Files.list(folder)) {
            for (Path entry : entries.toList()) {
                assertTrue(entry.getFileName().toString().matches("[0-9a-f]{40}\\.(body|state)"), entry.toString());
            }
        }
    }

    @Test
    void aWholeMessageIsNotAFragment() throws IOException {
        Path whole = codec.write(Files.createDirectory(dir.resolve("whole")), codec.request(new byte[10]));
        Reassembler reassembler = new Reassembler(folder, Disk.REAL);
        assertThrows(IllegalArgumentException.class, () -> deliver(reassembler, whole));
    }

    // ---- helpers ----

    private void assertCompletedWithTheOriginal(Optional<Reassembler.Completed> completed) throws IOException {
        Reassembler.Completed whole = completed.orElseThrow(() -> new AssertionError("not completed"));
        assertEquals(TestNodes.FRONT, whole.sender());
        assertEquals(message.id(), whole.lastDescriptor().id());
        assertEquals(message.envelope(), whole.envelope());
        assertEquals(body.length, whole.length());
        assertArrayEquals(body, Files.readAllBytes(whole.body()));
    }

    private Message message(String id, byte[] bytes, Instant expires) {
        return new Message(MessageId.of(id), Codec.NOW, expires,
                new Envelope.Request("PUT", "/files/" + id, "api", List.of(new HeaderField("Content-Type", "application/octet-stream"))),
                Body.ofBytes(bytes));
    }

    private List<Path> writeFragments(Message m, long perFile) throws IOException {
        List<Path> written = new ArrayList<>();
        for (OutgoingFrame fragment : Fragmenter.split(m, perFile)) {
            written.add(codec.write(outbox, ++seq, List.of(fragment)));
        }
        return written;
    }

    /** Decodes a fragment file into the reassembler, without committing. */
    private Reassembler.Piece write(Reassembler reassembler, Path file) throws IOException {
        List<Reassembler.Piece> pieces = new ArrayList<>();
        try (SpoolFile spoolFile = codec.reader().open(file, SETTLE)) {
            spoolFile.readFrames(frame -> pieces.add(reassembler.write(spoolFile.header(), frame)));
        }
        assertEquals(1, pieces.size());
        return pieces.get(0);
    }

    /** Decodes a fragment file and, once the file verified, commits it. */
    private Optional<Reassembler.Completed> deliver(Reassembler reassembler, Path file) throws IOException {
        return write(reassembler, file).commit();
    }

    private static BitSet bits(int... indexes) {
        BitSet bits = new BitSet();
        for (int i : indexes) {
            bits.set(i);
        }
        return bits;
    }

    private static void scribble(Path file, long position, int length) throws IOException {
        byte[] garbage = new byte[length];
        Arrays.fill(garbage, (byte) 0xee);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(garbage), position);
        }
    }

    private Path onlyPath(String suffix) throws IOException {
        try (Stream<Path> entries = Files.list(folder)) {
            List<Path> matching = entries.filter(p -> p.toString().endsWith(suffix)).toList();
            assertEquals(1, matching.size(), matching.toString());
            return matching.get(0);
        }
    }

    private byte[] onlyFile(String suffix) throws IOException {
        return Files.readAllBytes(onlyPath(suffix));
    }

    private long fileCount() throws IOException {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.count();
        }
    }
}
