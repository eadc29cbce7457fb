package io.hoft.transport.message;

import java.util.Optional;

/**
 * What a message is. The wire name is the value of {@code kind} in a spool file's frame
 * description; an unknown name is an error, never skipped.
 */
public enum MessageKind {
    /** An HTTP call for the back to replay to its callee. */
    REQUEST("request"),
    /** The callee's answer (or the back's synthetic error answer) to a request. */
    RESPONSE("response"),
    /** The receive state of one channel: everything up to N, plus ranges above N. */
    ACK("ack"),
    /** A request to resend files that were seen broken or missing. */
    NACK("nack"),
    /** Sent by an idle node so its peer knows the link is alive and learns its ack state. */
    HEARTBEAT("heartbeat"),
    /** A change in a request's life, for opt-in status callbacks. */
    STATUS("status");

    private final String wireName;

    MessageKind(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** Acks, nacks and heartbeats: frames that carry channel state, not data, and are never sequenced. */
    public boolean isControl() {
        return this == ACK || this == NACK || this == HEARTBEAT;
    }

    public static Optional<MessageKind> fromWireName(String name) {
        for (MessageKind kind : values()) {
            if (kind.wireName.equals(name)) {
                return Optional.of(kind);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return wireName;
    }
}
