package io.hoft.transport.config;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;

/**
 * The dial-out link's config values ({@code link.url}, {@code link.proxy}) parsed with messages
 * that say what is expected, and its defaults: the config refuses a bad value when it is loaded,
 * and the link (module link-dialout) builds its settings from the same parse.
 */
public final class DialoutConfigs {
    /** How often an idle control connection is pinged, unless {@code link.heartbeat} says otherwise. */
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(10);
    /** How many transfers run at once each way, unless {@code link.parallel} says otherwise. */
    public static final int DEFAULT_PARALLEL = 4;

    private DialoutConfigs() {}

    /** The front's base URL: http or https, a host, no query or fragment. */
    public static URI checkUrl(String value) {
        try {
            URI uri = new URI(value);
            if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                    || uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null
                    || uri.getRawUserInfo() != null) {
                throw new URISyntaxException(value, "not an http or https base URL");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("link.url must be the front's base URL like https://front.example:443,"
                    + " not '" + value + "'");
        }
    }

    /** An HTTP proxy as {@code host:port} or {@code http://host:port}. */
    public static InetSocketAddress proxyAddress(String value) {
        String text = value.startsWith("http://") ? value.substring("http://".length()) : value;
        if (text.endsWith("/")) {
            text = text.substring(0, text.length() - 1);
        }
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1 || text.contains("@") || text.contains("/")) {
            throw new IllegalArgumentException("link.proxy must be host:port (an HTTP proxy that allows CONNECT), not '"
                    + value + "'");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("link.proxy port must be 1-65535 in '" + value + "'");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }
}
