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
 *   maxAttempts: 20                   # optional; without it, retries go on until the request's TTL
 * </pre>
 *
 * @param secretFile the webhook signing secret (required for callbacks to be signed)
 * @param allowPrivateNetworks whether callback URLs may resolve to loopback, link-local or private addresses
 * @param allowHosts if not empty, the only host names callbacks may go to
 * @param timeout the time limit of one delivery attempt
 * @param maxAttempts the most attempts per callback; null means until the request's TTL
 */
public record CallbacksConfig(Path secretFile, Boolean allowPrivateNetworks, List<String> allowHosts, Duration timeout,
        Integer maxAttempts) {

    public static final CallbacksConfig DEFAULTS = new CallbacksConfig(null, null, null, null, null);

    public CallbacksConfig {
        allowPrivateNetworks = allowPrivateNetworks != null && allowPrivateNetworks;
        allowHosts = allowHosts == null ? List.of() : List.copyOf(allowHosts);
        timeout = timeout == null ? Duration.ofSeconds(10) : timeout;
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("callbacks.timeout must be positive");
        }
        if (maxAttempts != null && maxAttempts < 1) {
            throw new IllegalArgumentException("callbacks.maxAttempts must be at least 1");
        }
    }
}
