package io.hoft.transport.spool.vectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.message.SeqRange;
import io.hoft.transport.spool.FileMode;
import io.hoft.transport.spool.FragmentInfo;
import io.hoft.transport.spool.ModePolicy;
import io.hoft.transport.spool.OutgoingFrame;
import io.hoft.transport.spool.SpoolFileException;
import io.hoft.transport.spool.SpoolFileReader;
import io.hoft.transport.spool.SendingSessions;
import io.hoft.transport.spool.SessionPolicy;
import io.hoft.transport.spool.SpoolFileWriter;
import io.hoft.transport.spool.SpoolLimits;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proves SPEC.md is enough to decode hoft files: {@code tools/decode-spool.py}, written from
 * SPEC.md with jwcrypto, the cryptography package and the zstd CLI, decodes every committed
 * vector and freshly written files in every mode to exactly what the Java reader decodes, and
 * rejects damaged files with the same reason as the Java reader.
 *
 * <p>Skipped, not failed, where python3 with jwcrypto and cryptography or the zstd CLI is
 * missing ({@code apt-get install python3-jwcrypto python3-cryptography zstd}). The
 * interpreter can be named with {@code -Dhoft.python=/path/to/python3}.
 */
class IndependentDecoderTest {
    static final Path SCRIPT = Paths.get("..", "tools", "decode-spool.py");
    static final NodeId FRONT = NodeId.of("front");
    static final NodeId BACK = NodeId.of("back");
    static final long EPOCH = 1_767_225_600_000L;

    static String python;

    @TempDir
    Path dir;

    @BeforeAll
    static void findDecoder() {
        python = findPython();
        Assumptions.assumeTrue(python != null, "skipping the independent decoder: no python3 with jwcrypto and"
                + " cryptography (Debian: apt-get install python3-jwcrypto python3-cryptography)");
        Assumptions.assumeTrue(runs("zstd", "--version"), "skipping the independent decoder: no zstd CLI on the PATH"
                + " (Debian: apt-get install zstd)");
        assertTrue(Files.isRegularFile(SCRIPT), SCRIPT.toAbsolutePath() + " exists");
    }

    static List<Path> vectors() throws IOException {
        return SpecVectors.vectorDirs();
    }

    @ParameterizedTest
    @MethodSource("vectors")
    void decodesEveryCommittedVectorToItsExpectedContent(Path vectorDir) throws Exception {
        JsonNode expected = SpecVectors.readJson(vectorDir.resolve("expected.json"));
        JsonNode with = expected.get("decodeWith");
        List<String> args = new ArrayList<>(List.of("--keys", SpecVectors.dir().resolve(with.get("keys").asText()).toString(),
                "--now", with.get("now").asText()));
        with.get("trust").forEach(t -> args.addAll(List.of("--trust", SpecVectors.dir().resolve(t.asText()).toString())));
        if (with.get("allowChecksumOnly").asBoolean()) {
            args.addAll(List.of("--allow-checksum-only", "front"));
        }
        Result result = decode(SpecVectors.spoolFile(vectorDir), args);
        assertEquals(0, result.exit, "decode-spool.py failed on " + vectorDir.getFileName() + ": " + result.stderr);
        assertSameDescription(expected, SpecVectors.JSON.readTree(result.stdout));
    }

    @Test
    void decodesFreshFilesInEveryModeLikeTheJavaReader() throws Exception {
        Keyring frontEc = SpecVectors.keyring(VectorGenerator.FRONT_KEYS, List.of(VectorGenerator.BACK_PUBLIC));
        Keyring frontShared = SpecVectors.keyring(VectorGenerator.FRONT_KEYS, List.of(VectorGenerator.SHARED_HELD_BY_FRONT));
        SpoolFileWriter.Options small = new SpoolFileWriter.Options(3, 4096);
        long seq = 1;
        List<Path> files = new ArrayList<>();
        for (FileMode mode : FileMode.values()) {
            files.add(write(frontEc, mode, SpoolFileWriter.Options.DEFAULT, seq++, everyKind()));
            files.add(write(frontShared, mode, small, seq++, everyKind()));
        }
        files.add(write(frontEc, FileMode.SIGNED_ENCRYPTED, small, seq++, fragment()));
        SendingSessions sessions = new SendingSessions(frontEc, SessionPolicy.DEFAULT);
        for (FileMode mode : List.of(FileMode.SIGNED_ENCRYPTED, FileMode.SIGNED_PLAINTEXT)) {
            files.add(write(frontEc, mode, small, seq++, everyKind(), sessions));
        }
        files.add(write(frontEc, FileMode.SIGNED_ENCRYPTED, small, seq++, fragment(), sessions));
        files.add(write(frontShared, FileMode.SIGNED_PLAINTEXT, SpoolFileWriter.Options.DEFAULT, seq++,
                List.of(OutgoingFrame.whole(Message.of(id(), SpecVectors.NOW, SpecVectors.NOW.plusSeconds(60),
                        new Envelope.Heartbeat(30_000, 41, 38))))));

        SpoolFileReader reader = backReader(SpecVectors.clock());
        for (Path file : files) {
            JsonNode java = SpecVectors.decodeAndDescribe(reader, file);
            Result result = decode(file, backArgs(SpecVectors.NOW));
            assertEquals(0, result.exit, "decode-spool.py failed on " + file.getFileName() + ": " + result.stderr);
            assertSameDescription(java, SpecVectors.JSON.readTree(result.stdout));
        }
    }

