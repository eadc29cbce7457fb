package io.hoft.back;

import io.hoft.transport.message.HeaderField;
import java.util.List;
import java.util.Objects;

/**
 * An answer as the back records it before it leaves: the callee's response (headers already
 * made ready for the caller) or one the back made itself ({@code error} set). The body is inline
 * ({@code bodyInline}, up to 64 KiB) or in a body file of the node's store ({@code bodyName}),
 * never both.
 */
public record RecordedResponse(int status, String reason, List<HeaderField> headers, String error, byte[] bodyInline,
        String bodyName, long bodyLength) {

    /** Bodies up to this size stay in the database row. */
    static final int INLINE_MAX = 64 * 1024;

    public RecordedResponse {
        Objects.requireNonNull(reason, "reason");
        headers = List.copyOf(headers);
        if (bodyInline != null && bodyName != null) {
            throw new IllegalArgumentException("a body is inline or in a file, not both");
        }
    }
}
