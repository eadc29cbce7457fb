package io.hoft.back;

import java.io.IOException;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.hc.client5.http.HttpRoute;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.TlsConfig;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.http2.HttpVersionPolicy;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * A configured upstream at run time: where it is, its permits (at most {@code maxConcurrent}
 * calls in flight) and its own HttpClient connection pool of the same size.
 *
 * <p>The connections ({@link CalleeConnection}) speak HTTP/1.1 only and code header bytes as
 * ISO-8859-1 in both directions: without that, HttpClient writes every character from U+0080 to
 * U+009F of a request line or header value as {@code ?} (checked on the wire by
 * {@code HttpFidelityTest}). A pooled connection is checked just before a request is written on
 * it, not when it is leased ({@link Exchange}), and kept no longer than the callee announced.
 */
final class Callee implements AutoCloseable {
    static final Http1Config HTTP1 = Http1Config.custom()
            .setMaxLineLength(64 * 1024)
            .setMaxHeaderCount(1000)
            .setBufferSize(64 * 1024)
            .build();

    private final String name;
    private final BackConfig.Upstream config;
    private final String scheme;
    private final Targets.HostPort hostPort;
    private final String basePath;
    private final String authority;
    private final HttpRoute route;
    private final Semaphore permits;
    private final PoolingHttpClientConnectionManager connections;

    Callee(String name, BackConfig.Upstream config) {
        this.name = name;
        this.config = config;
        URI uri = config.uri();
        this.scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        this.authority = uri.getRawAuthority();
        this.hostPort = Targets.HostPort.parse(authority, scheme)
                .orElseThrow(() -> new IllegalArgumentException("upstream " + name + ": bad authority " + authority));
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        this.basePath = path;
        String host = hostPort.host().startsWith("[") ? hostPort.host().substring(1, hostPort.host().length() - 1) : hostPort.host();
        this.route = new HttpRoute(new HttpHost(scheme, host, hostPort.port()), null, scheme.equals("https"));
        this.permits = new Semaphore(config.maxConcurrent());
        Timeout responseTimeout = Timeout.of(config.responseTimeout());
        this.connections = PoolingHttpClientConnectionManagerBuilder.create()
                .setConnectionFactory(CalleeConnection.FACTORY)
                .setTlsSocketStrategy(tls(config))
                .setDefaultTlsConfig(TlsConfig.custom().setVersionPolicy(HttpVersionPolicy.FORCE_HTTP_1).build())
                .setDefaultSocketConfig(SocketConfig.custom().setSoTimeout(responseTimeout).setTcpNoDelay(true).build())
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.of(config.connectTimeout()))
                        .setSocketTimeout(responseTimeout)
                        .setValidateAfterInactivity(TimeValue.NEG_ONE_MILLISECOND) // the exchange checks, just before it writes
                        .build())
                .setMaxConnPerRoute(config.maxConcurrent())
                .setMaxConnTotal(config.maxConcurrent())
                .build();
    }

    /** The JVM's trust store, or only the configured certificates (host names are verified either way). */
    private static DefaultClientTlsStrategy tls(BackConfig.Upstream config) {
        if (config.trustedCertificates() == null) {
            return DefaultClientTlsStrategy.createSystemDefault();
        }
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int n = 0;
            for (X509Certificate certificate : BackConfig.Upstream.certificates(config.trustedCertificates())) {
                trust.setCertificateEntry("trusted-" + n++, certificate);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return new DefaultClientTlsStrategy(context);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot set up TLS trust from " + config.trustedCertificates() + ": " + e, e);
        }
    }

    String name() {
        return name;
    }

    BackConfig.Upstream config() {
        return config;
    }

    /** The base path without a trailing slash; empty if none. */
    String basePath() {
        return basePath;
    }

    /** The authority of the base URL as configured: the Host value unless {@code preserveHost}. */
    String authority() {
        return authority;
    }

    HttpRoute route() {
        return route;
    }

    Semaphore permits() {
        return permits;
    }

    PoolingHttpClientConnectionManager connections() {
        return connections;
    }

    /** True if an absolute target with this scheme, host, port and path is within this upstream. */
    boolean matches(String otherScheme, Targets.HostPort other, String path) {
        if (!scheme.equals(otherScheme) || !hostPort.equals(other)) {
            return false;
        }
        return basePath.isEmpty() || path.equals(basePath) || path.startsWith(basePath + "/") || path.startsWith(basePath + "?");
    }

    /** Closes idle and expired connections (called now and then). */
    void maintain() {
        connections.closeExpired();
        connections.closeIdle(TimeValue.of(config.keepAlive().isZero() ? java.time.Duration.ofSeconds(1) : config.keepAlive()));
    }

    @Override
    public void close() {
        connections.close(CloseMode.IMMEDIATE);
    }
}
