package io.hoft.transport.config;

import java.time.Duration;

/**
 * How much quarantine a node keeps ({@code node.quarantine}): files set aside are deleted,
 * oldest first, once older than {@code maxAge} or beyond {@code maxSize} in all (their
 * {@code .reason} files count too). At start, every minute, and by {@code hoft spool gc}.
 */
public record QuarantineSettings(Duration maxAge, DataSize maxSize) {
    public static final QuarantineSettings DEFAULTS = new QuarantineSettings(null, null);

    public QuarantineSettings {
        maxAge = maxAge == null ? Duration.ofDays(7) : maxAge;
        maxSize = maxSize == null ? DataSize.parse("1GiB") : maxSize;
        if (maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("quarantine.maxAge must be positive");
        }
    }
}