    @Test
    void rejectsDamagedFilesWithTheSameReasonAsTheJavaReader() throws Exception {
        Keyring frontEc = SpecVectors.keyring(VectorGenerator.FRONT_KEYS, List.of(VectorGenerator.BACK_PUBLIC));
        Keyring frontShared = SpecVectors.keyring(VectorGenerator.FRONT_KEYS, List.of(VectorGenerator.SHARED_HELD_BY_FRONT));
        SpoolFileWriter.Options small = new SpoolFileWriter.Options(3, 4096);
        List<Path> originals = List.of(
                write(frontEc, FileMode.SIGNED_ENCRYPTED, small, 101, everyKind()),
                write(frontShared, FileMode.SIGNED_PLAINTEXT, small, 102, everyKind()),
                write(frontEc, FileMode.CHECKSUM_ONLY_UNAUTHENTICATED, small, 103, everyKind()),
                write(frontEc, FileMode.SIGNED_ENCRYPTED, small, 104, everyKind(),
                        new SendingSessions(frontEc, SessionPolicy.DEFAULT)));
        int cases = 0;
        for (Path original : originals) {
            byte[] bytes = Files.readAllBytes(original);
            ByteBuffer preamble = ByteBuffer.wrap(bytes);
            int headerLength = preamble.getInt(8);
            int payloadOffset = preamble.getInt(12);
            int size = bytes.length;
            int[] flips = {0, 4, 6, 10, 20, 48, 48 + headerLength / 2, 48 + headerLength - 1, payloadOffset - 1,
                payloadOffset, payloadOffset + 1, payloadOffset + 40, (payloadOffset + size) / 2, size - 17, size - 1};
            for (int offset : flips) {
                byte[] damaged = bytes.clone();
                damaged[offset] ^= 0x20;
                cases += compareRejection(original, damaged, "byte " + offset + " flipped");
            }
            int[] cuts = {0, 1, 47, 48, 48 + headerLength / 2, payloadOffset, payloadOffset + 1, (payloadOffset + size) / 2,
                size - 1};
            for (int cut : cuts) {
                cases += compareRejection(original, Arrays.copyOf(bytes, cut), "cut at " + cut);
            }
            byte[] longer = Arrays.copyOf(bytes, size + 1);
            cases += compareRejection(original, longer, "one byte appended");
        }
        assertTrue(cases > 50, "compared " + cases + " damaged files");
    }

    @Test
    void rejectsDamagedLargeFilesLikeTheJavaReaderWhoseSecondThreadReadsAhead() throws Exception {
        Keyring frontEc = SpecVectors.keyring(VectorGenerator.FRONT_KEYS, List.of(VectorGenerator.BACK_PUBLIC));
        byte[] body = new byte[3 << 19]; // 1.5 MiB: the Java reader reads, hashes and opens it on a second thread
        new Random(43).nextBytes(body);
        Instant now = SpecVectors.NOW;
        Message request = new Message(id(), now, now.plus(Duration.ofDays(1)),
                new Envelope.Request("PUT", "/blob", "files", List.of()), Body.ofBytes(body));
        for (FileMode mode : List.of(FileMode.SIGNED_ENCRYPTED, FileMode.SIGNED_PLAINTEXT)) {
            Path original = write(frontEc, mode, new SpoolFileWriter.Options(1, 4096), mode.ordinal() + 301,
                    List.of(OutgoingFrame.whole(request)));
            byte[] bytes = Files.readAllBytes(original);
            int payloadOffset = ByteBuffer.wrap(bytes).getInt(12);
            int size = bytes.length;
            for (int offset : new int[] {(payloadOffset + size) / 2, size - 1}) {
                byte[] damaged = bytes.clone();
                damaged[offset] ^= 0x20;
                compareRejection(original, damaged, "byte " + offset + " flipped");
            }
        }
    }

