package io.hoft.link.dialout;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/** Control messages of the dial-out link from a peer: any text fails only with IllegalArgumentException. */
public class ControlMessageFuzzTest {
    @FuzzTest
    void decodeFailsOnlyWithItsTypedException(byte[] input) {
        decode(input);
    }

    /** One input, for this test and for the short run over every parser. */
    public static void decode(byte[] input) {
        try {
            ControlMessage.decode(new String(input, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException expected) {
            // the protocol error the link answers by closing the connection
        }
    }
}
