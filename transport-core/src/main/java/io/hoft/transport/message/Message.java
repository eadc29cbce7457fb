package io.hoft.transport.message;

import java.time.Instant;
import java.util.Objects;

/**
 * One message: a stable id, creation time and expiry (both whole milliseconds), typed
 * metadata, and a body of any size. Only requests and responses carry non-empty bodies.
 */
public record Message(MessageId id, Instant created, Instant expires, Envelope envelope, Body body) {

    public Message {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(expires, "expires");
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(body, "body");
        created = Instant.ofEpochMilli(created.toEpochMilli());
        expires = Instant.ofEpochMilli(expires.toEpochMilli());
        if (expires.isBefore(created)) {
            throw new IllegalArgumentException("message expires before it is created");
        }
    }

    public static Message of(MessageId id, Instant created, Instant expires, Envelope envelope) {
        return new Message(id, created, expires, envelope, Body.EMPTY);
    }

    public MessageKind kind() {
        return envelope.kind();
    }
}
