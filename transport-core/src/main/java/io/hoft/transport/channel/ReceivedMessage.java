package io.hoft.transport.channel;

import io.hoft.transport.message.Message;
import io.hoft.transport.store.BodyFiles;
import io.hoft.transport.store.StoreTx;
import java.util.Optional;

/**
 * A delivered message. A body larger than the inline limit arrives as a registered body file;
 * the listener keeps it by calling {@link #claimBody}, otherwise it is released when the
 * delivery transaction commits.
 */
public final class ReceivedMessage {
    private final Message message;
    private final String bodyName;
    private final BodyFiles bodies;
    private boolean claimed;

    ReceivedMessage(Message message, String bodyName, BodyFiles bodies) {
        this.message = message;
        this.bodyName = bodyName;
        this.bodies = bodies;
    }

    public Message message() {
        return message;
    }

    /** The body file's name in the node's body store, if the body is in a file. */
    public Optional<String> bodyName() {
        return Optional.ofNullable(bodyName);
    }

    /** Takes ownership of the body file (if any) for {@code owner}; returns its name. */
    public Optional<String> claimBody(StoreTx tx, String owner) {
        if (bodyName == null) {
            return Optional.empty();
        }
        bodies.transfer(tx, bodyName, owner);
        claimed = true;
        return Optional.of(bodyName);
    }

    boolean bodyClaimed() {
        return claimed;
    }
}
