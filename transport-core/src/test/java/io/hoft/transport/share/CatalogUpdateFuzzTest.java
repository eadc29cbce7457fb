package io.hoft.transport.share;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.hoft.transport.spool.FuzzRuns;

/** A file share catalog update from the back: any bytes fail only with IllegalArgumentException. */
class CatalogUpdateFuzzTest {
    @FuzzTest(maxDuration = FuzzRuns.SHORT)
    void decodeFailsOnlyWithItsTypedException(byte[] input) {
        try {
            CatalogUpdate.decode(input);
        } catch (IllegalArgumentException expected) {
            // the front keeps its catalog and logs why
        }
    }
}
