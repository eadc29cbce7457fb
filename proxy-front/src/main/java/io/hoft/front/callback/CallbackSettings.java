package io.hoft.front.callback;

import io.hoft.transport.channel.Backoff;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How the {@link CallbackDispatcher} delivers: the signing secret, timeouts, retry schedule,
 * which URLs it may call, and how many deliveries run at once.
 *
 * @param webhooks the Standard Webhooks signer made from the {@code whsec_} secret
 * @param connectTimeout how long one TCP (and TLS) connect may take
 * @param attemptTimeout how long one whole attempt may take, connect to last response byte, plus
 *     one second per MiB of payload beyond the first; a receiver that trickles bytes is cut off
 *     here (Standard Webhooks suggests 15 to 30 s)
 * @param backoff delay before retry {@code n}: {@code initial * multiplier^(n-1)}, capped, with jitter
 * @param maxRetryAfter the longest {@code Retry-After} honoured; longer values are capped to it
 * @param minRetryWindow a job retries until its expiry, but for at least this long after it was
 *     scheduled, so a result arriving just before the request's TTL (or the {@code expired}
 *     notice itself, sent after it) still gets retries
 * @param allowPrivateNetworks whether callbacks may go to loopback, link-local and private ranges
 * @param allowHosts if not empty, the only hosts callbacks may go to ({@code name} or {@code *.domain})
 * @param maxConcurrentDeliveries attempts in flight at once (threads and connections)
 * @param pollInterval how often the scheduler looks for due jobs when nothing wakes it
 * @param historyRetention how long ended jobs and their attempts stay for operators to read
 * @param drainTimeout how long {@link CallbackDispatcher#close} lets attempts in flight finish
 */
public record CallbackSettings(
        StandardWebhooks webhooks,
        Duration connectTimeout,
        Duration attemptTimeout,
        Backoff backoff,
        Duration maxRetryAfter,
        Duration minRetryWindow,
        boolean allowPrivateNetworks,
        List<String> allowHosts,
        int maxConcurrentDeliveries,
        Duration pollInterval,
        Duration historyRetention,
        Duration drainTimeout) {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(30);
    /** 5 s, 15 s, 45 s, 2 min 15 s, ... up to 30 min between attempts, each within ±20 %. */
    public static final Backoff DEFAULT_BACKOFF = new Backoff(Duration.ofSeconds(5), 3, Duration.ofMinutes(30), 0.2);
    public static final Duration DEFAULT_MAX_RETRY_AFTER = Duration.ofHours(1);
    public static final Duration DEFAULT_MIN_RETRY_WINDOW = Duration.ofMinutes(15);
    public static final int DEFAULT_MAX_CONCURRENT_DELIVERIES = 16;
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_HISTORY_RETENTION = Duration.ofDays(7);
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(5);

    public CallbackSettings {
        Objects.requireNonNull(webhooks, "webhooks");
        Objects.requireNonNull(backoff, "backoff");
        positive(connectTimeout, "connectTimeout");
        positive(attemptTimeout, "attemptTimeout");
        positive(maxRetryAfter, "maxRetryAfter");
        notNegative(minRetryWindow, "minRetryWindow");
        positive(pollInterval, "pollInterval");
        notNegative(historyRetention, "historyRetention");
        notNegative(drainTimeout, "drainTimeout");
        allowHosts = List.copyOf(allowHosts);
        if (maxConcurrentDeliveries < 1) {
            throw new IllegalArgumentException("maxConcurrentDeliveries must be at least 1, not " + maxConcurrentDeliveries);
        }
    }

    /** The defaults above, with the given secret and URL rules. */
    public static CallbackSettings defaults(String secret, boolean allowPrivateNetworks, List<String> allowHosts) {
        return defaults(StandardWebhooks.fromSecret(secret), allowPrivateNetworks, allowHosts);
    }

    /** The defaults above, with the given signer and URL rules. */
    public static CallbackSettings defaults(StandardWebhooks webhooks, boolean allowPrivateNetworks, List<String> allowHosts) {
        return new CallbackSettings(webhooks, DEFAULT_CONNECT_TIMEOUT, DEFAULT_ATTEMPT_TIMEOUT,
                DEFAULT_BACKOFF, DEFAULT_MAX_RETRY_AFTER, DEFAULT_MIN_RETRY_WINDOW, allowPrivateNetworks, allowHosts,
                DEFAULT_MAX_CONCURRENT_DELIVERIES, DEFAULT_POLL_INTERVAL, DEFAULT_HISTORY_RETENTION, DEFAULT_DRAIN_TIMEOUT);
    }

    /**
     * From plain values, as a config loader has them: the {@code whsec_} secret, the per-attempt
     * timeout in milliseconds, the URL rules and the concurrency; everything else defaults.
     */
    public static CallbackSettings of(String secret, long attemptTimeoutMs, boolean allowPrivateNetworks,
            List<String> allowHosts, int maxConcurrentDeliveries) {
        return defaults(secret, allowPrivateNetworks, allowHosts)
                .withAttemptTimeout(Duration.ofMillis(attemptTimeoutMs))
                .withMaxConcurrentDeliveries(maxConcurrentDeliveries);
    }

    public CallbackSettings withAttemptTimeout(Duration timeout) {
        return new CallbackSettings(webhooks, connectTimeout.compareTo(timeout) > 0 ? timeout : connectTimeout, timeout,
                backoff, maxRetryAfter, minRetryWindow, allowPrivateNetworks, allowHosts, maxConcurrentDeliveries,
                pollInterval, historyRetention, drainTimeout);
    }

    public CallbackSettings withMaxConcurrentDeliveries(int max) {
        return new CallbackSettings(webhooks, connectTimeout, attemptTimeout, backoff, maxRetryAfter, minRetryWindow,
                allowPrivateNetworks, allowHosts, max, pollInterval, historyRetention, drainTimeout);
    }

    public CallbackSettings withBackoff(Backoff newBackoff) {
        return new CallbackSettings(webhooks, connectTimeout, attemptTimeout, newBackoff, maxRetryAfter, minRetryWindow,
                allowPrivateNetworks, allowHosts, maxConcurrentDeliveries, pollInterval, historyRetention, drainTimeout);
    }

    public CallbackSettings withMinRetryWindow(Duration window) {
        return new CallbackSettings(webhooks, connectTimeout, attemptTimeout, backoff, maxRetryAfter, window,
                allowPrivateNetworks, allowHosts, maxConcurrentDeliveries, pollInterval, historyRetention, drainTimeout);
    }

    public CallbackSettings withPollInterval(Duration interval) {
        return new CallbackSettings(webhooks, connectTimeout, attemptTimeout, backoff, maxRetryAfter, minRetryWindow,
                allowPrivateNetworks, allowHosts, maxConcurrentDeliveries, interval, historyRetention, drainTimeout);
    }

    private static void positive(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, not " + value);
        }
    }

    private static void notNegative(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, not " + value);
        }
    }
}
