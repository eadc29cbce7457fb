package io.hoft.transport.message;

import java.util.List;
import java.util.Objects;

/**
 * The typed metadata of a message: one record per {@link MessageKind}. On the wire it is the
 * frame's meta JSON, which travels inside the (encrypted) payload, never in the signed
 * header, because request headers carry credentials.
 */
public sealed interface Envelope {

    MessageKind kind();

    /**
     * An HTTP call. {@code target} is the request target (path and query) exactly as the caller
     * sent it, one char per byte; {@code upstream} names the callee in the back's config.
     *
     * <p>A request's first attempt is the message itself: its message id is the request id and
     * {@code requestId} is null, {@code attempt} 1. A later attempt of the same request (an
     * operator's replay) is a new message, with a new message id, naming the request in
     * {@code requestId} and counting up in {@code attempt} (2, 3, ...). The back calls the
     * callee for a later attempt only if its record of the request says the callee was never
     * reached (SPEC.md, "Requests and attempts").
     */
    record Request(String method, String target, String upstream, List<HeaderField> headers, MessageId requestId,
            int attempt) implements Envelope {
        public Request {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(upstream, "upstream");
            headers = List.copyOf(headers);
            if (requestId == null ? attempt != 1 : attempt < 2) {
                throw new IllegalArgumentException("a first attempt has no requestId and attempt 1; a later one names its"
                        + " request and has attempt 2 or more (attempt " + attempt + ")");
            }
        }

        /** A first attempt: the message id is the request id. */
        public Request(String method, String target, String upstream, List<HeaderField> headers) {
            this(method, target, upstream, headers, null, 1);
        }

        /** The request this message is an attempt of: {@code requestId}, or the message's own id for a first attempt. */
        public MessageId requestIdOr(MessageId messageId) {
            return requestId != null ? requestId : messageId;
        }

        @Override
        public MessageKind kind() {
            return MessageKind.REQUEST;
        }
    }

    /**
     * The answer to a request. {@code error} is null for a callee's own response and names the
     * failure (for example {@code upstream-unreachable}) for one the back made itself.
     */
    record Response(MessageId requestId, int status, String reason, List<HeaderField> headers, String error)
            implements Envelope {
        public Response {
            Objects.requireNonNull(requestId, "requestId");
            Objects.requireNonNull(reason, "reason");
            if (status < 100 || status > 999) {
                throw new IllegalArgumentException("status out of range: " + status);
            }
            headers = List.copyOf(headers);
        }

        @Override
        public MessageKind kind() {
            return MessageKind.RESPONSE;
        }
    }

    /**
     * Receive state of the channel from the recipient of this message to its sender: every file
     * of {@code epoch} up to {@code upTo} was received, and so were those in {@code ranges}
     * (sorted, disjoint, all above {@code upTo + 1}). A newer ack supersedes older ones.
     */
    record Ack(long epoch, long upTo, List<SeqRange> ranges) implements Envelope {
        public Ack {
            if (epoch < 0 || upTo < 0) {
                throw new IllegalArgumentException("negative epoch or upTo");
            }
            ranges = List.copyOf(ranges);
            long floor = upTo + 1;
            for (SeqRange range : ranges) {
                if (range.first() <= floor) {
                    throw new IllegalArgumentException("ack ranges must be sorted, disjoint and above upTo + 1");
                }
                floor = range.last() + 1;
            }
        }

        @Override
        public MessageKind kind() {
            return MessageKind.ACK;
        }
    }

    /** Asks the recipient to resend these files of its channel {@code epoch} at once. */
    record Nack(long epoch, List<SeqRange> ranges, String reason) implements Envelope {
        public Nack {
            Objects.requireNonNull(reason, "reason");
            ranges = List.copyOf(ranges);
            if (ranges.isEmpty()) {
                throw new IllegalArgumentException("a nack names at least one range");
            }
        }

        @Override
        public MessageKind kind() {
            return MessageKind.NACK;
        }
    }

    /**
     * "I am alive; expect my next heartbeat within {@code intervalMillis} if I stay idle", plus
     * the sender's side of its channel to the recipient: the highest sequence number it has
     * assigned ({@code lastSeq}, 0 if none) and the lowest it may still send ({@code floor}).
     * Numbers below the floor that the recipient never got were abandoned (their messages
     * expired) and count as settled.
     */
    record Heartbeat(long intervalMillis, long lastSeq, long floor) implements Envelope {
        public Heartbeat {
            if (intervalMillis <= 0) {
                throw new IllegalArgumentException("heartbeat interval must be positive");
            }
            if (lastSeq < 0 || floor < 1 || floor > lastSeq + 1) {
                throw new IllegalArgumentException("heartbeat floor must be in [1, lastSeq + 1]");
            }
        }

        @Override
        public MessageKind kind() {
            return MessageKind.HEARTBEAT;
        }
    }

    /** A step in a request's life ({@code queued}, {@code delivered}, ...) at {@code atMillis}. */
    record Status(MessageId requestId, String status, long atMillis, String detail) implements Envelope {
        public Status {
            Objects.requireNonNull(requestId, "requestId");
            Objects.requireNonNull(status, "status");
        }

        @Override
        public MessageKind kind() {
            return MessageKind.STATUS;
        }
    }
}
