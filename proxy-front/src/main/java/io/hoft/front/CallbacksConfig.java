package io.hoft.front;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The {@code front.callbacks:} section: how callbacks and status events are delivered and
 * which URLs they may go to. The front itself only passes this record on; the callback
 * delivery ({@code io.hoft.front.callback}) reads it and may add keys of its own here.
 *
 * <pre>
 * callbacks:
 *   secretFile: keys/webhook.secret   # Standard Webhooks secret ("whsec_..."), owner-only
 *   allowPrivateNetworks: false       # loopback, link-local and private ranges refused unless true
 *   allowHosts: [hooks.example.com]   # if not empty, only these hosts (exact names) are allowed
 *   timeout: 10s                      # per delivery attempt
 *   maxConcurrent: 16                 # deliveries in progress at once
 *   retryInitial: 5s                  # first retry after this, then three times longer each time (with jitter)
 *   retryMax: 30m                     # longest wait between two attempts
 * </pre>
 *
 * Deliveries are retried with backoff until a 2xx answer, a 410, or the request's TTL.
 *
 * @param secretFile the webhook signing secret (required for callbacks to be signed)
 * @param allowPrivateNetworks whether callback URLs may resolve to loopback, link-local or private addresses
 * @param allowHosts if not empty, the only host names callbacks may go to
 * @param timeout the time limit of one delivery attempt
 * @param maxConcurrent how many deliveries may be in progress at once
 * @param retryInitial the wait before the first retry
 * @param retryMax the longest wait between two attempts
 */
public record CallbacksConfig(Path secretFile, Boolean allowPrivateNetworks, List<String> allowHosts, Duration timeout,
        Integer maxConcurrent, Duration retryInitial, Duration retryMax) {

    public static final CallbacksConfig DEFAULTS = new CallbacksConfig(null, null, null, null, null, null, null);

    public CallbacksConfig {
        allowPrivateNetworks = allowPrivateNetworks != null && allowPrivateNetworks;
        allowHosts = allowHosts == null ? List.of() : List.copyOf(allowHosts);
        timeout = timeout == null ? Duration.ofSeconds(10) : timeout;
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("callbacks.timeout must be positive");
        }
        maxConcurrent = maxConcurrent == null ? 16 : maxConcurrent;
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("callbacks.maxConcurrent must be at least 1");
        }
        retryInitial = retryInitial == null ? Duration.ofSeconds(5) : retryInitial;
        retryMax = retryMax == null ? Duration.ofMinutes(30) : retryMax;
        if (retryInitial.isNegative() || retryInitial.isZero() || retryMax.compareTo(retryInitial) < 0) {
            throw new IllegalArgumentException("callbacks.retryInitial must be positive and at most callbacks.retryMax");
        }
    }
}
