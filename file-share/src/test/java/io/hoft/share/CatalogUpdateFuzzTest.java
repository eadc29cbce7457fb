package io.hoft.share;

import com.code_intelligence.jazzer.junit.FuzzTest;

/** A file share catalog update from the back: any bytes fail only with IllegalArgumentException. */
public class CatalogUpdateFuzzTest {
    @FuzzTest
    void decodeFailsOnlyWithItsTypedException(byte[] input) {
        decode(input);
    }

    /** One input, for this test and for the short run over every parser. */
    public static void decode(byte[] input) {
        try {
            CatalogUpdate.decode(input);
        } catch (IllegalArgumentException expected) {
            // the front keeps its catalog and logs why
        }
    }
}
