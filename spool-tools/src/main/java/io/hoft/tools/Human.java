package io.hoft.tools;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/** How the commands write numbers, times and bytes for people (JSON output uses raw values). */
public final class Human {
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};

    private Human() {}

    /** {@code 1 file}, {@code 3 files}: a count and a noun that takes an s. */
    public static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /** {@code 512 B}, {@code 1.7 KiB}, {@code 256 MiB}. */
    public static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return (value >= 100 || value == Math.rint(value) ? String.format(Locale.ROOT, "%.0f", value)
                : String.format(Locale.ROOT, "%.1f", value)) + " " + UNITS[unit];
    }

    /** A duration in its two largest units: {@code 850ms}, {@code 42s}, {@code 3m12s}, {@code 5h7m}, {@code 12d4h}, {@code 73y40d}. */
    public static String duration(Duration duration) {
        long ms = Math.abs(duration.toMillis());
        String sign = duration.isNegative() ? "-" : "";
        if (ms < 1000) {
            return sign + ms + "ms";
        }
        long s = ms / 1000;
        long[] sizes = {365 * 86_400L, 86_400, 3_600, 60, 1};
        String[] names = {"y", "d", "h", "m", "s"};
        for (int i = 0; i < sizes.length; i++) {
            if (s >= sizes[i]) {
                long major = s / sizes[i];
                long rest = s % sizes[i];
                String text = major + names[i];
                if (i + 1 < sizes.length && rest / sizes[i + 1] > 0) {
                    text += rest / sizes[i + 1] + names[i + 1];
                }
                return sign + text;
            }
        }
        return sign + s + "s";
    }

    /** How long ago {@code then} was: {@code 42s}; or {@code in 3h} for a time in the future. */
    public static String age(Instant then, Instant now) {
        Duration d = Duration.between(then, now);
        return d.isNegative() ? "in " + duration(d.negated()) : duration(d);
    }

    /** {@code 42s ago}, or {@code in 3h} for a time in the future. */
    public static String relative(Instant then, Instant now) {
        Duration d = Duration.between(then, now);
        return d.isNegative() ? "in " + duration(d.negated()) : duration(d) + " ago";
    }

    /** {@code 2026-11-22T12:00:00Z}, to the second unless the instant has milliseconds. */
    public static String instant(Instant instant) {
        return (instant.getNano() == 0 ? instant : instant.truncatedTo(ChronoUnit.MILLIS)).toString();
    }

    /**
     * Bytes as text a terminal shows safely: printable ASCII as it is (a backslash doubled), every
     * other byte as {@code \xNN}. Used for header fields, whose characters are bytes (ISO-8859-1).
     */
    public static String escapeBytes(String latin1) {
        StringBuilder out = new StringBuilder(latin1.length());
        for (int i = 0; i < latin1.length(); i++) {
            char c = latin1.charAt(i);
            if (c == '\\') {
                out.append("\\\\");
            } else if (c >= 0x20 && c < 0x7f) {
                out.append(c);
            } else {
                out.append(String.format(Locale.ROOT, "\\x%02x", (int) c & 0xff));
            }
        }
        return out.toString();
    }

    /**
     * The bytes as UTF-8 text if they are that and printable (tabs and line breaks allowed; a
     * character cut at the end is forgiven, as a preview may cut one), else null.
     */
    public static String printableUtf8(byte[] bytes, boolean mayBeCut) {
        int end = bytes.length;
        if (mayBeCut) {
            // Drop an incomplete UTF-8 sequence at the very end (at most 3 bytes).
            int i = end - 1;
            int back = 0;
            while (i >= 0 && back < 3 && (bytes[i] & 0xC0) == 0x80) {
                i--;
                back++;
            }
            if (i >= 0 && (bytes[i] & 0x80) != 0) {
                int lead = bytes[i] & 0xff;
                int need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
                if (need > back) {
                    end = i;
                }
            }
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, end))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                return null;
            }
        }
        return text;
    }

    /** A classic hex dump: offset, 16 bytes in hex, and the printable ASCII of them. */
    public static String hexDump(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        for (int offset = 0; offset < bytes.length; offset += 16) {
            out.append(String.format(Locale.ROOT, "%08x  ", offset));
            StringBuilder ascii = new StringBuilder();
            for (int i = 0; i < 16; i++) {
                if (offset + i < bytes.length) {
                    int b = bytes[offset + i] & 0xff;
                    out.append(String.format(Locale.ROOT, "%02x ", b));
                    ascii.append(b >= 0x20 && b < 0x7f ? (char) b : '.');
                } else {
                    out.append("   ");
                }
                if (i == 7) {
                    out.append(' ');
                }
            }
            out.append(" |").append(ascii).append("|\n");
        }
        return out.toString();
    }
}
