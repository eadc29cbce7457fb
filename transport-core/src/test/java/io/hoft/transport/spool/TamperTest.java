package io.hoft.transport.spool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.util.Base64URL;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.spool.SpoolFileException.Disposition;
import io.hoft.transport.spool.internal.Preamble;
import io.hoft.transport.spool.internal.SegmentCipher;
import io.hoft.transport.testing.Codec;
import io.hoft.transport.testing.FileForge;
import io.hoft.transport.testing.TestNodes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Damage a file the way links do, in every mode: flip a byte in every region (each preamble
 * field, the header, the padding, the wrapped key, each payload segment, the last segment) and
 * cut it short at many offsets. Nothing damaged is ever accepted, and each failure is of the
 * kind a receiver acts on: damage before the header verified is quarantined, damage after it
 * is nacked, and a short file is truncated or, while it may still be arriving, incomplete.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("configurations")
class TamperTest {
    private static final Duration SETTLE = Duration.ofSeconds(2);
    private static final int SEGMENT = SegmentCipher.MIN_SEGMENT_SIZE;

    record Config(FileMode mode, TestNodes.Keys keys) {
        @Override
        public String toString() {
            return mode + ", " + keys + " keys";
        }
    }

    static List<Config> configurations() {
        return List.of(
                new Config(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.EC),
                new Config(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.SHARED_SECRET),
                new Config(FileMode.SIGNED_PLAINTEXT, TestNodes.Keys.EC),
                new Config(FileMode.CHECKSUM_ONLY_UNAUTHENTICATED, TestNodes.Keys.EC));
    }

    @Parameter
    Config config;

    @TempDir
    Path dir;

    private Codec codec;
    /** One small request: a header, some padding, and a payload of one segment. */
    private byte[] small;
    /** A request whose random body fills five segments (in plaintext modes, about as many bytes). */
    private byte[] large;
    private Path scratch;

    @BeforeEach
    void setUp() throws IOException {
        codec = new Codec(config.mode(), config.keys());
        codec.options = new SpoolFileWriter.Options(3, SEGMENT);
        Message hello = new Message(MessageId.of("small"), Codec.NOW, Codec.NOW.plus(Duration.ofHours(1)),
                new Envelope.Request("POST", "/api", "api", List.of(new HeaderField("Content-Type", "text/plain"))),
                Body.ofBytes("hello".getBytes(StandardCharsets.US_ASCII)));
        byte[] random = new byte[4 * SEGMENT + 1000];
        new Random(1).nextBytes(random);
        small = Files.readAllBytes(codec.write(Files.createDirectory(dir.resolve("small")), hello));
        large = Files.readAllBytes(codec.write(Files.createDirectory(dir.resolve("large")), codec.request(random)));
        scratch = dir.resolve("damaged.hoft");
        assertAccepted(small); // both are valid before the damage
        assertAccepted(large);
    }

    // ---- flipped bytes ----

    @Test
    void flippingAnyPreambleByteIsRejected() throws IOException {
        for (int offset = 0; offset < Preamble.LENGTH; offset++) {
            SpoolFileException e = assertRejected(flip(small, offset), "preamble byte " + offset);
            Set<Class<?>> expected;
            if (offset < Preamble.VERSION_OFFSET) {
                expected = Set.of(MalformedFileException.class);
            } else if (offset == Preamble.VERSION_OFFSET) {
                expected = Set.of(UnsupportedVersionException.class);
            } else if (offset < Preamble.HEADER_LENGTH_OFFSET) {
                expected = Set.of(MalformedFileException.class);
            } else if (offset < Preamble.HEADER_SHA256_OFFSET) {
                // Lengths: too large, inconsistent, shorter so the digest no longer matches, or
                // reaching past the end of the file (which is all a reader can see of it).
                expected = Set.of(MalformedFileException.class, TooLargeException.class, CorruptFileException.class,
                        TruncatedFileException.class);
            } else {
                expected = Set.of(CorruptFileException.class);
            }
            assertKind(expected, e, "preamble byte " + offset);
            assertFalse(e.verifiedHeader().isPresent(), "preamble byte " + offset);
            assertEquals(Disposition.QUARANTINE, e.disposition(), "preamble byte " + offset);
        }
    }

