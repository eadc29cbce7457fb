package io.hoft.back;

import io.hoft.back.share.ShareConfig;
import io.hoft.transport.config.ConfigLoader;
import io.hoft.transport.config.DataSize;
import io.hoft.transport.config.NodeConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The back proxy's config file ({@code back.yaml}): the {@code node:} section every node has,
 * and the {@code back:} section. Every value is checked when the file is loaded; a bad one is
 * an error naming its key. Left-out values take the defaults shown.
 *
 * <pre>
 * back:
 *   upstreams:                       # the only callees this back will call, by name
 *     default:
 *       url: http://127.0.0.1:8081   # base URL, http or https; a base path is prefixed to every target
 *       maxConcurrent: 64            # calls in flight to this upstream at once
 *       connectTimeout: 5s
 *       responseTimeout: 60s         # longest silence while sending the request or reading the response
 *       preserveHost: false          # false: Host is the upstream's authority; true: the caller's Host
 *       keepAlive: 30s               # how long an idle connection is kept for reuse; 0s: one connection per call
 *       maxResponseBody: 4GiB        # a larger response body is answered 502 upstream-response-too-large
 *       trustedCertificates: ca.pem  # https only: trust exactly these PEM certificates (default: the JVM's trust store)
 *   retry:
 *     maxRetries: 2                  # further attempts when the connection could not be established
 *     delay: 500ms
 *     retryIdempotentOnTimeout: false  # true: also retry GET, HEAD, OPTIONS, TRACE, PUT, DELETE after a response timeout
 *   via: hoft                        # the pseudonym in "Via: 1.1 hoft"
 *   retention: 1h                    # how long a request and its response are kept after the request expired
 *   drainTimeout: 30s                # how long shutting down waits for calls in flight
 *   deliveredStatusDelay: 100ms      # a call still running this long after it started gets a "delivered"
 *                                    # status event; a faster one's response says it (one file fewer); 0s: always
 *   share:                           # optional: publish local folders through the file share (see ShareConfig)
 *     folders: {docs: /srv/docs}
 * </pre>
 *
 * Environment variables override keys, for example {@code HOFT_BACK_UPSTREAMS_DEFAULT_URL}
 * (upstream names in lower case there).
 */
public record BackConfig(NodeConfig node, Back back) {

    public BackConfig {
        if (node == null) {
            throw new IllegalArgumentException("the node section is required");
        }
        if (back == null) {
            throw new IllegalArgumentException("the back section is required");
        }
    }

    /** Loads and checks {@code file}, with overrides from {@code environment}. */
    public static BackConfig load(Path file, Map<String, String> environment) {
        return ConfigLoader.load(file, BackConfig.class, environment);
    }

    /** The {@code back:} section. */
    public record Back(Map<String, Upstream> upstreams, Retry retry, String via, Duration retention, Duration drainTimeout,
            Duration deliveredStatusDelay, ShareConfig share) {
        private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
        private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

        public Back {
            if (upstreams == null || upstreams.isEmpty()) {
                throw new IllegalArgumentException("upstreams must name at least one upstream");
            }
            for (String name : upstreams.keySet()) {
                if (!NAME.matcher(name).matches()) {
                    throw new IllegalArgumentException("upstream name '" + name + "' is not 1-64 of [A-Za-z0-9._-]");
                }
                if (upstreams.get(name) == null) {
                    throw new IllegalArgumentException("upstream " + name + " needs at least a url");
                }
            }
            upstreams = Collections.unmodifiableMap(new LinkedHashMap<>(upstreams));
            retry = retry == null ? Retry.DEFAULT : retry;
            via = via == null ? "hoft" : via;
            if (!TOKEN.matcher(via).matches()) {
                throw new IllegalArgumentException("via must be a token (letters, digits and !#$%&'*+.^_`|~-), not '" + via + "'");
            }
            retention = positiveOrDefault(retention, Duration.ofHours(1), "retention", true);
            drainTimeout = positiveOrDefault(drainTimeout, Duration.ofSeconds(30), "drainTimeout", true);
            deliveredStatusDelay = positiveOrDefault(deliveredStatusDelay, Duration.ofMillis(100), "deliveredStatusDelay", true);
        }
    }

