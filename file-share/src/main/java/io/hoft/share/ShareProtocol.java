package io.hoft.share;

import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.Message;
import java.util.List;
import java.util.Optional;

/**
 * How the file share rides on the channel (SPEC section 20): ordinary {@code request} and
 * {@code response} messages addressed to the reserved upstream {@value #UPSTREAM}, which no
 * configured upstream can be named (names are {@code [A-Za-z0-9._-]}).
 *
 * <ul>
 *   <li>back to front: {@code PUT /catalog}, a {@link CatalogUpdate} as JSON body;
 *   <li>front to back: {@code GET /files/<encoded path>} with {@code Hoft-Share-Size} and
 *       {@code Hoft-Share-Modified} of the catalog entry the front wants;
 *   <li>back to front, answering that request: one or more responses, each with
 *       {@code Hoft-Share-Chunk}: {@code 206} with {@code Content-Range: bytes a-b/total} and
 *       that slice as body, or, once, an error status with {@code error} naming it.
 * </ul>
 */
public final class ShareProtocol {
    public static final String UPSTREAM = "hoft:share";
    public static final String CATALOG_TARGET = "/catalog";
    public static final String FILES_PREFIX = "/files/";
    public static final String SIZE = "Hoft-Share-Size";
    public static final String MODIFIED = "Hoft-Share-Modified";
    public static final String SHA256 = "Hoft-Share-Sha256";
    public static final String CHUNK = "Hoft-Share-Chunk";
    public static final String CONTENT_RANGE = "Content-Range";
    /** In a file request: the byte ranges wanted, in the order wanted (absent: the whole file). */
    public static final String RANGES = "Hoft-Share-Ranges";
    /** In a file request: the key of the bulk form ({@link ShareBulk}); present when the front takes bulk uploads. */
    public static final String BULK_KEY = "Hoft-Share-Bulk-Key";
    /** In a file request that asks again for what is missing: the id of the transfer's first request. */
    public static final String TRANSFER = "Hoft-Share-Transfer";
    /** The most ranges a file request may name. */
    public static final int MAX_RANGES = 64;

    /** Error names of a failed file request. */
    public static final String NOT_FOUND = "share-not-found";
    public static final String CHANGED = "share-changed";
    public static final String REFUSED = "share-refused";
    public static final String FAILED = "share-failed";

    private ShareProtocol() {}

    public static boolean isShareRequest(Message message) {
        return message.envelope() instanceof Envelope.Request r && r.upstream().equals(UPSTREAM);
    }

    public static boolean isShareChunk(Message message) {
        return message.envelope() instanceof Envelope.Response r && header(r.headers(), CHUNK).isPresent();
    }

    public static Optional<String> header(List<HeaderField> fields, String name) {
        return fields.stream().filter(f -> f.hasName(name)).map(HeaderField::value).findFirst();
    }

    /**
     * The ranges of a {@code Hoft-Share-Ranges} value ({@code FIRST-LAST} inclusive, separated
     * by {@code ,}), each {@code [first, end)}; refuses an empty list, more than
     * {@value #MAX_RANGES}, a range past {@code size} and overlapping ranges.
     */
    public static List<long[]> ranges(String value, long size) {
        String[] parts = value.split(",", -1);
        if (parts.length > MAX_RANGES) {
            throw new IllegalArgumentException("more than " + MAX_RANGES + " ranges");
        }
        java.util.regex.Pattern one = java.util.regex.Pattern.compile("(\\d{1,18})-(\\d{1,18})");
        List<long[]> ranges = new java.util.ArrayList<>();
        for (String part : parts) {
            java.util.regex.Matcher m = one.matcher(part);
            if (!m.matches()) {
                throw new IllegalArgumentException("bad range '" + part + "'");
            }
            long first = Long.parseLong(m.group(1));
            long last = Long.parseLong(m.group(2));
            if (first > last || last >= size) {
                throw new IllegalArgumentException("range '" + part + "' is not inside a file of " + size + " bytes");
            }
            for (long[] other : ranges) {
                if (first < other[1] && other[0] <= last) {
                    throw new IllegalArgumentException("ranges overlap");
                }
            }
            ranges.add(new long[] {first, last + 1});
        }
        return ranges;
    }

    /** The {@code Hoft-Share-Ranges} value of ranges given as {@code [first, end)}. */
    public static String formatRanges(List<long[]> ranges) {
        StringBuilder text = new StringBuilder();
        for (long[] range : ranges) {
            text.append(text.length() == 0 ? "" : ",").append(range[0]).append('-').append(range[1] - 1);
        }
        return text.toString();
    }

    /** {@code [first, last, total]} of a {@code Content-Range: bytes first-last/total} value. */
    public static long[] contentRange(String value) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("bytes (\\d{1,18})-(\\d{1,18})/(\\d{1,18})").matcher(value);
        if (!m.matches()) {
            throw new IllegalArgumentException("bad Content-Range '" + value + "'");
        }
        long first = Long.parseLong(m.group(1));
        long last = Long.parseLong(m.group(2));
        long total = Long.parseLong(m.group(3));
        if (first > last || last >= total) {
            throw new IllegalArgumentException("bad Content-Range '" + value + "'");
        }
        return new long[] {first, last, total};
    }
}
