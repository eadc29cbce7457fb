package io.hoft.transport.spool;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.hoft.transport.testing.Codec;
import io.hoft.transport.testing.MutableClock;
import io.hoft.transport.testing.TestNodes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The spool file reader on arbitrary bytes (preamble, JWS header, claims, JWE content key,
 * segments, zstd, frame metas): it fails only with a {@link SpoolFileException}. The receiver
 * is back, trusting front and accepting its checksum-only files too, so unsigned inputs reach
 * the claims and the payload. Seeds: every SPEC vector and every input of MalformedInputTest.
 */
public class SpoolFileReaderFuzzTest {
    private static final SpoolFileReader READER = new SpoolFileReader(TestNodes.back(),
            TestNodes.backPolicyAcceptingChecksumOnly(), SpoolLimits.DEFAULT, new MutableClock(Codec.NOW));

    @FuzzTest
    void readerFailsOnlyWithItsTypedExceptions(byte[] input) throws IOException {
        read(input);
    }

    /** One input, for this test and for the short run over every parser. */
    public static void read(byte[] input) throws IOException {
        try (SpoolFile file = READER.open(new ByteArrayInputStream(input))) {
            file.readFrames(frame -> frame.body().transferTo(OutputStream.nullOutputStream()));
        } catch (SpoolFileException expected) {
            // every way a file can be wrong has its typed exception
        }
    }
}
