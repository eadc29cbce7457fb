package io.hoft.transport.spool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.transport.message.Message;
import io.hoft.transport.spool.SpoolFileException.Disposition;
import io.hoft.transport.spool.internal.PayloadStage;
import io.hoft.transport.spool.internal.Preamble;
import io.hoft.transport.testing.Codec;
import io.hoft.transport.testing.FileForge;
import io.hoft.transport.testing.TestNodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Format versions 3 and 4 (no frame digests; the signed payload digest and, in encrypted mode,
 * the AEAD bind every byte) against versions 1 and 2, in each mode: bodies of every size class
 * come back byte for byte, including where the payload stage runs on a second thread; files of
 * the older versions are still read; and a damaged stored byte, or a payload whose frames are
 * not the ones the header was signed over, is refused, never accepted.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("configurations")
class FormatVersionsTest {
    private static final Duration SETTLE = Duration.ofSeconds(2);
    private static final int SEGMENT = 4096;

    record Config(FileMode mode, TestNodes.Keys keys) {
        @Override
        public String toString() {
            return mode + ", " + keys + " keys";
        }

        /** The version a current writer gives this configuration's files. */
        int version() {
            return keys == TestNodes.Keys.SESSION && mode.isSigned() ? Preamble.VERSION_SESSION_NO_FRAME_DIGESTS
                    : Preamble.VERSION_PER_FILE;
        }
    }

    static List<Config> configurations() {
        return List.of(
                new Config(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.EC),
                new Config(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.SESSION),
                new Config(FileMode.SIGNED_PLAINTEXT, TestNodes.Keys.EC),
                new Config(FileMode.CHECKSUM_ONLY_UNAUTHENTICATED, TestNodes.Keys.EC));
    }

    @Parameter
    Config config;

    @TempDir
    Path dir;

    private Codec codec;
    private final Random random = new Random(20261206);
    private int files;

    @BeforeEach
    void setUp() {
        codec = new Codec(config.mode(), config.keys());
        codec.options = new SpoolFileWriter.Options(1, SEGMENT);
    }

    @Test
    void bodiesOfEverySizeClassComeBackByteForByte() throws IOException {
        int block = PayloadStage.BLOCK_SIZE;
        long stage = PayloadStage.MIN_PIPELINED_BYTES;
        int[] sizes = {0, 1, 64 * 1024, SEGMENT - 1, SEGMENT, SEGMENT + 1, block - 1, block, block + 1,
                (int) stage - 1, (int) stage, (int) stage + 1, 3 * (int) stage + 7};
        for (int size : sizes) {
            assertRoundTrips(List.of(codec.request(randomBytes(size))), config.version());
        }
    }

    @Test
    void payloadsEndingOneByteBeforeAtAndAfterASegmentOrBlockBoundaryComeBack() throws IOException {
        // Where the compressed stream ends: at a segment boundary (encrypted) and where the stage hands a block over.
        long unit = config.mode().isEncrypted() ? SEGMENT : PayloadStage.BLOCK_SIZE;
        for (long boundary : new long[] {2 * unit, PayloadStage.MIN_PIPELINED_BYTES / unit * unit + 4 * unit}) {
            for (long end = boundary - 1; end <= boundary + 1; end++) {
                long stored = config.mode().isEncrypted() ? end + 16 * ((end + SEGMENT - 1) / SEGMENT) : end;
                Path file = writeWithPayloadLength(stored);
                Codec.Decoded decoded = codec.read(file);
                assertEquals(stored, decoded.header().payloadLength());
                assertEquals(decoded.header().frames().get(0).bodyLength(), decoded.frames().get(0).body().length);
            }
        }
    }

    @Test
    void severalMessagesInOneFileComeBackInOrder() throws IOException {
        List<Message> messages = new ArrayList<>();
        for (int size : new int[] {0, 5, 70_000, 1 << 20, 3}) {
            messages.add(codec.request(randomBytes(size)));
        }
        assertRoundTrips(messages, config.version());
    }

    @Test
    void filesOfTheOlderVersionsWithFrameDigestsAreStillRead() throws IOException {
        codec.olderVersions = true;
        int older = config.version() == Preamble.VERSION_PER_FILE ? Preamble.VERSION : Preamble.VERSION_SESSION;
        for (int size : new int[] {0, 64 * 1024, 3 << 20}) {
            Path file = assertRoundTrips(List.of(codec.request(randomBytes(size)), codec.request(randomBytes(7))), older);
            SpoolFileHeader header = codec.read(file).header();
            assertTrue(header.hasFrameDigests());
            header.frames().forEach(f -> assertNotNull(f.sha256()));
        }
    }

    @Test
    void aDamagedStoredByteIsRefusedWhereverItLies() throws IOException {
        for (int size : new int[] {1000, 3 << 20}) { // read in series, and with the stage on a second thread
            Path file = write(List.of(codec.request(randomBytes(size))));
            byte[] bytes = Files.readAllBytes(file);
            long offset = Preamble.decode(bytes).payloadOffset();
            for (long at : new long[] {offset, (offset + bytes.length) / 2, bytes.length - 1}) {
                byte[] damaged = bytes.clone();
                damaged[(int) at] ^= 0x20;
                SpoolFileException e = assertRefused(Files.write(dir.resolve("damaged-" + size + "-" + at), damaged));
                assertEquals(Disposition.NACK, e.disposition(), "the header verified: the sender is asked again");
            }
        }
    }

