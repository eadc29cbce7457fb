package io.hoft.transport.spool;

import io.hoft.transport.message.MessageId;
import io.hoft.transport.message.MessageKind;
import java.time.Instant;
import java.util.Objects;

/**
 * The signed description of one frame: which message it is, how long its meta JSON and body
 * part are, and, in files of format version 1 and 2 only, the SHA-256 (lowercase hex) of those
 * bytes as they are before compression ({@code sha256} is null from version 3 on, where the
 * signed payload digest alone binds the frames, SPEC.md section 7.4). {@code fragment} is null
 * for a whole message.
 */
public record FrameDescriptor(
        MessageId id,
        MessageKind kind,
        Instant created,
        Instant expires,
        long metaLength,
        long bodyLength,
        String sha256,
        FragmentInfo fragment) {

    public FrameDescriptor {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(expires, "expires");
        if (metaLength < 0 || bodyLength < 0) {
            throw new IllegalArgumentException("negative frame length");
        }
    }

    public boolean isFragment() {
        return fragment != null;
    }

    /** Bytes this frame contributes to the decompressed payload. */
    public long plainLength() {
        return metaLength + bodyLength;
    }
}
