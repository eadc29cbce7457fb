package io.hoft.transport.spool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.message.SeqRange;
import io.hoft.transport.testing.Codec;
import io.hoft.transport.testing.SlicingInputStream;
import io.hoft.transport.testing.TestNodes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One round-trip suite (Netty's {@code AbstractIntegrationTest}) run over every configuration of
 * the codec: each mode, each kind of key where it matters, the smallest segment size, and the
 * fastest and strongest compression levels. Every file is decoded twice over: from its path, and
 * as a stream fed in random-size slices with several seeds, and both must give back exactly
 * what went in (ids, kinds, times, envelope, body bytes).
 */
@ParameterizedClass(name = "{0}")
@MethodSource("configurations")
class RoundTripTest {
    private static final Duration SETTLE = Duration.ofSeconds(2);

    /** One codec configuration. */
    record Config(FileMode mode, TestNodes.Keys keys, int level, int segmentSize) {
        @Override
        public String toString() {
            return mode + ", " + keys + " keys, zstd " + level + (mode.isEncrypted() ? ", segments of " + segmentSize : "");
        }
    }

    static List<Config> configurations() {
        return List.of(
                new Config(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.EC, 3, 65536),
                new Config(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.SHARED_SECRET, 3, 65536),
                new Config(FileMode.SIGNED_PLAINTEXT, TestNodes.Keys.EC, 3, 65536),
                new Config(FileMode.SIGNED_PLAINTEXT, TestNodes.Keys.SHARED_SECRET, 3, 65536),
                // Checksum-only signs and encrypts nothing, so which keys the nodes hold does not matter.
                new Config(FileMode.CHECKSUM_ONLY_UNAUTHENTICATED, TestNodes.Keys.EC, 3, 65536),
                new Config(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.EC, 1, 4096),
                new Config(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.SHARED_SECRET, 19, 4096),
                new Config(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.SESSION, 3, 65536),
                new Config(FileMode.SIGNED_PLAINTEXT, TestNodes.Keys.SESSION, 3, 65536),
                new Config(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.SESSION, 1, 4096));
    }

    @Parameter
    Config config;

    @TempDir
    Path dir;

    private Codec codec;
    private Path outbox;
    private final Random random = new Random(20261122);

    @BeforeEach
    void setUp() throws IOException {
        codec = new Codec(config.mode(), config.keys());
        codec.options = new SpoolFileWriter.Options(config.level(), config.segmentSize());
        outbox = Files.createDirectory(dir.resolve("outbox"));
    }

    @Test
    void emptyBodyRoundTrips() throws IOException {
        assertRoundTrips(List.of(codec.request(new byte[0])));
    }

    @Test
    void oneByteBodyRoundTrips() throws IOException {
        assertRoundTrips(List.of(codec.request(new byte[] {(byte) 0xff})));
    }

    @Test
    void oneMebibyteOfRandomBytesRoundTrips() throws IOException {
        assertRoundTrips(List.of(codec.request(randomBytes(1 << 20))));
    }

    @Test
    void compressibleTextRoundTripsAndIsCompressedBeforeItIsSealed() throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 512 * 1024; i++) {
            text.append("{\"item\":").append(i).append(",\"name\":\"widget number ").append(i % 97).append("\"}\n");
        }
        byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
        Path file = assertRoundTrips(List.of(codec.request(body)));
        assertTrue(Files.size(file) < body.length / 4, "a file of " + Files.size(file) + " bytes for " + body.length + " bytes of text");
    }

    @Test
    void longRunsOfOneByteRoundTrip() throws IOException {
        byte[] body = new byte[3 * config.segmentSize() + 1];
        Arrays.fill(body, (byte) 'a');
        Arrays.fill(body, body.length / 2, body.length, (byte) 0);
        assertRoundTrips(List.of(codec.request(body)));
    }

    @Test
    void headersKeepObsTextBytesTheirOrderAndRepeats() throws IOException {
        List<HeaderField> headers = List.of(
                new HeaderField("Set-Cookie", "a=1"),
                new HeaderField("X-Obs-Text", "caf\u00e9 \u0080\u00ff\u00a0\t end"),
                HeaderField.ofBytes("X-Raw".getBytes(StandardCharsets.US_ASCII), new byte[] {(byte) 0x80, 0x41, (byte) 0xfe}),
                new HeaderField("Set-Cookie", "b=2"),
                new HeaderField("x-empty", ""),
                new HeaderField("Set-Cookie", "a=1"));
        Message request = new Message(MessageId.of("obs-text-request"), Codec.NOW, Codec.NOW.plusSeconds(60),
                new Envelope.Request("GET", "/caf\u00e9?q=\u00ff", "api", headers), Body.EMPTY);
        Message response = new Message(MessageId.of("obs-text-response"), Codec.NOW, Codec.NOW.plusSeconds(60),
                new Envelope.Response(request.id(), 200, "OK \u00e9", headers, null), Body.ofBytes(new byte[] {1, 2, 3}));

        Path file = assertRoundTrips(List.of(request, response));

        Envelope.Request decoded = (Envelope.Request) codec.read(file).frames().get(0).envelope();
        assertEquals(headers, decoded.headers());
        assertArrayEquals(new byte[] {(byte) 0x80, 0x41, (byte) 0xfe}, decoded.headers().get(2).valueBytes());
    }

    @Test
    void everyMessageKindRoundTripsInOneFile() throws IOException {
        Path file = assertRoundTrips(everyKind());
        assertEquals("mix", SpoolFileName.parse(file.getFileName().toString()).orElseThrow().kind());
    }

    @Test
    void aFileOfAcksNacksAndHeartbeatsOnlyRoundTripsAsControl() throws IOException {
        Instant at = Codec.NOW;
        List<Message> control = List.of(
                Message.of(MessageId.of("ack-1"), at, at.plusSeconds(600),
                        new Envelope.Ack(1_700_000_000_000L, 41, List.of(new SeqRange(43, 45), SeqRange.single(50)))),
                Message.of(MessageId.of("nack-1"), at, at.plusSeconds(600),
                        new Envelope.Nack(1_700_000_000_000L, List.of(SeqRange.single(42)), "corrupt")),
                Message.of(MessageId.of("beat-1"), at, at.plusSeconds(60), new Envelope.Heartbeat(30_000, 41, 38)));
        Path file = assertRoundTrips(control);
        SpoolFileName name = SpoolFileName.parse(file.getFileName().toString()).orElseThrow();
        assertEquals("ctl", name.kind());
        assertTrue(codec.read(file).header().isControlOnly());
    }

    @Test
    void manySmallMessagesCollatedIntoFewFilesAllComeBackIdenticalAndInOrder() throws IOException {
        List<Message> messages = new ArrayList<>();
        List<Message> kinds = everyKind();
        for (int i = 0; i < 400; i++) {
            Message template = kinds.get(i % kinds.size());
            Instant created = Codec.NOW.minusMillis(random.nextInt(100_000));
            Instant expires = Codec.NOW.plusMillis(1 + random.nextInt(10_000_000));
            Body body = template.body().length() == 0 ? Body.EMPTY : Body.ofBytes(randomBytes(random.nextInt(2048)));
            messages.add(new Message(MessageId.of("m-" + i), created, expires, template.envelope(), body));
        }
        List<List<OutgoingFrame>> files = new Collator(32 * 1024, 64).collate(messages);
        assertTrue(files.size() > 1 && files.size() < messages.size() / 10, files.size() + " files");

        List<Codec.Read> decoded = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            assertTrue(files.get(i).size() <= 64);
            Path file = codec.write(outbox, i + 1, files.get(i));
            List<Message> expected = files.get(i).stream().map(OutgoingFrame::message).toList();
            assertDecodesToFromEveryInput(file, expected);
            decoded.addAll(codec.read(file).frames());
        }
        assertEquals(messages.size(), decoded.size());
        for (int i = 0; i < messages.size(); i++) {
            assertFrame(messages.get(i), decoded.get(i));
        }
    }

    @Test
    void aBodyOfThreeTimesTheMaxFileSizeIsFragmentedAndReassembledOutOfOrder() throws IOException {
        long maxFileBytes = 4 * SpoolLimits.MIB;
        long perFile = Fragmenter.bodyBytesPerFile(maxFileBytes);
        byte[] original = randomBytes((int) (3 * maxFileBytes));
        Path bodyFile = Files.write(dir.resolve("body.bin"), original);
        Message message = codec.request(Body.ofFile(bodyFile));

        List<OutgoingFrame> fragments = Fragmenter.split(message, perFile);
        assertEquals((original.length + perFile - 1) / perFile, fragments.size());
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < fragments.size(); i++) {
            Path file = codec.write(outbox, i + 1, List.of(fragments.get(i)));
            assertTrue(Files.size(file) <= maxFileBytes, file.getFileName() + " has " + Files.size(file) + " bytes");
            SpoolFileName name = SpoolFileName.parse(file.getFileName().toString()).orElseThrow();
            assertEquals(i + 1, name.part());
            assertEquals(fragments.size(), name.parts());
            files.add(file);
        }

        Collections.shuffle(files, new Random(7));
        FragmentedBody whole = new FragmentedBody(dir.resolve("reassembled.bin"));
        for (int i = 0; i < files.size(); i++) {
            assertFalse(whole.isComplete(), "completed before its last fragment");
            assertFragmentDecodesAloneFromEveryInput(files.get(i), original);
            deliver(whole, files.get(i));
        }

        assertTrue(whole.isComplete());
        assertEquals(original.length, Files.size(whole.file()));
        assertEquals(-1, Files.mismatch(whole.file(), bodyFile), "reassembled body differs from the original");
        assertEquals(message.id(), whole.lastDescriptor().id());
        assertEquals(message.envelope(), whole.envelope());
        assertEquals(TestNodes.FRONT, whole.sender());
    }

    // ---- the checks every case shares ----

    /** Writes the messages as one file and checks it decodes to them from every input; returns the file. */
    private Path assertRoundTrips(List<Message> messages) throws IOException {
        List<OutgoingFrame> frames = messages.stream().map(OutgoingFrame::whole).toList();
        Path file = codec.write(outbox, 1, frames);
        assertDecodesToFromEveryInput(file, messages);
        return file;
    }

    private void assertDecodesToFromEveryInput(Path file, List<Message> expected) throws IOException {
        Codec.Decoded fromPath = codec.read(file);
        assertHeader(file, fromPath.header());
        assertFrames(expected, fromPath.frames());
        for (long[] slicing : slicings(Files.size(file))) {
            try (InputStream in = new SlicingInputStream(Files.newInputStream(file), slicing[0], (int) slicing[1]);
                    SpoolFile spoolFile = codec.reader().open(in)) {
                Codec.Decoded fromStream = Codec.readAll(spoolFile);
                assertEquals(fromPath.header(), fromStream.header());
                assertFrames(expected, fromStream.frames());
            }
        }
    }

    private void assertFragmentDecodesAloneFromEveryInput(Path file, byte[] original) throws IOException {
        for (long[] slicing : slicings(Files.size(file))) {
            try (InputStream in = new SlicingInputStream(Files.newInputStream(file), slicing[0], (int) slicing[1]);
                    SpoolFile spoolFile = codec.reader().open(in)) {
                assertHeader(file, spoolFile.header());
                Codec.Read frame = Codec.readAll(spoolFile).frames().get(0);
                FragmentInfo fragment = frame.descriptor().fragment();
                assertEquals(original.length, fragment.totalLength());
                assertArrayEquals(Arrays.copyOfRange(original, (int) fragment.offset(),
                        (int) (fragment.offset() + frame.descriptor().bodyLength())), frame.body());
            }
        }
    }

    /** Decodes a fragment file and writes its body in place. */
    private void deliver(FragmentedBody whole, Path file) throws IOException {
        List<DecodedFrame> frames = new ArrayList<>();
        try (SpoolFile spoolFile = codec.reader().open(file, SETTLE)) {
            spoolFile.readFrames(frame -> {
                frames.add(frame);
                whole.add(spoolFile.header(), frame);
            });
        }
        assertEquals(1, frames.size());
    }

    private void assertHeader(Path file, SpoolFileHeader header) {
        assertEquals(config.mode(), header.mode());
        assertEquals(TestNodes.FRONT, header.sender());
        assertEquals(TestNodes.BACK, header.recipient());
        assertEquals(SpoolFileName.parse(file.getFileName().toString()).orElseThrow(), header.fileName());
        String algorithm = !config.mode().isSigned() ? "none" : config.keys() == TestNodes.Keys.EC ? "ES256" : "HS256";
        assertEquals(algorithm, header.signingAlgorithm());
        boolean session = config.keys() == TestNodes.Keys.SESSION && config.mode().isSigned();
        assertEquals(session ? 4 : 3, header.version(), "format version");
        if (config.mode().isEncrypted()) {
            assertEquals(config.segmentSize(), header.segmentSize());
        } else {
            assertNull(header.contentKey());
        }
    }

    private static void assertFrames(List<Message> expected, List<Codec.Read> actual) throws IOException {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertFrame(expected.get(i), actual.get(i));
        }
    }

    private static void assertFrame(Message expected, Codec.Read actual) throws IOException {
        FrameDescriptor descriptor = actual.descriptor();
        assertEquals(expected.id(), descriptor.id());
        assertEquals(expected.kind(), descriptor.kind());
        assertEquals(expected.created(), descriptor.created());
        assertEquals(expected.expires(), descriptor.expires());
        assertNull(descriptor.fragment());
        assertEquals(expected.envelope(), actual.envelope());
        try (InputStream body = expected.body().open()) {
            assertArrayEquals(body.readAllBytes(), actual.body(), "body of " + expected.id());
        }
    }

    /**
     * Seeds and largest slice sizes to feed a file with: from one byte at a time up to 64 KiB.
     * Big files skip the tiniest slices, which only cost time there.
     */
    private static List<long[]> slicings(long fileSize) {
        List<long[]> slicings = new ArrayList<>();
        if (fileSize < 256 * 1024) {
            slicings.add(new long[] {1, 1});
            slicings.add(new long[] {2, 13});
        }
        slicings.add(new long[] {3, 4099});
        slicings.add(new long[] {4, 65536});
        return slicings;
    }

    private List<Message> everyKind() {
        Instant at = Codec.NOW;
        MessageId requestId = MessageId.of("01JD0000000000000000000000");
        List<HeaderField> headers = List.of(new HeaderField("Content-Type", "application/json"), new HeaderField("X-Trace", "t1"));
        return List.of(
                new Message(requestId, at, at.plusSeconds(3600),
                        new Envelope.Request("POST", "/orders?dry=1", "orders", headers), Body.ofBytes("{\"n\":1}".getBytes(StandardCharsets.UTF_8))),
                new Message(MessageId.of("response-ok"), at.plusMillis(1), at.plusSeconds(3601),
                        new Envelope.Response(requestId, 201, "Created", headers, null), Body.ofBytes("{\"id\":7}".getBytes(StandardCharsets.UTF_8))),
                new Message(MessageId.of("response-error"), at.plusMillis(2), at.plusSeconds(3602),
                        new Envelope.Response(requestId, 502, "Bad Gateway", List.of(), "upstream-unreachable"), Body.EMPTY),
                Message.of(MessageId.of("ack"), at, at.plusSeconds(600),
                        new Envelope.Ack(1_700_000_000_000L, 41, List.of(new SeqRange(43, 45), SeqRange.single(50)))),
                Message.of(MessageId.of("nack"), at, at.plusSeconds(600),
                        new Envelope.Nack(1_700_000_000_000L, List.of(SeqRange.single(42), new SeqRange(47, 48)), "corrupt")),
                Message.of(MessageId.of("heartbeat"), at, at.plusSeconds(60), new Envelope.Heartbeat(30_000, 41, 38)),
                Message.of(MessageId.of("status-detail"), at, at.plusSeconds(600),
                        new Envelope.Status(requestId, "delivered", at.toEpochMilli(), "callee answered 201")),
                Message.of(MessageId.of("status-plain"), at, at.plusSeconds(600),
                        new Envelope.Status(requestId, "queued", at.toEpochMilli() - 5, null)));
    }

    private byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }
}
