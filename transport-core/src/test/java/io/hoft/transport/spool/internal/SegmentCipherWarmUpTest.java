package io.hoft.transport.spool.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The AES-GCM warm-up a node runs at start (see {@link SegmentCipher#warmUpInBackground}). */
class SegmentCipherWarmUpTest {
    @Test
    void theWarmUpSealsAndOpensEveryRoundIntact() {
        assertEquals(SegmentCipher.WARM_UP_ROUNDS, SegmentCipher.warmUp());
    }

    @Test
    void aJvmRunsAtMostOneWarmUpThreadHoweverManyNodesStart() {
        for (int i = 0; i < 5; i++) {
            SegmentCipher.warmUpInBackground();
        }
        long threads = Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().equals("hoft-cipher-warm-up"))
                .count();
        assertTrue(threads <= 1, threads + " warm-up threads");
    }
}
