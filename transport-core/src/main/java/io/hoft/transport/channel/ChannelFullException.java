package io.hoft.transport.channel;

import java.time.Duration;

/**
 * A message was refused because a send limit is reached (queued messages or bytes for the
 * peer, or the node's spool quota). Nothing of it was stored; the caller may try again after
 * {@link #retryAfter()}, and an HTTP front answers 429 or 503 with {@code Retry-After}.
 */
public final class ChannelFullException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient Duration retryAfter;

    public ChannelFullException(String message, Duration retryAfter) {
        super(message);
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }
}
