package io.hoft.transport.spool;

/**
 * Caps a reader enforces before it allocates or decompresses anything of the declared size.
 * A file over any cap fails with {@link TooLargeException}.
 *
 * @param maxHeaderBytes length of the compact JWS header
 * @param maxFrames frames in one file
 * @param maxMetaBytes meta JSON of one frame
 * @param maxFileBytes whole file (preamble, header, payload)
 * @param maxPlainBytes decompressed payload of one file (the sum of its frames)
 * @param maxFragments fragments of one message
 * @param maxBodyBytes body of one message, fragmented or not
 */
public record SpoolLimits(
        int maxHeaderBytes,
        int maxFrames,
        int maxMetaBytes,
        long maxFileBytes,
        long maxPlainBytes,
        int maxFragments,
        long maxBodyBytes) {

    public static final long MIB = 1024L * 1024;
    public static final long GIB = 1024 * MIB;

    /** Generous enough for 256 MiB fragments and thousands of collated messages, small enough to refuse bombs. */
    public static final SpoolLimits DEFAULT =
            new SpoolLimits((int) (2 * MIB), 4096, (int) MIB, 2 * GIB, 2 * GIB, 65536, 64 * GIB);

    public SpoolLimits {
        if (maxHeaderBytes < 256 || maxFrames < 1 || maxMetaBytes < 256 || maxFileBytes < 1024
                || maxPlainBytes < 1024 || maxFragments < 2 || maxBodyBytes < 0) {
            throw new IllegalArgumentException("spool limits too small to be usable");
        }
    }
}