    @Test
    void flippingAnyHeaderByteIsCorruptBeforeTheSignatureIsChecked() throws IOException {
        int headerLength = FileForge.of(small).header().length;
        for (int offset = Preamble.LENGTH; offset < Preamble.LENGTH + headerLength; offset++) {
            SpoolFileException e = assertRejected(flip(small, offset), "header byte " + offset);
            assertKind(Set.of(CorruptFileException.class), e, "header byte " + offset);
            assertEquals(Disposition.QUARANTINE, e.disposition());
        }
    }

    @Test
    void flippingAnyHeaderByteIsRejectedEvenWithThePreambleDigestRecomputed() throws IOException {
        // Anyone can recompute a digest; only the signature stops them. Checksum-only files have none.
        assumeTrue(config.mode().isSigned());
        byte[] header = FileForge.of(small).header();
        for (int i = 0; i < header.length; i++) {
            byte[] damaged = header.clone();
            damaged[i] ^= bit(i);
            if (sameJose(header, damaged)) {
                continue; // a flip of the unused low bits of a final base64url character: the same header
            }
            SpoolFileException e = assertRejected(FileForge.of(small).header(damaged).bytes(), "re-digested header byte " + i);
            assertKind(Set.of(SpoofedFileException.class, MalformedFileException.class), e, "re-digested header byte " + i);
            assertEquals(Disposition.QUARANTINE, e.disposition(), "re-digested header byte " + i);
        }
    }

    @Test
    void flippingAnyPaddingByteIsMalformed() throws IOException {
        FileForge forge = FileForge.of(small);
        int start = Preamble.LENGTH + forge.header().length;
        int padding = forge.padding().length;
        assertTrue(padding > 0, "the writer reserves room for the longest header, so a real file has padding");
        for (int offset = start; offset < start + padding; offset++) {
            SpoolFileException e = assertRejected(flip(small, offset), "padding byte " + offset);
            assertKind(Set.of(MalformedFileException.class), e, "padding byte " + offset);
        }
    }

    @Test
    void flippingTheWrappedContentKeyIsRejectedEvenWhenTheHeaderIsResignedAroundIt() throws IOException {
        assumeTrue(config.mode().isEncrypted());
        String key = FileForge.of(small).claims().get("encryption").get("key").asText();
        for (int i = 0; i < key.length(); i++) {
            char[] damaged = key.toCharArray();
            damaged[i] ^= bit(i);
            String broken = new String(damaged);
            if (sameJose(key, broken)) {
                continue; // the same bytes spelled differently: nothing was damaged
            }
            byte[] forged = FileForge.of(small).claims(c -> ((ObjectNode) c.get("encryption")).put("key", broken)).bytes();
            SpoolFileException e = assertRejected(forged, "wrapped key character " + i);
            assertKind(Set.of(CorruptFileException.class, MalformedFileException.class), e, "wrapped key character " + i);
            assertTrue(e.verifiedHeader().isPresent(), "wrapped key character " + i);
            assertEquals(Disposition.NACK, e.disposition(), "wrapped key character " + i);
        }
    }

    @Test
    void flippingBytesInEverySegmentAndTheLastIsCorruptOrMalformedAndNacked() throws IOException {
        int payloadOffset = ByteBuffer.wrap(large).getInt(Preamble.PAYLOAD_OFFSET_OFFSET);
        int payloadLength = large.length - payloadOffset;
        int sealed = SEGMENT + SegmentCipher.TAG_LENGTH;
        int segments = (payloadLength + sealed - 1) / sealed;
        if (config.mode().isEncrypted()) {
            assertEquals(5, segments);
        }
        TreeSet<Integer> offsets = new TreeSet<>();
        for (int s = 0; s < segments; s++) {
            int start = s * sealed;
            int end = Math.min(start + sealed, payloadLength);
            for (int at : new int[] {start, start + 1, (start + end) / 2, end - SegmentCipher.TAG_LENGTH - 1,
                    end - SegmentCipher.TAG_LENGTH, end - 1}) {
                offsets.add(at);
            }
        }
        for (int at = Math.max(0, payloadLength - 64); at < payloadLength; at++) {
            offsets.add(at); // the trailer: the last tag, or zstd's end of frame
        }
        for (int at = 0; at < payloadLength; at += 61) {
            offsets.add(at);
        }
        for (int at : offsets) {
            String where = "payload byte " + at + " (segment " + at / sealed + ")";
            SpoolFileException e = assertRejected(flip(large, payloadOffset + at), where);
            assertKind(Set.of(CorruptFileException.class, MalformedFileException.class), e, where);
            assertEquals(TestNodes.FRONT, e.verifiedHeader().orElseThrow().sender(), where);
            assertEquals(Disposition.NACK, e.disposition(), where);
        }
    }

