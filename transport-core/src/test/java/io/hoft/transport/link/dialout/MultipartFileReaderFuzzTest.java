package io.hoft.transport.link.dialout;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.hoft.transport.spool.FuzzRuns;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;

/** A dial-out upload's multipart body as any bytes: it fails only with an IOException (a MultipartException). */
class MultipartFileReaderFuzzTest {
    @FuzzTest(maxDuration = FuzzRuns.SHORT)
    void copyFileFailsOnlyWithAnIoException(byte[] input) {
        try {
            MultipartFileReader.copyFile(new ByteArrayInputStream(input), "hoft-boundary", OutputStream.nullOutputStream(), 1 << 20);
        } catch (IOException expected) {
            // a malformed upload is refused with 400
        }
    }
}
