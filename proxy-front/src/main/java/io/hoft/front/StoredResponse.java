package io.hoft.front;

import io.hoft.transport.message.HeaderField;
import java.util.List;
import java.util.Objects;

/**
 * A callee's response (or the back's synthetic error response) as the front keeps it: status,
 * reason, header fields exactly as sent (order, repeats, ISO-8859-1 bytes), and the body either
 * inline (up to 64 KiB) or as a body file in the node's body store. {@code error} is the
 * {@code Hoft-Error} value for a response the back made itself ({@code upstream-unreachable},
 * {@code upstream-timeout}, {@code upstream-forbidden}, ...), null for a callee's own.
 */
public record StoredResponse(int status, String reason, List<HeaderField> headers, byte[] inlineBody, String bodyName,
        long bodyLength, String error) {

    public StoredResponse {
        Objects.requireNonNull(reason, "reason");
        headers = List.copyOf(headers);
        if ((inlineBody != null) == (bodyName != null) && bodyLength > 0) {
            throw new IllegalArgumentException("a body is either inline or in a body file");
        }
    }

    public boolean isError() {
        return error != null;
    }
}
