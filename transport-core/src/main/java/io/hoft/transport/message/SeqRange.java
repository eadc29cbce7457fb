package io.hoft.transport.message;

/** An inclusive range of file sequence numbers, {@code first <= last}, both at least 1. */
public record SeqRange(long first, long last) {

    public SeqRange {
        if (first < 1 || last < first) {
            throw new IllegalArgumentException("bad sequence range [" + first + ", " + last + "]");
        }
    }

    public static SeqRange single(long seq) {
        return new SeqRange(seq, seq);
    }

    public boolean contains(long seq) {
        return seq >= first && seq <= last;
    }

    public long size() {
        return last - first + 1;
    }
}
