package io.hoft.link.dialout;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

/**
 * A resumed transfer's {@code Range} and {@code Content-Range} headers as any text: they are
 * refused (empty, null) or give a range inside the file, and never throw.
 */
public class ByteRangesFuzzTest {
    private static final long[] SIZES = {0, 1, 1000, Long.MAX_VALUE};

    @FuzzTest
    void rangesAreRefusedOrInsideTheFile(byte[] input) {
        check(input);
    }

    /** One input. */
    public static void check(byte[] input) {
        String header = new String(input, StandardCharsets.ISO_8859_1);
        for (long size : SIZES) {
            OptionalLong start = ByteRanges.startToEnd(header, size);
            if (start != null && start.isPresent() && (start.getAsLong() < 0 || start.getAsLong() >= size)) {
                throw new AssertionError("range start " + start.getAsLong() + " outside a file of " + size + ": " + header);
            }
        }
        ByteRanges.Span span = ByteRanges.contentRange(header);
        if (span != null && !(0 <= span.first() && span.first() <= span.last() && span.last() < span.length())) {
            throw new AssertionError("not one satisfied range: " + span);
        }
    }
}
