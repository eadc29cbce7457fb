package io.hoft.transport.link.dialout;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.hoft.transport.spool.FuzzRuns;
import java.nio.charset.StandardCharsets;

/** Control messages of the dial-out link from a peer: any text fails only with IllegalArgumentException. */
class ControlMessageFuzzTest {
    @FuzzTest(maxDuration = FuzzRuns.SHORT)
    void decodeFailsOnlyWithItsTypedException(byte[] input) {
        try {
            ControlMessage.decode(new String(input, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException expected) {
            // the protocol error the link answers by closing the connection
        }
    }
}