    /**
     * One callee. {@code url} is its base URL ({@code http} or {@code https}, no user info, no
     * query or fragment); a base path (such as {@code /api}) is put before every request target.
     */
    public record Upstream(String url, Integer maxConcurrent, Duration connectTimeout, Duration responseTimeout,
            Boolean preserveHost, Duration keepAlive, DataSize maxResponseBody, Path trustedCertificates) {

        public Upstream {
            if (url == null) {
                throw new IllegalArgumentException("url is required");
            }
            parse(url);
            maxConcurrent = maxConcurrent == null ? 64 : maxConcurrent;
            if (maxConcurrent < 1 || maxConcurrent > 10_000) {
                throw new IllegalArgumentException("maxConcurrent must be 1 to 10000, not " + maxConcurrent);
            }
            connectTimeout = positiveOrDefault(connectTimeout, Duration.ofSeconds(5), "connectTimeout", false);
            responseTimeout = positiveOrDefault(responseTimeout, Duration.ofSeconds(60), "responseTimeout", false);
            preserveHost = preserveHost != null && preserveHost;
            keepAlive = positiveOrDefault(keepAlive, Duration.ofSeconds(30), "keepAlive", true);
            maxResponseBody = maxResponseBody == null ? DataSize.parse("4GiB") : maxResponseBody;
            if (maxResponseBody.bytes() < 1) {
                throw new IllegalArgumentException("maxResponseBody must be at least 1 byte");
            }
            if (trustedCertificates != null) {
                if (!url.regionMatches(true, 0, "https:", 0, 6)) {
                    throw new IllegalArgumentException("trustedCertificates is for https upstreams only");
                }
                certificates(trustedCertificates);
            }
        }

        /** The certificates of a PEM (or DER) file, at least one. */
        static List<X509Certificate> certificates(Path file) {
            try (InputStream in = Files.newInputStream(file)) {
                List<X509Certificate> certificates = new ArrayList<>();
                for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    certificates.add((X509Certificate) certificate);
                }
                if (certificates.isEmpty()) {
                    throw new IllegalArgumentException("trustedCertificates " + file + " holds no certificate");
                }
                return certificates;
            } catch (IOException | CertificateException e) {
                throw new IllegalArgumentException("trustedCertificates " + file + " cannot be read: " + e.getMessage());
            }
        }

        /** The base URL, checked. */
        public URI uri() {
            return parse(url);
        }

        private static URI parse(String url) {
            URI uri;
            try {
                uri = new URI(url);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("url '" + url + "' is not a URL: " + e.getMessage());
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new IllegalArgumentException("url '" + url + "' must start with http:// or https://");
            }
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("url '" + url + "' has no host");
            }
            if (uri.getRawUserInfo() != null) {
                throw new IllegalArgumentException("url '" + url + "' must not carry user info (credentials belong in headers)");
            }
            if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new IllegalArgumentException("url '" + url + "' must not have a query or fragment");
            }
            return uri;
        }
    }

    /**
     * What is retried. A call is retried only when the connection could not be established (the
     * request provably never reached the callee); with {@code retryIdempotentOnTimeout} also an
     * idempotent request whose response timed out, which may then reach the callee more than once.
     */
    public record Retry(Integer maxRetries, Duration delay, Boolean retryIdempotentOnTimeout) {
        public static final Retry DEFAULT = new Retry(null, null, null);

        public Retry {
            maxRetries = maxRetries == null ? 2 : maxRetries;
            if (maxRetries < 0 || maxRetries > 100) {
                throw new IllegalArgumentException("maxRetries must be 0 to 100, not " + maxRetries);
            }
            delay = positiveOrDefault(delay, Duration.ofMillis(500), "delay", true);
            retryIdempotentOnTimeout = retryIdempotentOnTimeout != null && retryIdempotentOnTimeout;
        }
    }

    private static Duration positiveOrDefault(Duration value, Duration fallback, String name, boolean zeroAllowed) {
        if (value == null) {
            return fallback;
        }
        if (value.isNegative() || (!zeroAllowed && value.isZero())) {
            throw new IllegalArgumentException(name + " must be " + (zeroAllowed ? "zero or more" : "more than zero"));
        }
        return value;
    }
}