    @Test
    void aPayloadCutAtASegmentBoundaryFailsAuthenticationEvenIfTheSignedHeaderAgreesWithTheCut() throws IOException {
        // The last-segment flag in the nonce (STREAM): dropping whole segments is caught by the
        // cipher itself, not only by the declared length. Only the sender could sign such a header.
        assumeTrue(config.mode().isEncrypted());
        FileForge forge = FileForge.of(large);
        int sealed = SEGMENT + SegmentCipher.TAG_LENGTH;
        byte[] twoSegments = Arrays.copyOf(forge.payload(), 2 * sealed);
        forge.rawPayload(twoSegments).claims(c -> ((ObjectNode) c.get("payload"))
                .put("length", twoSegments.length).put("sha256", FileForge.sha256Hex(twoSegments)));
        SpoolFileException e = assertRejected(forge.bytes(), "a payload cut after two segments");
        assertEquals(CorruptFileException.class, e.getClass());
        assertTrue(e.getMessage().contains("segment 1 of 2 fails authentication"), e.getMessage());
    }

    // ---- truncation ----

    @Test
    void cuttingASmallFileAtEveryOffsetIsTruncatedOrIncompleteNeverAccepted() throws IOException {
        for (int length = 0; length < small.length; length++) {
            assertShort(small, length);
        }
    }

    @Test
    void cuttingAMultiSegmentFileAtSegmentBoundariesAndElsewhereIsTruncatedOrIncomplete() throws IOException {
        int payloadOffset = ByteBuffer.wrap(large).getInt(Preamble.PAYLOAD_OFFSET_OFFSET);
        TreeSet<Integer> lengths = new TreeSet<>(List.of(0, 1, Preamble.LENGTH - 1, Preamble.LENGTH, payloadOffset - 1,
                payloadOffset, payloadOffset + 1, large.length - 1));
        int sealed = SEGMENT + SegmentCipher.TAG_LENGTH;
        for (int boundary = payloadOffset; boundary < large.length; boundary += sealed) {
            for (int delta = -17; delta <= 17; delta++) {
                int length = boundary + delta;
                if (length >= 0 && length < large.length) {
                    lengths.add(length);
                }
            }
        }
        Random random = new Random(5);
        for (int i = 0; i < 100; i++) {
            lengths.add(random.nextInt(large.length));
        }
        for (int length : lengths) {
            assertShort(large, length);
        }
    }

    @Test
    void aFileStillBeingCopiedInIsIncompleteAndLookedAtAgainLater() throws IOException {
        int payloadOffset = ByteBuffer.wrap(large).getInt(Preamble.PAYLOAD_OFFSET_OFFSET);
        Files.write(scratch, Arrays.copyOf(large, payloadOffset + 100));
        Files.setLastModifiedTime(scratch, FileTime.from(codec.clock.instant().minusMillis(500)));

        SpoolFileException e = assertRejected(scratch, "a growing file");
        assertEquals(IncompleteFileException.class, e.getClass());
        assertEquals(Disposition.RETRY_LATER, e.disposition());
        assertTrue(e.verifiedHeader().isPresent());

        // Once its size has settled without growing, the same file is truncated, and its sender is nacked.
        codec.clock.advance(SETTLE);
        SpoolFileException later = assertRejected(scratch, "a settled short file");
        assertEquals(TruncatedFileException.class, later.getClass());
        assertEquals(Disposition.NACK, later.disposition());

        // And once the rest arrives, it is accepted.
        assertAccepted(large);
    }

    // ---- helpers ----

