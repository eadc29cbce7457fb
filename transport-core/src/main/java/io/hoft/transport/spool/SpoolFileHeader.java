package io.hoft.transport.spool;

import io.hoft.transport.keys.NodeId;
import io.hoft.transport.spool.internal.Preamble;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The signed header of a spool file (SPEC.md, "Header claims"): who sent it to whom, where it
 * sits in the channel, when it expires, what frames it carries, and the payload's length and
 * digest. For encrypted files {@code contentKey} is the compact JWE that wraps the payload key
 * for the recipient; otherwise it is null.
 *
 * <p>{@code signingAlgorithm} and {@code signingKid} come from the JWS protected header
 * ({@code "none"} and null for checksum-only files). A header obtained from a reader has been
 * verified; one built for writing has not been signed yet.
 */
public record SpoolFileHeader(
        int version,
        FileMode mode,
        NodeId sender,
        NodeId recipient,
        long epoch,
        long seq,
        Instant created,
        Instant expires,
        List<FrameDescriptor> frames,
        long payloadLength,
        String payloadSha256,
        int segmentSize,
        String contentKey,
        String signingAlgorithm,
        String signingKid) {

    public SpoolFileHeader {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(recipient, "recipient");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(expires, "expires");
        Objects.requireNonNull(payloadSha256, "payloadSha256");
        frames = List.copyOf(frames);
    }

    /** The strict file name this header must be published under. */
    public SpoolFileName fileName() {
        return SpoolFileName.of(this);
    }

    /** True for a file keyed by a session (format versions 2 and 4, SPEC.md section 10.8). */
    public boolean isSessionKeyed() {
        return Preamble.isSessionKeyed(version);
    }

    /** True if every frame carries a SHA-256 of its plaintext (format versions 1 and 2). */
    public boolean hasFrameDigests() {
        return Preamble.hasFrameDigests(version);
    }

    /** True if the file holds only acks, nacks and heartbeats. */
    public boolean isControlOnly() {
        return frames.stream().allMatch(f -> f.kind().isControl());
    }

    /** A builder that names each claim, for writers (a header built this way is not signed yet). */
    public static Builder builder() {
        return new Builder();
    }

    /** The header's claims set by name; see the record's components. */
    public static final class Builder {
        private int version;
        private FileMode mode;
        private NodeId sender;
        private NodeId recipient;
        private long epoch;
        private long seq;
        private Instant created;
        private Instant expires;
        private List<FrameDescriptor> frames;
        private long payloadLength;
        private String payloadSha256;
        private int segmentSize;
        private String contentKey;
        private String signingAlgorithm;
        private String signingKid;

        private Builder() {}

        public Builder version(int value) {
            version = value;
            return this;
        }

        public Builder mode(FileMode value) {
            mode = value;
            return this;
        }

        public Builder sender(NodeId value) {
            sender = value;
            return this;
        }

        public Builder recipient(NodeId value) {
            recipient = value;
            return this;
        }

        public Builder epoch(long value) {
            epoch = value;
            return this;
        }

        public Builder seq(long value) {
            seq = value;
            return this;
        }

        public Builder created(Instant value) {
            created = value;
            return this;
        }

        public Builder expires(Instant value) {
            expires = value;
            return this;
        }

        public Builder frames(List<FrameDescriptor> value) {
            frames = value;
            return this;
        }

        public Builder payloadLength(long value) {
            payloadLength = value;
            return this;
        }

        public Builder payloadSha256(String value) {
            payloadSha256 = value;
            return this;
        }

        public Builder segmentSize(int value) {
            segmentSize = value;
            return this;
        }

        public Builder contentKey(String value) {
            contentKey = value;
            return this;
        }

        public Builder signingAlgorithm(String value) {
            signingAlgorithm = value;
            return this;
        }

        public Builder signingKid(String value) {
            signingKid = value;
            return this;
        }

        public SpoolFileHeader build() {
            return new SpoolFileHeader(version, mode, sender, recipient, epoch, seq, created, expires, frames,
                    payloadLength, payloadSha256, segmentSize, contentKey, signingAlgorithm, signingKid);
        }
    }
}
