package io.hoft.transport.spool;

import java.io.IOException;
import java.util.Optional;

/**
 * A spool file that must not be acted on. Each subclass is one kind of failure; {@link
 * #disposition()} says what the channel does with the file and {@link #reason()} names the
 * kind. The kinds callers outside this package tell apart are public ({@link
 * CorruptFileException}, {@link TruncatedFileException}, {@link MalformedFileException}, {@link
 * TooLargeException}, {@link SpoofedFileException}); the others (expired, incomplete,
 * misaddressed, unsupported version) are known by their disposition and reason.
 *
 * <p>When the signed header verified before the failure, {@link #verifiedHeader()} holds it,
 * so the receiver knows for certain who sent the file and which sequence number to nack.
 * Messages never carry secrets or file contents, only what failed and where.
 */
public abstract class SpoolFileException extends IOException {
    private static final long serialVersionUID = 1L;

    /** What a receiver does with a file that failed. */
    public enum Disposition {
        /** Keep it aside and say nothing to anyone: its origin cannot be trusted. */
        QUARANTINE,
        /** The sender is known (the header verified) but the content is damaged: ask for it again. */
        NACK,
        /** The file may still be arriving: look again once its size has settled. */
        RETRY_LATER,
        /** Authentic but no longer wanted (expired): acknowledge it and drop it. */
        DISCARD
    }

    private final transient SpoolFileHeader verifiedHeader;

    SpoolFileException(String message, SpoolFileHeader verifiedHeader, Throwable cause) {
        super(message, cause);
        this.verifiedHeader = verifiedHeader;
    }

    public abstract Disposition disposition();

    /** The header, if its signature (or in checksum-only mode its digest) verified. */
    public Optional<SpoolFileHeader> verifiedHeader() {
        return Optional.ofNullable(verifiedHeader);
    }

    /** A short stable name of the failure kind, for logs, metrics and the CLI. */
    public abstract String reason();

    /** Damage to a file whose header verified can be nacked; otherwise it is quarantined. */
    Disposition nackIfVerified() {
        return verifiedHeader == null ? Disposition.QUARANTINE : Disposition.NACK;
    }
}