    @Test
    void rejectsExpiredAndMisaddressedFilesLikeTheJavaReader() throws Exception {
        Keyring frontEc = SpecVectors.keyring(VectorGenerator.FRONT_KEYS, List.of(VectorGenerator.BACK_PUBLIC));
        Path file = write(frontEc, FileMode.SIGNED_ENCRYPTED, SpoolFileWriter.Options.DEFAULT, 201, everyKind());

        Instant later = SpecVectors.NOW.plus(Duration.ofDays(2));
        assertEquals("expired", javaReason(backReader(Clock.fixed(later, ZoneOffset.UTC)), file));
        assertEquals("expired", pythonReason(decode(file, backArgs(later))));

        SpoolFileReader asFront = new SpoolFileReader(
                SpecVectors.keyring(VectorGenerator.FRONT_KEYS, List.of(VectorGenerator.BACK_PUBLIC)),
                ModePolicy.SIGNED_ONLY, SpoolLimits.DEFAULT, SpecVectors.clock());
        // front trusts only back, so its own signature is unknown to it: spoofed before misaddressed.
        assertEquals("spoofed", javaReason(asFront, file));
        assertEquals("spoofed", pythonReason(decode(file, List.of(
                "--keys", keyPath(VectorGenerator.FRONT_KEYS), "--trust", keyPath(VectorGenerator.BACK_PUBLIC),
                "--now", Long.toString(SpecVectors.NOW.toEpochMilli())))));
        SpoolFileReader frontTrustingItself = new SpoolFileReader(
                SpecVectors.keyring(VectorGenerator.FRONT_KEYS, List.of(VectorGenerator.FRONT_PUBLIC)),
                ModePolicy.SIGNED_ONLY, SpoolLimits.DEFAULT, SpecVectors.clock());
        assertEquals("misaddressed", javaReason(frontTrustingItself, file));
        assertEquals("misaddressed", pythonReason(decode(file, List.of(
                "--keys", keyPath(VectorGenerator.FRONT_KEYS), "--trust", keyPath(VectorGenerator.FRONT_PUBLIC),
                "--now", Long.toString(SpecVectors.NOW.toEpochMilli())))));
    }

    // --- files ---------------------------------------------------------------------------------

    /** One message of every kind, with obs-text, repeated headers and a body spanning several segments. */
    private static List<OutgoingFrame> everyKind() {
        Instant now = SpecVectors.NOW;
        Instant later = now.plus(Duration.ofDays(1));
        byte[] body = new byte[20_000];
        new Random(42).nextBytes(body);
        MessageId request = id();
        List<Message> messages = List.of(
                new Message(request, now, later, new Envelope.Request("PATCH", "/a/b?c=%20&d=\u00ff", "api", List.of(
                        new HeaderField("Content-Type", "application/octet-stream"),
                        new HeaderField("Accept", "*/*"),
                        new HeaderField("Accept", "text/plain"),
                        HeaderField.ofBytes("X-Raw".getBytes(StandardCharsets.US_ASCII), new byte[] {'a', (byte) 0x80, (byte) 0xFF, 0x09, 'z'}))),
                        Body.ofBytes(body)),
                new Message(id(), now, later, new Envelope.Response(request, 502, "Bad Gateway", List.of(
                        new HeaderField("Hoft-Error", "upstream-unreachable")), "upstream-unreachable"),
                        Body.ofBytes("no route".getBytes(StandardCharsets.US_ASCII))),
                Message.of(id(), now, later, new Envelope.Ack(EPOCH, 7, List.of(new SeqRange(9, 9), new SeqRange(11, 20)))),
                Message.of(id(), now, now.plus(Duration.ofHours(1)), new Envelope.Nack(EPOCH, List.of(new SeqRange(8, 8)), "corrupt")),
                Message.of(id(), now, later, new Envelope.Heartbeat(30_000, 41, 38)),
                Message.of(id(), now, later, new Envelope.Status(request, "delivered", now.toEpochMilli(), null)));
        List<OutgoingFrame> frames = new ArrayList<>();
        messages.forEach(m -> frames.add(OutgoingFrame.whole(m)));
        return frames;
    }

    private static List<OutgoingFrame> fragment() {
        byte[] body = new byte[9000];
        new Random(7).nextBytes(body);
        Message message = new Message(id(), SpecVectors.NOW, SpecVectors.NOW.plus(Duration.ofDays(1)),
                new Envelope.Response(id(), 200, "OK", List.of(new HeaderField("Content-Type", "image/png")), null),
                Body.ofBytes(body));
        return List.of(new OutgoingFrame(message, new FragmentInfo(0, 2, 0, 9000), 0, 5000));
    }

