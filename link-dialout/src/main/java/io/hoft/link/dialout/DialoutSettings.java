package io.hoft.link.dialout;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How a dialing node reaches its front.
 *
 * @param url the front's base URL ({@code http://} or {@code https://}); the link uses
 *     {@code {url}/_hoft/link} (as {@code ws://} or {@code wss://}) and {@code {url}/_hoft/link/files/}
 * @param proxy an HTTP proxy to tunnel through with CONNECT, or null for a direct connection
 * @param heartbeat how often an idle control connection is pinged; three silent intervals restart it
 * @param parallel how many transfers run at once in each direction (at least 2: one is kept for small files)
 * @param trust a PEM file: the front's pinned certificate or the CAs to trust; null for the JDK's defaults
 * @param reconnect the backoff between reconnection attempts after the fast ones
 */
public record DialoutSettings(URI url, InetSocketAddress proxy, Duration heartbeat, int parallel, Path trust,
        Reconnect reconnect) {
    public DialoutSettings {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(heartbeat, "heartbeat");
        if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
            throw new IllegalArgumentException("the front's url must be http or https, not " + url);
        }
        if (parallel < 2 || parallel > 64) {
            throw new IllegalArgumentException("parallel must be between 2 and 64, not " + parallel);
        }
        reconnect = reconnect == null ? Reconnect.DEFAULT : reconnect;
    }

    /**
     * Reconnection after a failed or lost connection: {@code fastAttempts} tries about {@code fast}
     * apart, then capped exponential backoff from {@code initial} doubling up to {@code max}; every
     * delay scaled by a random factor in {@code [1 - jitter, 1 + jitter]}.
     */
    public record Reconnect(int fastAttempts, Duration fast, Duration initial, Duration max, double jitter) {
        public static final Reconnect DEFAULT =
                new Reconnect(3, Duration.ofMillis(250), Duration.ofSeconds(1), Duration.ofSeconds(30), 0.3);

        public long delayMillis(int failures, java.util.random.RandomGenerator random) {
            double base = failures <= fastAttempts ? fast.toMillis()
                    : Math.min(max.toMillis(), initial.toMillis() * Math.pow(2, Math.min(30, failures - fastAttempts - 1)));
            double factor = 1 + jitter * (2 * random.nextDouble() - 1);
            return Math.max(1, Math.round(base * factor));
        }
    }

    URI base() {
        String text = url.toString();
        return URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
    }

    URI controlUri() {
        URI base = base();
        String scheme = "https".equals(base.getScheme()) ? "wss" : "ws";
        return URI.create(scheme + base.toString().substring(base.getScheme().length()) + DialoutServerLink.PATH);
    }

    URI fileUri(String name) {
        return URI.create(base() + DialoutServerLink.FILES + name);
    }
}
