package io.hoft.front.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The last hour of the front's calls, one slot per wall-clock minute: calls accepted, calls
 * finished per final state, and a histogram of the finished calls' latency (the buckets of
 * {@link FrontMetrics#LATENCY_BUCKETS}). The dashboard's charts are drawn from it.
 *
 * <p>Sixty slots in a ring, so memory is fixed whatever the rate. A slot is reused for a new
 * minute only after it has been cleared, so a minute with no calls reads as zero, never as the
 * minute an hour before. The clock is passed in ({@code nowMs}): tests drive it. Thread-safe.
 */
final class MinuteHistory {
    static final int MINUTES = 60;
    static final List<String> STATES = List.of("responded", "failed", "expired");
    private static final long MINUTE_MS = 60_000;
    private static final int BUCKETS = FrontMetrics.LATENCY_BUCKETS.length + 1; // the last one is +Inf

    private final long[] minuteOf = new long[MINUTES];
    private final long[] accepted = new long[MINUTES];
    private final long[][] finished = new long[MINUTES][STATES.size()];
    private final long[][] latency = new long[MINUTES][BUCKETS];

    MinuteHistory() {
        Arrays.fill(minuteOf, -1);
    }

    synchronized void accepted(long nowMs) {
        accepted[slot(nowMs)]++;
    }

    /** A call ended in {@code state}; {@code latencyMs} is null when it has none (expired). */
    synchronized void finished(long nowMs, String state, Long latencyMs) {
        int slot = slot(nowMs);
        int index = STATES.indexOf(state);
        if (index < 0) {
            throw new IllegalArgumentException("not a final state: " + state);
        }
        finished[slot][index]++;
        if (latencyMs != null) {
            double seconds = Math.max(0, latencyMs) / 1000.0;
            int bucket = 0;
            while (bucket < FrontMetrics.LATENCY_BUCKETS.length && seconds > FrontMetrics.LATENCY_BUCKETS[bucket]) {
                bucket++;
            }
            latency[slot][bucket]++;
        }
    }

    /**
     * The hour up to the minute of {@code nowMs}, oldest minute first: {@code startMs} of the
     * first minute, calls accepted per minute, finished per state per minute, and the 50th and
     * 99th percentile latency in seconds per minute (null for a minute with no latency).
     */
    synchronized Snapshot snapshot(long nowMs) {
        long current = Math.floorDiv(nowMs, MINUTE_MS);
        long[] acceptedPerMinute = new long[MINUTES];
        Map<String, long[]> byState = new LinkedHashMap<>();
        STATES.forEach(state -> byState.put(state, new long[MINUTES]));
        List<Double> p50 = new ArrayList<>(MINUTES);
        List<Double> p99 = new ArrayList<>(MINUTES);
        for (int i = 0; i < MINUTES; i++) {
            long minute = current - (MINUTES - 1) + i;
            int slot = (int) Math.floorMod(minute, (long) MINUTES);
            boolean live = minuteOf[slot] == minute;
            acceptedPerMinute[i] = live ? accepted[slot] : 0;
            for (int s = 0; s < STATES.size(); s++) {
                byState.get(STATES.get(s))[i] = live ? finished[slot][s] : 0;
            }
            p50.add(live ? quantile(latency[slot], 0.50) : null);
            p99.add(live ? quantile(latency[slot], 0.99) : null);
        }
        return new Snapshot((current - (MINUTES - 1)) * MINUTE_MS, acceptedPerMinute, byState, p50, p99);
    }

    /** What {@link #snapshot} returns. */
    record Snapshot(long startMs, long[] accepted, Map<String, long[]> finished, List<Double> p50Seconds,
            List<Double> p99Seconds) {}

    private int slot(long nowMs) {
        long minute = Math.floorDiv(nowMs, MINUTE_MS);
        int slot = (int) Math.floorMod(minute, (long) MINUTES);
        if (minuteOf[slot] != minute) {
            minuteOf[slot] = minute;
            accepted[slot] = 0;
            Arrays.fill(finished[slot], 0);
            Arrays.fill(latency[slot], 0);
        }
        return slot;
    }

    /**
     * The {@code q} quantile of a histogram, interpolated linearly inside its bucket (what
     * Prometheus' {@code histogram_quantile} does); the open last bucket answers its lower
     * bound. Null for an empty histogram.
     */
    static Double quantile(long[] counts, double q) {
        long total = 0;
        for (long count : counts) {
            total += count;
        }
        if (total == 0) {
            return null;
        }
        double rank = q * total;
        long below = 0;
        double[] bounds = FrontMetrics.LATENCY_BUCKETS;
        for (int i = 0; i < counts.length; i++) {
            if (below + counts[i] >= rank && counts[i] > 0) {
                if (i == bounds.length) {
                    return bounds[bounds.length - 1];
                }
                double lower = i == 0 ? 0 : bounds[i - 1];
                return lower + (bounds[i] - lower) * ((rank - below) / counts[i]);
            }
            below += counts[i];
        }
        return bounds[bounds.length - 1];
    }
}
