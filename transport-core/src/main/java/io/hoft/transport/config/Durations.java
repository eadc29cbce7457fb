package io.hoft.transport.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people write them in config and on the command line: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 7d}. */
public final class Durations {
    private static final Pattern FORMAT = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    private Durations() {}

    public static Duration parse(String text) {
        Matcher m = FORMAT.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration like 500ms, 30s, 5m, 1h or 7d");
        }
        long n = Long.parseLong(m.group(1));
        switch (m.group(2)) {
            case "ms":
                return Duration.ofMillis(n);
            case "s":
                return Duration.ofSeconds(n);
            case "m":
                return Duration.ofMinutes(n);
            case "h":
                return Duration.ofHours(n);
            default:
                return Duration.ofDays(n);
        }
    }

    /** The shortest exact way to write {@code duration} in the format {@link #parse} reads. */
    public static String format(Duration duration) {
        long ms = duration.toMillis();
        long[] factors = {86_400_000L, 3_600_000L, 60_000L, 1_000L};
        String[] units = {"d", "h", "m", "s"};
        for (int i = 0; i < factors.length; i++) {
            if (ms != 0 && ms % factors[i] == 0) {
                return ms / factors[i] + units[i];
            }
        }
        return ms + "ms";
    }
}
