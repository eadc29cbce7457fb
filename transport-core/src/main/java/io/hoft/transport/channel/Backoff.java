package io.hoft.transport.channel;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Capped exponential backoff with jitter: attempt {@code n} (from 1) waits {@code initial *
 * multiplier^(n-1)}, capped at {@code max}, then scaled by a random factor in {@code [1 -
 * jitter, 1 + jitter]} so that many resends do not fire together.
 */
public record Backoff(Duration initial, double multiplier, Duration max, double jitter) {

    public Backoff {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0 || multiplier < 1 || jitter < 0 || jitter >= 1) {
            throw new IllegalArgumentException("bad backoff " + initial + " x" + multiplier + " up to " + max + " jitter " + jitter);
        }
    }

    public long delayMillis(int attempt, RandomGenerator random) {
        double base = initial.toMillis() * Math.pow(multiplier, Math.max(0, attempt - 1));
        double capped = Math.min(base, max.toMillis());
        double factor = 1 + jitter * (2 * random.nextDouble() - 1);
        return Math.max(1, Math.round(capped * factor));
    }
}
