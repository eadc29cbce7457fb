package io.hoft.transport.channel;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of what the channel did since start, keyed by a metric name and labels in
 * Prometheus form ({@code hoft_files_sent_total{peer="back",kind="data"}}), and a few gauges
 * (values set as they are now, named without {@code _total}). Cheap to update from any thread;
 * {@link #snapshot} reads them all, sorted by key.
 */
public final class TransportMetrics {
    private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();

    /** Adds {@code amount} to the counter; labels are name/value pairs. */
    public void add(String name, long amount, String... labels) {
        counters.computeIfAbsent(key(name, labels), k -> new LongAdder()).add(amount);
    }

    public void increment(String name, String... labels) {
        add(name, 1, labels);
    }

    /** Sets a gauge to its current value. */
    public void set(String name, long value, String... labels) {
        gauges.computeIfAbsent(key(name, labels), k -> new AtomicLong()).set(value);
    }

    public long get(String name, String... labels) {
        String key = key(name, labels);
        AtomicLong gauge = gauges.get(key);
        if (gauge != null) {
            return gauge.get();
        }
        LongAdder adder = counters.get(key);
        return adder == null ? 0 : adder.sum();
    }

    /** Sum over every label combination of {@code name}. */
    public long total(String name) {
        long sum = 0;
        for (Map.Entry<String, LongAdder> entry : counters.entrySet()) {
            String key = entry.getKey();
            if (key.equals(name) || key.startsWith(name + "{")) {
                sum += entry.getValue().sum();
            }
        }
        return sum;
    }

    public Map<String, Long> snapshot() {
        Map<String, Long> copy = new TreeMap<>();
        counters.forEach((key, adder) -> copy.put(key, adder.sum()));
        gauges.forEach((key, gauge) -> copy.put(key, gauge.get()));
        return copy;
    }

    static String key(String name, String... labels) {
        if (labels.length == 0) {
            return name;
        }
        if (labels.length % 2 != 0) {
            throw new IllegalArgumentException("labels come in name/value pairs");
        }
        StringBuilder key = new StringBuilder(name).append('{');
        for (int i = 0; i < labels.length; i += 2) {
            if (i > 0) {
                key.append(',');
            }
            key.append(labels[i]).append("=\"").append(labels[i + 1].replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        return key.append('}').toString();
    }
}
