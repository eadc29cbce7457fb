package io.hoft.transport.spool;

import io.hoft.transport.message.Message;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a message whose body would make a file larger than the maximum file size into
 * fragment frames, one per file. Each fragment carries the message's full metadata and a
 * slice of its body, so each is verifiable and describable alone.
 *
 * <p>The default maximum file size is {@value #DEFAULT_MAX_FILE_MIB} MiB: files over 1 GB
 * are the ones mirrors truncate, a fragment must be resent whole when it is lost or cut, and
 * at this size the per-file overhead (a header of well under 64 KiB) is below 0.03%.
 */
public final class Fragmenter {
    static final int DEFAULT_MAX_FILE_MIB = 256;
    public static final long DEFAULT_MAX_FILE_BYTES = DEFAULT_MAX_FILE_MIB * SpoolLimits.MIB;
    /** Room kept in every file for the preamble, header and the largest allowed meta. */
    static final long RESERVED_BYTES = SpoolLimits.MIB + 128 * 1024;

    private Fragmenter() {}

    /**
     * The largest body slice that keeps a file under {@code maxFileBytes} whatever the data:
     * zstd's worst-case expansion (n/256) plus one 16-byte tag per 4 KiB segment at the smallest
     * segment size (n/256) stays under the n/64 margin kept here.
     */
    public static long bodyBytesPerFile(long maxFileBytes) {
        if (maxFileBytes < 4 * SpoolLimits.MIB) {
            throw new IllegalArgumentException("maximum file size must be at least 4 MiB");
        }
        long budget = maxFileBytes - RESERVED_BYTES;
        return budget - budget / 64;
    }

    /** One whole frame if the body fits in {@code bodyBytesPerFile}, else its fragments in order. */
    public static List<OutgoingFrame> split(Message message, long bodyBytesPerFile) {
        if (bodyBytesPerFile < 1) {
            throw new IllegalArgumentException("fragment size must be positive");
        }
        long total = message.body().length();
        if (total <= bodyBytesPerFile) {
            return List.of(OutgoingFrame.whole(message));
        }
        long count = (total + bodyBytesPerFile - 1) / bodyBytesPerFile;
        if (count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("body needs more than 2^31 fragments");
        }
        List<OutgoingFrame> fragments = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            long offset = i * bodyBytesPerFile;
            long length = Math.min(bodyBytesPerFile, total - offset);
            fragments.add(new OutgoingFrame(message, new FragmentInfo(i, (int) count, offset, total), offset, length));
        }
        return fragments;
    }
}
