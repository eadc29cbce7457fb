package io.hoft.transport.spool;

/**
 * Where a fragment sits in its message's body: part {@code index} (from 0) of {@code count},
 * covering bytes {@code [offset, offset + bodyLength)} of a body of {@code totalLength}
 * bytes. Every fragment carries the full message metadata, so any one of them, in any
 * arrival order, describes the whole message.
 */
public record FragmentInfo(int index, int count, long offset, long totalLength) {

    public FragmentInfo {
        if (count < 2 || index < 0 || index >= count) {
            throw new IllegalArgumentException("bad fragment " + index + " of " + count);
        }
        if (offset < 0 || totalLength < 0 || offset > totalLength) {
            throw new IllegalArgumentException("bad fragment offset " + offset + " of " + totalLength);
        }
    }
}
