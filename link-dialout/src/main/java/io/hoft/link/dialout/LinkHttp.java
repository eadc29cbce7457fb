package io.hoft.link.dialout;

import io.hoft.transport.agent.Threads;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.spool.SpoolFileName;
import java.io.IOException;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;

/**
 * The dialing node's HTTP to its front: one JDK client for the control WebSocket and every
 * transfer (HTTP/1.1, so each transfer has a connection and flow-control window of its own; no
 * redirects; the settings' proxy and pinned trust), and the credential every request carries: a
 * {@link LinkToken} for the front, issued anew once it is a minute old, so none nears its end.
 */
final class LinkHttp {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    static {
        // The JDK client moves bodies in buffers of jdk.httpclient.bufsize bytes (16 KiB by default),
        // which caps a large transfer at about half of what the disk and loopback allow; 256 KiB
        // reaches curl's speed. The property is read once, when the JDK client is first used in the
        // JVM, so it is set here, before this link builds its client, unless the operator set it.
        if (System.getProperty("jdk.httpclient.bufsize") == null) {
            System.setProperty("jdk.httpclient.bufsize", Integer.toString(256 * 1024));
        }
    }

    private final NodeId front;
    private final DialoutSettings settings;
    private final Keyring keyring;
    private final Clock clock;
    private final HttpClient client;
    private String token;
    private Instant tokenIssued = Instant.EPOCH;

    LinkHttp(NodeId front, DialoutSettings settings, Keyring keyring, Clock clock) throws IOException {
        this.front = front;
        this.settings = settings;
        this.keyring = keyring;
        this.clock = clock;
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1) // one connection per transfer: no shared flow-control window
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(Executors.newCachedThreadPool(Threads.named("hoft-dialout-http")));
        if (settings.proxy() != null) {
            builder.proxy(ProxySelector.of(settings.proxy()));
        }
        if (settings.trust() != null) {
            builder.sslContext(PinnedTrust.sslContext(settings.trust()));
        }
        this.client = builder.build();
    }

    HttpClient client() {
        return client;
    }

    DialoutSettings settings() {
        return settings;
    }

    /** A request to {@code uri} carrying this node's token. */
    HttpRequest.Builder request(URI uri) {
        return HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token());
    }

    /** A request for the spool file {@code name} at the front ({@code {url}/_hoft/link/files/{name}}). */
    HttpRequest.Builder file(SpoolFileName name) {
        return request(settings.fileUri(name.toString()));
    }

    synchronized String token() {
        Instant now = clock.instant();
        if (token == null || Duration.between(tokenIssued, now).compareTo(Duration.ofMinutes(1)) > 0 || now.isBefore(tokenIssued)) {
            token = LinkToken.issue(keyring, front, now, LinkToken.LIFETIME);
            tokenIssued = now;
        }
        return token;
    }

    /** How long a transfer of {@code size} bytes may take: at least 256 KiB/s, or it is dead. */
    static Duration transferTimeout(long size) {
        return Duration.ofSeconds(60 + size / (256 * 1024));
    }
}
