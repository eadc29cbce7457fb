package io.hoft.transport.spool;

/**
 * Writers of the older format versions 1 and 2 (frame digests in the header, no zstd content
 * checksum), which hoft no longer writes but still reads: for tests in any package.
 */
public final class OlderVersions {
    private OlderVersions() {}

    /** A writer like {@code writer} that writes version 1 files (version 2 when keyed by a session). */
    public static SpoolFileWriter writer(SpoolFileWriter writer) {
        return writer.writingOlderVersions();
    }
}
