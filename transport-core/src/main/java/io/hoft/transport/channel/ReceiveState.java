package io.hoft.transport.channel;

import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.SeqRange;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which files of one incoming channel epoch have been received: every sequence number up to
 * {@code upTo}, plus disjoint ranges above {@code upTo + 1}. This is exactly what an ack
 * announces, so an ack is a snapshot of this object and a newer one supersedes an older one.
 *
 * <p>{@link #abandonBelow} moves the floor when the sender says it will never send some
 * numbers again (their messages expired): they count as settled, so they are no gap.
 *
 * <p>Not thread-safe.
 */
public final class ReceiveState {
    /** Ranges above upTo, keyed by first sequence number. */
    private final TreeMap<Long, Long> ranges = new TreeMap<>();
    private long upTo;

    public ReceiveState() {}

    public ReceiveState(long upTo, List<SeqRange> ranges) {
        this.upTo = upTo;
        long floor = upTo + 1;
        for (SeqRange range : ranges) {
            if (range.first() <= floor) {
                throw new IllegalArgumentException("ranges must be sorted, disjoint and above upTo + 1");
            }
            this.ranges.put(range.first(), range.last());
            floor = range.last() + 1;
        }
    }

    public long upTo() {
        return upTo;
    }

    public boolean contains(long seq) {
        if (seq <= upTo) {
            return true;
        }
        Map.Entry<Long, Long> range = ranges.floorEntry(seq);
        return range != null && seq <= range.getValue();
    }

    /** Records {@code seq}; returns false if it was already recorded. */
    public boolean add(long seq) {
        if (seq < 1) {
            throw new IllegalArgumentException("sequence numbers start at 1");
        }
        if (contains(seq)) {
            return false;
        }
        long first = seq;
        long last = seq;
        Map.Entry<Long, Long> below = ranges.floorEntry(seq - 1);
        if (below != null && below.getValue() == seq - 1) {
            first = below.getKey();
            ranges.remove(below.getKey());
        }
        Long aboveLast = ranges.remove(seq + 1);
        if (aboveLast != null) {
            last = aboveLast;
        }
        ranges.put(first, last);
        settle();
        return true;
    }

    /** Treats every number below {@code floor} as settled (the sender abandoned them). */
    public void abandonBelow(long floor) {
        if (floor - 1 <= upTo) {
            return;
        }
        upTo = floor - 1;
        while (!ranges.isEmpty() && ranges.firstKey() <= upTo + 1) {
            Map.Entry<Long, Long> first = ranges.pollFirstEntry();
            upTo = Math.max(upTo, first.getValue());
        }
    }

    /** The highest number recorded, or {@code upTo} if there are no ranges. */
    public long highest() {
        return ranges.isEmpty() ? upTo : ranges.lastEntry().getValue();
    }

    public List<SeqRange> ranges() {
        List<SeqRange> list = new ArrayList<>(ranges.size());
        ranges.forEach((first, last) -> list.add(new SeqRange(first, last)));
        return list;
    }

    /** The missing numbers between {@code upTo} and {@code through} (inclusive), as ranges. */
    public List<SeqRange> gaps(long through) {
        List<SeqRange> gaps = new ArrayList<>();
        long next = upTo + 1;
        for (Map.Entry<Long, Long> range : ranges.entrySet()) {
            if (next > through) {
                break;
            }
            if (range.getKey() > next) {
                gaps.add(new SeqRange(next, Math.min(range.getKey() - 1, through)));
            }
            next = range.getValue() + 1;
        }
        if (next <= through) {
            gaps.add(new SeqRange(next, through));
        }
        return gaps;
    }

    public Envelope.Ack toAck(long epoch) {
        return new Envelope.Ack(epoch, upTo, ranges());
    }

    private void settle() {
        while (!ranges.isEmpty() && ranges.firstKey() == upTo + 1) {
            upTo = ranges.pollFirstEntry().getValue();
        }
    }

    @Override
    public String toString() {
        return "ReceiveState[upTo=" + upTo + ", ranges=" + ranges() + "]";
    }
}