    @Test
    void aPayloadWhoseFramesAreNotTheOnesSignedForIsRefused() throws IOException {
        for (int size : new int[] {1000, 3 << 20}) {
            byte[] first = randomBytes(size);
            byte[] second = first.clone();
            second[size / 2] ^= 1; // the same lengths everywhere, one body byte apart
            Path signed = write(List.of(codec.request(first)));
            Path other = write(List.of(codec.request(second)));
            byte[] otherBytes = Files.readAllBytes(other);
            byte[] otherPayload = java.util.Arrays.copyOfRange(otherBytes, (int) Preamble.decode(otherBytes).payloadOffset(),
                    otherBytes.length);
            // The header still signs the first file's payload digest (and, encrypted, its content key).
            Path swapped = FileForge.of(signed).rawPayload(otherPayload).writeTo(dir.resolve("swapped-" + size));
            if (Files.size(swapped) != Files.size(signed)) {
                continue; // the other compressed differently: not the case under test
            }
            SpoolFileException e = assertRefused(swapped);
            assertEquals("corrupt", e.reason());
        }
    }

    @Test
    void theZstdChecksumCatchesChangedBytesEvenWhereThePayloadDigestWasRecomputed() throws IOException {
        if (config.mode().isEncrypted() || !config.mode().isSigned()) {
            return; // FileForge re-signs plaintext files; the checksum is the same in every mode
        }
        // Random bytes are stored raw by zstd, so a flipped byte in the middle is still a valid zstd stream:
        // only zstd's content checksum (or, in the older versions, the frame digest) can see it.
        for (boolean older : new boolean[] {false, true}) {
            codec.olderVersions = older;
            Path file = write(List.of(codec.request(randomBytes(64 * 1024))));
            byte[] bytes = Files.readAllBytes(file);
            int offset = (int) Preamble.decode(bytes).payloadOffset();
            byte[] payload = java.util.Arrays.copyOfRange(bytes, offset, bytes.length);
            payload[payload.length / 2] ^= 1;
            Path forged = FileForge.of(file).rawPayload(payload)
                    .claims(c -> ((ObjectNode) c.get("payload")).put("sha256", FileForge.sha256Hex(payload)))
                    .writeTo(dir.resolve("rehashed-" + older));
            CorruptFileException e = assertThrows(CorruptFileException.class, () -> codec.read(forged));
            assertTrue(e.getMessage().contains(older ? "does not match its sha256" : "payload does not decompress"),
                    e.getMessage());
        }
    }

    @Test
    void aHandlerThatFailsMidFileLeavesNothingReadingTheFile() throws IOException {
        Path file = write(List.of(codec.request(randomBytes(3 << 20)), codec.request(randomBytes(3 << 20))));
        for (int attempt = 0; attempt < 5; attempt++) {
            IOException stop = new IOException("the application gave up");
            try (SpoolFile spoolFile = codec.reader().open(file, SETTLE)) {
                IOException thrown = assertThrows(IOException.class, () -> spoolFile.readFrames(frame -> {
                    frame.body().readNBytes(1000);
                    throw stop;
                }));
                assertEquals(stop, thrown);
            }
            // Closed with the stage stopped: the file can go at once, as a receiver deletes what it refused.
            Files.copy(file, dir.resolve("copy"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        assertEquals(2, codec.read(file).frames().size(), "and the file itself still reads whole");
    }

    // ---- helpers ----

    private Path assertRoundTrips(List<Message> messages, int version) throws IOException {
        Path file = write(messages);
        Codec.Decoded decoded = codec.read(file);
        assertEquals(version, decoded.header().version(), "format version");
        assertEquals(version == Preamble.VERSION || version == Preamble.VERSION_SESSION, decoded.header().hasFrameDigests());
        assertEquals(messages.size(), decoded.frames().size());
        for (int i = 0; i < messages.size(); i++) {
            Codec.Read frame = decoded.frames().get(i);
            assertEquals(messages.get(i).id(), frame.descriptor().id());
            assertEquals(messages.get(i).envelope(), frame.envelope());
            assertArrayEquals(messages.get(i).body().open().readAllBytes(), frame.body(), "body of frame " + i);
            if (!decoded.header().hasFrameDigests()) {
                assertNull(frame.descriptor().sha256());
            }
        }
        assertFalse(new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1)
                .contains("\"sha256\":\"" + "0".repeat(64)), "no placeholder digest left in the header");
        return file;
    }

    /** A file of one request whose stored payload is exactly {@code length} bytes (a valid segment layout). */
    private Path writeWithPayloadLength(long length) throws IOException {
        int body = (int) length;
        for (int tries = 0; tries < 8; tries++) {
            Path file = write(List.of(codec.request(randomBytes(body))));
            long got = codec.reader().readUnverifiedHeader(file).claims().payloadLength();
            if (got == length) {
                return file;
            }
            // Random bytes are stored raw: the overhead barely moves (a segment's tag more or less).
            body += (int) (length - got);
        }
        throw new AssertionError("no body gives a stored payload of " + length + " bytes");
    }

    private Path write(List<Message> messages) throws IOException {
        Path folder = Files.createDirectories(dir.resolve("out-" + files++));
        return codec.write(folder, 1, messages.stream().map(OutgoingFrame::whole).toList());
    }

    /** Reads the file as a receiver would; it must fail, and no frame may have been reported accepted. */
    private SpoolFileException assertRefused(Path file) {
        return assertThrows(SpoolFileException.class, () -> codec.read(file), file.getFileName() + " was accepted");
    }

    private byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }
}
