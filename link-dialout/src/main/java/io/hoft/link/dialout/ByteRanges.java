package io.hoft.link.dialout;

import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The few forms of HTTP byte ranges (RFC 9110 section 14) the dial-out link's resumed
 * transfers use: one range that runs to the end of the file, in a {@code Range} request header
 * or a {@code Content-Range} header. Anything else is refused, never guessed at.
 */
final class ByteRanges {
    private static final Pattern RANGE = Pattern.compile("bytes=([0-9]{1,19})?-([0-9]{1,19})?");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes ([0-9]{1,19})-([0-9]{1,19})/([0-9]{1,19})");

    /** {@code bytes first-last/length} of a {@code Content-Range} header. */
    record Span(long first, long last, long length) {}

    private ByteRanges() {}

    /**
     * The first byte a {@code Range} header asks for, of a file of {@code size} bytes, when it
     * asks for one range that runs to the end ({@code bytes=K-}, {@code bytes=K-L} with
     * {@code L >= size - 1}, or the suffix {@code bytes=-N}); empty when it is a byte range that
     * cannot be served so (past the end, several ranges, a range that stops early, malformed);
     * null when it is not a byte range at all (another unit: the header is ignored).
     */
    static OptionalLong startToEnd(String header, long size) {
        String value = header.strip();
        if (!value.regionMatches(true, 0, "bytes=", 0, 6)) {
            return null;
        }
        Matcher m = RANGE.matcher("bytes=" + value.substring(6).strip());
        if (!m.matches() || (m.group(1) == null && m.group(2) == null)) {
            return OptionalLong.empty();
        }
        try {
            if (m.group(1) == null) {
                long suffix = Long.parseLong(m.group(2));
                return suffix == 0 || size == 0 ? OptionalLong.empty() : OptionalLong.of(Math.max(0, size - suffix));
            }
            long first = Long.parseLong(m.group(1));
            if (first >= size || (m.group(2) != null && Long.parseLong(m.group(2)) < size - 1)
                    || (m.group(2) != null && Long.parseLong(m.group(2)) < first)) {
                return OptionalLong.empty();
            }
            return OptionalLong.of(first);
        } catch (NumberFormatException e) {
            return OptionalLong.empty(); // over 2^63
        }
    }

    /** A {@code Content-Range} header of one satisfied range; null if it is not one. */
    static Span contentRange(String header) {
        if (header == null) {
            return null;
        }
        Matcher m = CONTENT_RANGE.matcher(header.strip());
        if (!m.matches()) {
            return null;
        }
        try {
            Span span = new Span(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)));
            return span.first() <= span.last() && span.last() < span.length() ? span : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