    /** The file cut to {@code length} bytes: truncated when old, incomplete when fresh, truncated as a stream. */
    private void assertShort(byte[] file, int length) throws IOException {
        byte[] cut = Arrays.copyOf(file, length);
        String where = "cut to " + length + " of " + file.length + " bytes";
        boolean pastHeader = length >= ByteBuffer.wrap(file).getInt(Preamble.PAYLOAD_OFFSET_OFFSET);

        Files.write(scratch, cut);
        Files.setLastModifiedTime(scratch, FileTime.from(codec.clock.instant().minus(Duration.ofHours(1))));
        SpoolFileException old = assertRejected(scratch, where + ", old");
        assertEquals(TruncatedFileException.class, old.getClass(), where + ", old: " + old.getMessage());
        assertEquals(pastHeader, old.verifiedHeader().isPresent(), where);
        assertEquals(pastHeader ? Disposition.NACK : Disposition.QUARANTINE, old.disposition(), where);

        Files.setLastModifiedTime(scratch, FileTime.from(codec.clock.instant()));
        SpoolFileException fresh = assertRejected(scratch, where + ", fresh");
        assertEquals(IncompleteFileException.class, fresh.getClass(), where + ", fresh: " + fresh.getMessage());
        assertEquals(Disposition.RETRY_LATER, fresh.disposition(), where);

        SpoolFileException streamed = assertRejectedAsStream(cut, where + ", as a stream");
        assertEquals(TruncatedFileException.class, streamed.getClass(), where + ", as a stream: " + streamed.getMessage());
    }

    private SpoolFileException assertRejected(byte[] bytes, String where) throws IOException {
        Files.write(scratch, bytes);
        Files.setLastModifiedTime(scratch, FileTime.from(codec.clock.instant().minus(Duration.ofHours(1))));
        return assertRejected(scratch, where);
    }

    /** Decodes the file completely; it must fail with a {@link SpoolFileException}, nothing else. */
    private SpoolFileException assertRejected(Path file, String where) {
        try {
            try (SpoolFile spoolFile = codec.reader().open(file, SETTLE)) {
                readAll(spoolFile);
            }
        } catch (SpoolFileException e) {
            return e;
        } catch (IOException | RuntimeException e) {
            throw new AssertionError(where + ": failed with " + e + " instead of a SpoolFileException", e);
        }
        return fail("accepted a file with " + where);
    }

    private SpoolFileException assertRejectedAsStream(byte[] bytes, String where) {
        try (SpoolFile spoolFile = codec.reader().open(new ByteArrayInputStream(bytes))) {
            readAll(spoolFile);
        } catch (SpoolFileException e) {
            return e;
        } catch (IOException | RuntimeException e) {
            throw new AssertionError(where + ": failed with " + e + " instead of a SpoolFileException", e);
        }
        return fail("accepted a file " + where);
    }

    private void assertAccepted(byte[] bytes) throws IOException {
        Files.write(scratch, bytes);
        try (SpoolFile spoolFile = codec.reader().open(scratch, SETTLE)) {
            readAll(spoolFile);
        }
    }

    private static void readAll(SpoolFile spoolFile) throws IOException {
        spoolFile.readFrames(frame -> frame.body().transferTo(OutputStream.nullOutputStream()));
    }

    private static void assertKind(Set<Class<?>> expected, SpoolFileException e, String where) {
        assertTrue(expected.contains(e.getClass()), where + ": " + e.getClass().getSimpleName() + " (" + e.getMessage()
                + "), expected one of " + expected.stream().map(Class::getSimpleName).toList());
    }

    /** One bit, a different one from byte to byte, so every bit position gets flipped somewhere. */
    private static byte bit(int offset) {
        return (byte) (1 << (offset % 8));
    }

    private static byte[] flip(byte[] file, int offset) {
        byte[] damaged = file.clone();
        damaged[offset] ^= bit(offset);
        return damaged;
    }

    private static boolean sameJose(byte[] a, byte[] b) {
        return sameJose(new String(a, StandardCharsets.ISO_8859_1), new String(b, StandardCharsets.ISO_8859_1));
    }

    /**
     * True if two compact JOSE strings differ only in the unused low bits of a part's final
     * base64url character, so they stand for the very same bytes (RFC 4648 section 3.5 lets
     * decoders accept that; the header digest in the preamble pins the exact spelling anyway).
     */
    private static boolean sameJose(String a, String b) {
        String[] pa = a.split("\\.", -1);
        String[] pb = b.split("\\.", -1);
        if (pa.length != pb.length) {
            return false;
        }
        for (int i = 0; i < pa.length; i++) {
            if (pa[i].equals(pb[i])) {
                continue;
            }
            String x = pa[i];
            String y = pb[i];
            if (x.length() != y.length() || x.isEmpty() || !x.substring(0, x.length() - 1).equals(y.substring(0, y.length() - 1))
                    || !isBase64Url(y.charAt(y.length() - 1))) {
                return false;
            }
            if (!Arrays.equals(new Base64URL(x).decode(), new Base64URL(y).decode())) {
                return false;
            }
        }
        return true;
    }

    private static boolean isBase64Url(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }
}
