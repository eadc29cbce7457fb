package io.hoft.link.dialout;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;

/** A dial-out upload's multipart body as any bytes: it fails only with an IOException (a MultipartException). */
public class MultipartFileReaderFuzzTest {
    @FuzzTest
    void copyFileFailsOnlyWithAnIoException(byte[] input) {
        copyFile(input);
    }

    /** One input, for this test and for the short run over every parser. */
    public static void copyFile(byte[] input) {
        try {
            MultipartFileReader.copyFile(new ByteArrayInputStream(input), "hoft-boundary", OutputStream.nullOutputStream(), 1 << 20);
        } catch (IOException expected) {
            // a malformed upload is refused with 400
        }
    }
}
