package io.hoft.front;

import java.util.Map;

/**
 * Numbers another part of the front adds to {@code /_hoft/metrics}. A {@link CallbackScheduler}
 * that implements this shows its counters there (attempts, successes, give-ups, ...).
 */
@FunctionalInterface
public interface MetricsSource {

    /**
     * Current values by Prometheus sample name with labels, for example
     * {@code hoft_callback_attempts_total{result="2xx"}}; names ending in {@code _total} are
     * counters, the others gauges.
     */
    Map<String, Long> metrics();
}
