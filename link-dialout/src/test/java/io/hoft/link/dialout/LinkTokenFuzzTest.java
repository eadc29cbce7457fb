package io.hoft.link.dialout;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.hoft.transport.testing.Codec;
import io.hoft.transport.testing.TestNodes;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/** A bearer token from anyone dialing in: any text fails only with LinkAuthException (a 401). */
public class LinkTokenFuzzTest {
    @FuzzTest
    void verifyFailsOnlyWithLinkAuthException(byte[] input) {
        verify(input);
    }

    /** One input, for this test and for the short run over every parser. */
    public static void verify(byte[] input) {
        try {
            LinkToken.verify(new String(input, StandardCharsets.ISO_8859_1), TestNodes.front(), TestNodes.FRONT,
                    Set.of(TestNodes.BACK), Codec.NOW);
        } catch (LinkAuthException expected) {
            // refused with 401
        }
    }
}
