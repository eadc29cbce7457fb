package io.hoft.transport.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A size in bytes as people write it in config: {@code 1048576}, {@code 64KiB}, {@code 512MiB},
 * {@code 1GiB}, {@code 2TiB} (binary units; {@code KB}, {@code MB}, {@code GB} are accepted as
 * the same binary units, since config authors rarely mean powers of ten for buffers).
 */
public record DataSize(long bytes) {
    private static final Pattern FORMAT = Pattern.compile("(\\d+)\\s*([kmgt]i?b|b)?", Pattern.CASE_INSENSITIVE);

    public DataSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("a size cannot be negative");
        }
    }

    static DataSize ofBytes(long bytes) {
        return new DataSize(bytes);
    }

    public static DataSize ofMebibytes(long mib) {
        return new DataSize(Math.multiplyExact(mib, 1024L * 1024));
    }

    public static DataSize parse(String text) {
        Matcher m = FORMAT.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size like 1048576, 64KiB, 512MiB or 1GiB");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        long factor;
        switch (unit.charAt(0)) {
            case 'k':
                factor = 1L << 10;
                break;
            case 'm':
                factor = 1L << 20;
                break;
            case 'g':
                factor = 1L << 30;
                break;
            case 't':
                factor = 1L << 40;
                break;
            default:
                factor = 1;
        }
        return new DataSize(Math.multiplyExact(n, factor));
    }

    @Override
    public String toString() {
        for (String unit : new String[] {"TiB", "GiB", "MiB", "KiB"}) {
            long factor = 1L << (10 * ("KMGT".indexOf(unit.charAt(0)) + 1));
            if (bytes >= factor && bytes % factor == 0) {
                return bytes / factor + unit;
            }
        }
        return Long.toString(bytes);
    }
}
