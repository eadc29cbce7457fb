package io.hoft.back;

import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.MessageId;
import java.util.List;

/** A request as {@code back_request} holds it while it waits for its call. */
public record StoredRequest(MessageId id, NodeId peer, String state, String upstream, String method, String target,
        List<HeaderField> headers, byte[] bodyInline, String bodyName, long bodyLength, long expiresMs) {

    public StoredRequest {
        headers = List.copyOf(headers);
    }
}
