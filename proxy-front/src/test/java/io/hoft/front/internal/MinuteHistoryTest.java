package io.hoft.front.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The per-minute history behind the dashboard's charts, and the SVG drawn from it; the clock is the test's. */
class MinuteHistoryTest {
    private static final long MINUTE = 60_000;
    private static final long T0 = 1_700_000_000_000L / MINUTE * MINUTE;

    @Test
    void callsAreCountedInTheMinuteTheyHappenedAndTheHourEndsNow() {
        MinuteHistory history = new MinuteHistory();
        history.accepted(T0);
        history.accepted(T0 + 59_999);
        history.finished(T0 + 10, "responded", 40L);
        history.accepted(T0 + 2 * MINUTE);
        history.finished(T0 + 2 * MINUTE, "failed", 5L);
        history.finished(T0 + 2 * MINUTE, "expired", null);

        MinuteHistory.Snapshot hour = history.snapshot(T0 + 2 * MINUTE + 5);

        assertEquals(T0 - 57 * MINUTE, hour.startMs());
        assertEquals(2, hour.accepted()[57]);
        assertEquals(0, hour.accepted()[58]);
        assertEquals(1, hour.accepted()[59]);
        assertEquals(1, hour.finished().get("responded")[57]);
        assertEquals(1, hour.finished().get("failed")[59]);
        assertEquals(1, hour.finished().get("expired")[59]);
        assertNull(hour.p50Seconds().get(58), "a minute without calls has no latency");
        assertEquals(0.0025, hour.p50Seconds().get(59), 1e-9, "one call of 5 ms: halfway into its bucket (0, 5 ms]");
    }

    @Test
    void aMinuteAnHourOldIsForgottenNotReadAsThisMinute() {
        MinuteHistory history = new MinuteHistory();
        history.accepted(T0);
        history.finished(T0, "responded", 100L);

        MinuteHistory.Snapshot later = history.snapshot(T0 + 60 * MINUTE);

        assertEquals(0, Arrays.stream(later.accepted()).sum());
        assertTrue(later.p99Seconds().stream().allMatch(v -> v == null));
        history.accepted(T0 + 60 * MINUTE); // the same slot of the ring, a new minute
        assertEquals(1, history.snapshot(T0 + 60 * MINUTE).accepted()[59]);
    }

    @Test
    void quantilesInterpolateInsideTheirBucketLikePrometheus() {
        long[] counts = new long[FrontMetrics.LATENCY_BUCKETS.length + 1];
        counts[4] = 100; // (0.05, 0.1]
        assertEquals(0.075, MinuteHistory.quantile(counts, 0.5), 1e-9);
        assertEquals(0.0995, MinuteHistory.quantile(counts, 0.99), 1e-9);
        counts[counts.length - 1] = 1000; // above the last bound: its lower bound is all that is known
        assertEquals(3600, MinuteHistory.quantile(counts, 0.99), 1e-9);
        assertNull(MinuteHistory.quantile(new long[counts.length], 0.5));
    }

    @Test
    void anUnknownFinalStateIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new MinuteHistory().finished(T0, "transferred", 1L));
    }

    @Test
    void theChartHasOnePointPerMinuteWithCallsAndEscapesItsText() {
        List<Double> values = new java.util.ArrayList<>(java.util.Collections.nCopies(60, 0.0));
        values.set(10, 3.0);
        values.set(59, 7.0);
        List<Double> gaps = new java.util.ArrayList<>(java.util.Collections.nCopies(60, (Double) null));
        gaps.set(59, 0.25);

        String svg = SvgChart.render("Calls <&>", List.of(new SvgChart.Series("responded", "#59a14f", values),
                new SvgChart.Series("p99", "#b07aa1", gaps)), SvgChart::count);

        assertTrue(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""), svg);
        assertTrue(svg.contains("Calls &lt;&amp;&gt;") && !svg.contains("Calls <&>"), svg);
        Matcher points = Pattern.compile("<circle [^>]*data-series=\"responded\" data-value=\"([0-9.]+)\"").matcher(svg);
        List<String> seen = new java.util.ArrayList<>();
        while (points.find()) {
            seen.add(points.group(1));
        }
        assertEquals(List.of("3.0", "7.0"), seen, "a point for each minute with calls");
        assertEquals(1, svg.split("data-series=\"p99\"", -1).length - 1);
        assertEquals(2, SvgChart.niceStep(5 / 4.0, true), "counts step by whole numbers");
        assertEquals(1, SvgChart.niceStep(0.25, true));
        assertEquals(2.5, SvgChart.niceStep(2.1, false));
        assertEquals(0.25, SvgChart.niceStep(0.21, false));
        assertEquals("250 ms", SvgChart.seconds(0.25));
        assertEquals("1.5 s", SvgChart.seconds(1.5));
        assertEquals("3 min", SvgChart.seconds(180));
    }
}
