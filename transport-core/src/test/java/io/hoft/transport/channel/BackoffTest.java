package io.hoft.transport.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void delaysGrowExponentiallyUpToTheCap() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), 2, Duration.ofSeconds(10), 0);
        SplittableRandom random = new SplittableRandom(1);
        assertEquals(1000, backoff.delayMillis(1, random));
        assertEquals(2000, backoff.delayMillis(2, random));
        assertEquals(4000, backoff.delayMillis(3, random));
        assertEquals(8000, backoff.delayMillis(4, random));
        assertEquals(10000, backoff.delayMillis(5, random));
        assertEquals(10000, backoff.delayMillis(50, random));
    }

    @Test
    void jitterStaysWithinItsBand() {
        Backoff backoff = new Backoff(Duration.ofSeconds(10), 2, Duration.ofMinutes(1), 0.2);
        SplittableRandom random = new SplittableRandom(2);
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 10_000; i++) {
            long delay = backoff.delayMillis(1, random);
            min = Math.min(min, delay);
            max = Math.max(max, delay);
        }
        assertTrue(min >= 8000 && min < 8100, "min " + min);
        assertTrue(max <= 12000 && max > 11900, "max " + max);
    }

    @Test
    void nonsenseSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ZERO, 2, Duration.ofSeconds(1), 0));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(2), 2, Duration.ofSeconds(1), 0));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(1), 0.5, Duration.ofSeconds(1), 0));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(1), 2, Duration.ofSeconds(1), 1));
    }
}
