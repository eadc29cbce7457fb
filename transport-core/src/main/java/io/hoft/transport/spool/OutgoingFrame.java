package io.hoft.transport.spool;

import io.hoft.transport.message.Message;
import java.util.Objects;

/**
 * A message, or one fragment of its body, to be written into a spool file. A whole frame
 * carries the entire body; a fragment frame carries {@code [offset, offset + length)} of it
 * and is made by {@link Fragmenter}.
 */
public record OutgoingFrame(Message message, FragmentInfo fragment, long bodyOffset, long bodyLength) {

    public OutgoingFrame {
        Objects.requireNonNull(message, "message");
        long total = message.body().length();
        if (bodyOffset < 0 || bodyLength < 0 || bodyOffset > total || bodyLength > total - bodyOffset) {
            throw new IllegalArgumentException("body slice out of range");
        }
        if (fragment == null && (bodyOffset != 0 || bodyLength != total)) {
            throw new IllegalArgumentException("a whole frame carries the whole body");
        }
        if (fragment != null && (fragment.offset() != bodyOffset || fragment.totalLength() != total)) {
            throw new IllegalArgumentException("fragment info disagrees with the slice");
        }
    }

    public static OutgoingFrame whole(Message message) {
        return new OutgoingFrame(message, null, 0, message.body().length());
    }
}
