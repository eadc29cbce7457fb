package io.hoft.transport.link;

import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link Mirror} does wrong, each fault drawn independently per file from a seeded
 * random source, so a failing run can be repeated exactly.
 *
 * @param loss probability a file is never delivered
 * @param duplicate probability a file is delivered a second time, later
 * @param truncate probability a delivered copy is cut at a random length
 * @param corrupt probability a delivered copy has a random byte flipped
 * @param reorder probability a file is held back up to {@code maxDelay}, so later files overtake it
 * @param delay fixed delay added to every delivery
 * @param maxDelay the longest hold of a reordered (or duplicated) file
 * @param seed seed of the random source
 */
public record MirrorFaults(double loss, double duplicate, double truncate, double corrupt, double reorder,
        Duration delay, Duration maxDelay, long seed) {

    public static final MirrorFaults NONE =
            new MirrorFaults(0, 0, 0, 0, 0, Duration.ZERO, Duration.ZERO, 1);

    public MirrorFaults {
        Objects.requireNonNull(delay, "delay");
        Objects.requireNonNull(maxDelay, "maxDelay");
        for (double p : new double[] {loss, duplicate, truncate, corrupt, reorder}) {
            if (p < 0 || p > 1) {
                throw new IllegalArgumentException("fault probabilities must be in [0, 1]");
            }
        }
        if (delay.isNegative() || maxDelay.isNegative()) {
            throw new IllegalArgumentException("delays must not be negative");
        }
    }

    public boolean any() {
        return loss > 0 || duplicate > 0 || truncate > 0 || corrupt > 0 || reorder > 0 || !delay.isZero();
    }
}