    private Path write(Keyring keyring, FileMode mode, SpoolFileWriter.Options options, long seq, List<OutgoingFrame> frames)
            throws IOException {
        return write(keyring, mode, options, seq, frames, null);
    }

    /** A file keyed by {@code sessions} (version 2), or signed on its own when it is null. */
    private Path write(Keyring keyring, FileMode mode, SpoolFileWriter.Options options, long seq, List<OutgoingFrame> frames,
            SendingSessions sessions) throws IOException {
        Path folder = Files.createDirectories(dir.resolve("seq-" + seq));
        SpoolFileWriter writer = new SpoolFileWriter(keyring, mode, options, SpecVectors.clock(), Disk.REAL, sessions);
        return writer.publish(writer.write(new SpoolFileWriter.Address(BACK, EPOCH, seq), frames, folder), folder);
    }

    private static MessageId id() {
        return MessageId.generate(SpecVectors.clock());
    }

    // --- readers ---------------------------------------------------------------------------------

    private static SpoolFileReader backReader(Clock clock) throws IOException {
        Keyring back = SpecVectors.keyring(VectorGenerator.BACK_KEYS,
                List.of(VectorGenerator.FRONT_PUBLIC, VectorGenerator.SHARED_HELD_BY_BACK));
        ModePolicy policy = ModePolicy.SIGNED_ONLY.with(FRONT, EnumSet.allOf(FileMode.class));
        return new SpoolFileReader(back, policy, SpoolLimits.DEFAULT, clock);
    }

    private static List<String> backArgs(Instant now) {
        return List.of("--keys", keyPath(VectorGenerator.BACK_KEYS),
                "--trust", keyPath(VectorGenerator.FRONT_PUBLIC),
                "--trust", keyPath(VectorGenerator.SHARED_HELD_BY_BACK),
                "--allow-checksum-only", "front",
                "--now", Long.toString(now.toEpochMilli()));
    }

    private static String keyPath(String relative) {
        return SpecVectors.dir().resolve(relative).toString();
    }

    private int compareRejection(Path original, byte[] damaged, String what) throws Exception {
        Path folder = Files.createDirectories(dir.resolve("damaged"));
        Path file = folder.resolve(original.getFileName());
        Files.write(file, damaged);
        String java = javaReason(backReader(SpecVectors.clock()), file);
        String python = pythonReason(decode(file, backArgs(SpecVectors.NOW)));
        assertEquals(java, python, original.getFileName() + " with " + what + ": Java says " + java + ", decode-spool.py " + python);
        return 1;
    }

    private static String javaReason(SpoolFileReader reader, Path file) {
        try {
            SpecVectors.decode(reader, file);
            return "accepted";
        } catch (SpoolFileException e) {
            return e.reason();
        } catch (IOException e) {
            return "io-error: " + e;
        }
    }

    private static String pythonReason(Result result) {
        if (result.exit == 0) {
            return "accepted";
        }
        String prefix = "rejected: ";
        if (result.exit != 2 || !result.stderr.startsWith(prefix)) {
            fail("decode-spool.py failed unexpectedly (exit " + result.exit + "): " + result.stderr);
        }
        return result.stderr.substring(prefix.length(), result.stderr.indexOf(':', prefix.length()));
    }

    private static void assertSameDescription(JsonNode expected, JsonNode actual) throws IOException {
        assertEquals(SpecVectors.comparable(expected).toPrettyString(), SpecVectors.comparable(actual).toPrettyString());
    }

    // --- running the script --------------------------------------------------------------------

    record Result(int exit, String stdout, String stderr) {}

    private Result decode(Path file, List<String> args) throws Exception {
        List<String> command = new ArrayList<>(List.of(python, SCRIPT.toString()));
        command.addAll(args);
        command.add(file.toString());
        Path out = Files.createTempFile(dir, "out", ".json");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("decode-spool.py did not finish on " + file);
        }
        return new Result(process.exitValue(), Files.readString(out), Files.readString(err).trim());
    }

    private static String findPython() {
        List<String> candidates = new ArrayList<>();
        String configured = System.getProperty("hoft.python");
        if (configured != null && !configured.isBlank()) {
            candidates.add(configured);
        }
        // A pyenv or venv python3 on the PATH may lack Debian's python3-jwcrypto; /usr/bin/python3 has it.
        candidates.addAll(List.of("python3", "/usr/bin/python3"));
        for (String candidate : candidates) {
            if (runs(candidate, "-c", "import jwcrypto.jwe, jwcrypto.jws, cryptography.hazmat.primitives.ciphers.aead")) {
                return candidate;
            }
        }
        return null;
    }

    private static boolean runs(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
