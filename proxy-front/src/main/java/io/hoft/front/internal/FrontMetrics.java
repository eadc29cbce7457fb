package io.hoft.front.internal;

import io.hoft.transport.channel.LinkState;
import io.hoft.transport.channel.PeerHealth;
import io.hoft.transport.channel.TransportMetrics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * The front's own counters and its latency histogram, and the Prometheus text rendering of
 * everything {@code /_hoft/metrics} shows (text format 0.0.4: one {@code # TYPE} line per
 * metric family, then its samples).
 */
final class FrontMetrics {
    /** Seconds from acceptance to the stored response. */
    static final double[] LATENCY_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600};

    final TransportMetrics counters = new TransportMetrics();
    /** The last hour per minute, for the dashboard's charts. */
    final MinuteHistory minutes = new MinuteHistory();
    private final AtomicLongArray buckets = new AtomicLongArray(LATENCY_BUCKETS.length);
    private final LongAdder latencyCount = new LongAdder();
    private final DoubleAdder latencySum = new DoubleAdder();

    void observeLatency(long millis) {
        double seconds = Math.max(0, millis) / 1000.0;
        for (int i = 0; i < LATENCY_BUCKETS.length; i++) {
            if (seconds <= LATENCY_BUCKETS[i]) {
                buckets.incrementAndGet(i);
            }
        }
        latencyCount.increment();
        latencySum.add(seconds);
    }

    /** Everything a scrape needs that is not a counter of this class. */
    record Gauges(String node, Map<String, Long> transport, List<PeerHealth> peers, Map<String, Long> requestsByState,
            long inFlight, int syncWaiting, Map<String, Long> extra) {}

    String render(Gauges g) {
        Families families = new Families();
        families.addAll(g.transport());
        families.addAll(counters.snapshot());
        families.addAll(g.extra());
        for (String state : List.of("queued", "transferred", "delivered", "responded", "failed", "expired")) {
            families.add("hoft_front_requests{state=\"" + state + "\"}", g.requestsByState().getOrDefault(state, 0L), "gauge");
        }
        families.add("hoft_front_in_flight", g.inFlight(), "gauge");
        families.add("hoft_front_sync_waiting", g.syncWaiting(), "gauge");
        for (PeerHealth peer : g.peers()) {
            String p = "peer=\"" + peer.peer().value() + "\"";
            for (LinkState state : LinkState.values()) {
                families.add("hoft_link_state{" + p + ",state=\"" + state.wireName() + "\"}", peer.state() == state ? 1 : 0, "gauge");
            }
            families.add("hoft_link_last_heard_seconds{" + p + "}",
                    peer.lastHeard() == null ? 0 : peer.lastHeard().toEpochMilli() / 1000, "gauge");
            families.add("hoft_backlog_queued_messages{" + p + "}", peer.queuedMessages(), "gauge");
            families.add("hoft_backlog_unacked_files{" + p + "}", peer.unackedFiles(), "gauge");
            families.add("hoft_backlog_unacked_bytes{" + p + "}", peer.unackedBytes(), "gauge");
            families.add("hoft_backlog_inbound_pending_files{" + p + "}", peer.inboundPending(), "gauge");
            families.add("hoft_backlog_partial_messages{" + p + "}", peer.partialMessages(), "gauge");
            families.add("hoft_link_resends_total{" + p + "}", peer.resends(), "counter");
        }
        StringBuilder out = new StringBuilder();
        families.write(out);
        String name = "hoft_front_response_latency_seconds";
        out.append("# TYPE ").append(name).append(" histogram\n");
        for (int i = 0; i < LATENCY_BUCKETS.length; i++) {
            out.append(name).append("_bucket{le=\"").append(format(LATENCY_BUCKETS[i])).append("\"} ").append(buckets.get(i)).append('\n');
        }
        out.append(name).append("_bucket{le=\"+Inf\"} ").append(latencyCount.sum()).append('\n');
        out.append(name).append("_sum ").append(format(latencySum.sum())).append('\n');
        out.append(name).append("_count ").append(latencyCount.sum()).append('\n');
        return out.toString();
    }

    private static String format(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return String.format(Locale.ROOT, "%s", value);
    }

    /** Samples grouped by family name, in a stable order. */
    private static final class Families {
        private final Map<String, Map<String, Long>> samples = new TreeMap<>();
        private final Map<String, String> types = new LinkedHashMap<>();

        void addAll(Map<String, Long> counters) {
            counters.forEach((key, value) -> add(key, value, null));
        }

        void add(String key, long value, String type) {
            int brace = key.indexOf('{');
            String family = brace < 0 ? key : key.substring(0, brace);
            samples.computeIfAbsent(family, f -> new LinkedHashMap<>()).put(key, value);
            types.putIfAbsent(family, type != null ? type : family.endsWith("_total") ? "counter" : "gauge");
        }

        void write(StringBuilder out) {
            for (Map.Entry<String, Map<String, Long>> family : samples.entrySet()) {
                out.append("# TYPE ").append(family.getKey()).append(' ').append(types.get(family.getKey())).append('\n');
                List<String> keys = new ArrayList<>(family.getValue().keySet());
                for (String key : keys) {
                    out.append(key).append(' ').append(family.getValue().get(key)).append('\n');
                }
            }
        }
    }
}
