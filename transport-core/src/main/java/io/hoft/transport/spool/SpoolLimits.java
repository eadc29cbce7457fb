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
    static final long GIB = 1024 * MIB;

    /** Generous enough for 256 MiB fragments and thousands of collated messages, small enough to refuse bombs. */
    public static final SpoolLimits DEFAULT = new Builder()
            .maxHeaderBytes((int) (2 * MIB))
            .maxFrames(4096)
            .maxMetaBytes((int) MIB)
            .maxFileBytes(2 * GIB)
            .maxPlainBytes(2 * GIB)
            .maxFragments(65536)
            .maxBodyBytes(64 * GIB)
            .build();

    public SpoolLimits {
        if (maxHeaderBytes < 256 || maxFrames < 1 || maxMetaBytes < 256 || maxFileBytes < 1024
                || maxPlainBytes < 1024 || maxFragments < 2 || maxBodyBytes < 0) {
            throw new IllegalArgumentException("spool limits too small to be usable");
        }
    }

    /** A builder starting from these limits, to change some of them by name. */
    public Builder toBuilder() {
        return new Builder()
                .maxHeaderBytes(maxHeaderBytes)
                .maxFrames(maxFrames)
                .maxMetaBytes(maxMetaBytes)
                .maxFileBytes(maxFileBytes)
                .maxPlainBytes(maxPlainBytes)
                .maxFragments(maxFragments)
                .maxBodyBytes(maxBodyBytes);
    }

    /** Limits set by name; see the record's parameters. */
    public static final class Builder {
        private int maxHeaderBytes;
        private int maxFrames;
        private int maxMetaBytes;
        private long maxFileBytes;
        private long maxPlainBytes;
        private int maxFragments;
        private long maxBodyBytes;

        private Builder() {}

        public Builder maxHeaderBytes(int value) {
            maxHeaderBytes = value;
            return this;
        }

        public Builder maxFrames(int value) {
            maxFrames = value;
            return this;
        }

        public Builder maxMetaBytes(int value) {
            maxMetaBytes = value;
            return this;
        }

        public Builder maxFileBytes(long value) {
            maxFileBytes = value;
            return this;
        }

        public Builder maxPlainBytes(long value) {
            maxPlainBytes = value;
            return this;
        }

        public Builder maxFragments(int value) {
            maxFragments = value;
            return this;
        }

        public Builder maxBodyBytes(long value) {
            maxBodyBytes = value;
            return this;
        }

        public SpoolLimits build() {
            return new SpoolLimits(
                    maxHeaderBytes, maxFrames, maxMetaBytes, maxFileBytes, maxPlainBytes, maxFragments, maxBodyBytes);
        }
    }
}
