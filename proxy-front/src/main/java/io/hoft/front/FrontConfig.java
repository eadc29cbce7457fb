package io.hoft.front;

import io.hoft.front.share.ShareSettings;
import io.hoft.transport.config.DataSize;
import io.hoft.transport.config.NodeConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A front node's config file ({@code front.yaml}): the {@code node:} section every node has,
 * and the {@code front:} section below. Read it with
 * {@code ConfigLoader.load(path, FrontConfig.class, System.getenv())}; every key can be
 * overridden by an environment variable such as {@code HOFT_FRONT_LISTEN} or
 * {@code HOFT_FRONT_LIMITS_MAX_BODY}. A key left out takes the default shown.
 *
 * <pre>
 * front:
 *   listen: 127.0.0.1:8080          # host:port; port 0 picks a free port
 *   tls: {cert: tls/front-cert.pem, key: tls/front-key.pem}  # optional: HTTPS (and WSS for the dial-out link)
 *   routes:                         # longest prefix wins; at least one
 *     - {prefix: /, upstream: default}         # peer may be left out when the node has one peer
 *     - {name: orders, prefix: /orders, peer: back, upstream: orders}
 *   sync: {defaultWait: 30s, maxWait: 120s}  # a sync call waits this long (Prefer: wait=N asks for N seconds, capped)
 *   requestTtl: 1h                  # a call not answered by then expires (Hoft-Ttl may shorten it)
 *   retention: 24h                  # a finished call stays visible to polls this long after its TTL
 *   limits:
 *     maxBody: 1GiB                 # 413 above
 *     maxInFlight: 10000            # stored calls not yet finished; 429 above
 *     retryAfter: 5s                # Retry-After sent with that 429
 *     maxHeaders: 100               # header fields; 431 above
 *     maxHeaderBytes: 64KiB         # names + values + 4 bytes per field; 431 above
 *     headerTimeout: 30s            # the request head must arrive within this
 *     readTimeout: 30s              # no byte of the body for this long ends the call
 *     minBodyRate: 1KiB             # bytes per second a body must average after readTimeout (slowloris)
 *     writeTimeout: 60s             # a caller that reads nothing of the answer for this long is dropped
 *     idleTimeout: 120s             # a kept-alive connection with no request for this long is closed
 *   callbacks: {...}                # see CallbacksConfig
 *   auth:
 *     mode: none                    # none, jwt or apikey
 *   insecureAllowUnauthenticated: false
 *   ioThreads: 2                    # default: the number of processors, at least 2
 *   workerThreads: 64               # threads that read bodies and write answers
 *   share: {...}                    # the file share under /_hoft/files; see ShareSettings
 * </pre>
 *
 * <p>The front refuses to start when it listens on anything but a loopback address without
 * caller authentication, unless {@code insecureAllowUnauthenticated: true} says that this is
 * wanted.
 */
public record FrontConfig(NodeConfig node, Front front) {

    public FrontConfig {
        Objects.requireNonNull(node, "node section is required");
        Objects.requireNonNull(front, "front section is required");
        front = front.resolvePeers(node);
    }

    /** The {@code front:} section. */
    public record Front(
            String listen,
            List<Route> routes,
            Sync sync,
            Duration requestTtl,
            Duration retention,
            Limits limits,
            CallbacksConfig callbacks,
            Auth auth,
            Boolean insecureAllowUnauthenticated,
            Integer ioThreads,
            Integer workerThreads,
            ShareSettings share,
            Tls tls) {

        private static final Pattern LISTEN = Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[^:\\[\\]]+):(\\d{1,5})");

        public Front {
            listen = listen == null ? "127.0.0.1:8080" : listen.trim();
            Matcher m = LISTEN.matcher(listen);
            if (!m.matches() || Integer.parseInt(m.group(2)) > 65535) {
                throw new IllegalArgumentException("listen must be host:port (for example 127.0.0.1:8080 or [::1]:8080), not '"
                        + listen + "'");
            }
            if (routes == null || routes.isEmpty()) {
                throw new IllegalArgumentException("routes must name at least one route ({prefix: /, upstream: default})");
            }
            routes = List.copyOf(routes);
            Set<String> prefixes = new HashSet<>();
            for (Route route : routes) {
                if (!prefixes.add(route.prefix())) {
                    throw new IllegalArgumentException("routes: prefix " + route.prefix() + " appears twice");
                }
            }
            sync = sync == null ? new Sync(null, null) : sync;
            requestTtl = requestTtl == null ? Duration.ofHours(1) : requestTtl;
            positive(requestTtl, "requestTtl");
            retention = retention == null ? Duration.ofHours(24) : retention;
            if (retention.isNegative()) {
                throw new IllegalArgumentException("retention cannot be negative");
            }
            limits = limits == null ? Limits.DEFAULTS : limits;
            callbacks = callbacks == null ? CallbacksConfig.DEFAULTS : callbacks;
            auth = auth == null ? Auth.NONE : auth;
            insecureAllowUnauthenticated = insecureAllowUnauthenticated != null && insecureAllowUnauthenticated;
            ioThreads = ioThreads == null ? Math.max(2, Runtime.getRuntime().availableProcessors()) : ioThreads;
            workerThreads = workerThreads == null ? 64 : workerThreads;
            share = share == null ? ShareSettings.DEFAULTS : share;
            if (ioThreads < 1 || workerThreads < 2) {
                throw new IllegalArgumentException("ioThreads must be at least 1 and workerThreads at least 2");
            }
            Set<String> names = new HashSet<>();
            routes.forEach(r -> names.add(r.name()));
            auth.checkRouteNames(names);
            if (!auth.isEnabled() && !isLoopback(hostOf(listen)) && !insecureAllowUnauthenticated) {
                throw new IllegalArgumentException("listen " + listen + " is not a loopback address and auth.mode is none,"
                        + " so anyone who reaches it could send calls through the link. Configure auth (jwt or apikey),"
                        + " listen on 127.0.0.1, or set insecureAllowUnauthenticated: true if that is really wanted");
            }
        }

        /** The host part of {@link #listen}, without brackets for IPv6. */
        public String listenHost() {
            return hostOf(listen);
        }

        private static String hostOf(String listen) {
            Matcher m = LISTEN.matcher(listen);
            m.matches();
            String host = m.group(1);
            return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        }

        public int listenPort() {
            Matcher m = LISTEN.matcher(listen);
            m.matches();
            return Integer.parseInt(m.group(2));
        }

        Front resolvePeers(NodeConfig node) {
            List<Route> resolved = new ArrayList<>();
            for (Route route : routes) {
                String peer = route.peer();
                if (peer == null) {
                    if (node.peers().size() != 1) {
                        throw new IllegalArgumentException("front.routes: route " + route.prefix()
                                + " must name its peer, since the node has several");
                    }
                    peer = node.peers().get(0).id();
                }
                String wanted = peer;
                if (node.peers().stream().noneMatch(p -> p.id().equals(wanted))) {
                    throw new IllegalArgumentException("front.routes: route " + route.prefix() + " names peer " + peer
                            + ", which is not in node.peers");
                }
                resolved.add(new Route(route.name(), route.prefix(), peer, route.upstream()));
            }
            return new Front(listen, resolved, sync, requestTtl, retention, limits, callbacks, auth,
                    insecureAllowUnauthenticated, ioThreads, workerThreads, share, tls);
        }

        /** Only literal loopback addresses and {@code localhost} count; any other name might resolve elsewhere. */
        static boolean isLoopback(String host) {
            if (host.equalsIgnoreCase("localhost")) {
                return true;
            }
            if (!host.matches("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) {
                return false; // a name: not resolved here, so not trusted to be loopback
            }
            try {
                return InetAddress.getByName(host).isLoopbackAddress(); // a literal: no lookup happens
            } catch (UnknownHostException e) {
                return false;
            }
        }
    }

    /**
     * The listener speaks TLS with this certificate chain ({@code cert}, PEM, the front's own
     * certificate first) and private key ({@code key}, PEM, PKCS#8 {@code BEGIN PRIVATE KEY}).
     * A dialing back pins that certificate or trusts its CA ({@code link.trust}).
     */
    public record Tls(java.nio.file.Path cert, java.nio.file.Path key) {
        public Tls {
            if (cert == null || key == null) {
                throw new IllegalArgumentException("tls needs cert and key (PEM files)");
            }
        }
    }

    /**
     * Calls whose path starts with {@code prefix} (a whole segment: {@code /api} matches
     * {@code /api} and {@code /api/x}, not {@code /apix}) go to {@code upstream} on {@code peer}.
     * {@code name} (default: the upstream) is what callers' permissions list.
     */
    public record Route(String name, String prefix, String peer, String upstream) {
        public Route {
            if (prefix == null || !prefix.startsWith("/")) {
                throw new IllegalArgumentException("a route's prefix must start with /");
            }
            if (upstream == null || upstream.isBlank()) {
                throw new IllegalArgumentException("a route needs an upstream (the name of the callee in the back's config)");
            }
            name = name == null ? upstream : name;
        }
    }

    /**
     * How long a sync call waits for its response: {@code defaultWait}, or N seconds when the
     * caller sends {@code Prefer: wait=N}, but never more than {@code maxWait}.
     */
    public record Sync(Duration defaultWait, Duration maxWait) {
        public Sync {
            defaultWait = defaultWait == null ? Duration.ofSeconds(30) : defaultWait;
            maxWait = maxWait == null ? Duration.ofSeconds(120) : maxWait;
            if (defaultWait.isNegative() || defaultWait.compareTo(maxWait) > 0) {
                throw new IllegalArgumentException("sync.defaultWait must be between 0 and sync.maxWait");
            }
        }
    }

    /** Limits on what callers may send, and timeouts against slow ones. */
    public record Limits(
            DataSize maxBody,
            Integer maxInFlight,
            Duration retryAfter,
            Integer maxHeaders,
            DataSize maxHeaderBytes,
            Duration headerTimeout,
            Duration readTimeout,
            DataSize minBodyRate,
            Duration writeTimeout,
            Duration idleTimeout) {

        public static final Limits DEFAULTS = new Limits(null, null, null, null, null, null, null, null, null, null);

        public Limits {
            maxBody = maxBody == null ? DataSize.parse("1GiB") : maxBody;
            maxInFlight = maxInFlight == null ? 10_000 : maxInFlight;
            retryAfter = retryAfter == null ? Duration.ofSeconds(5) : retryAfter;
            maxHeaders = maxHeaders == null ? 100 : maxHeaders;
            maxHeaderBytes = maxHeaderBytes == null ? DataSize.parse("64KiB") : maxHeaderBytes;
            headerTimeout = headerTimeout == null ? Duration.ofSeconds(30) : headerTimeout;
            readTimeout = readTimeout == null ? Duration.ofSeconds(30) : readTimeout;
            minBodyRate = minBodyRate == null ? DataSize.parse("1KiB") : minBodyRate;
            writeTimeout = writeTimeout == null ? Duration.ofSeconds(60) : writeTimeout;
            idleTimeout = idleTimeout == null ? Duration.ofSeconds(120) : idleTimeout;
            if (maxInFlight < 1 || maxHeaders < 1 || maxHeaderBytes.bytes() < 1024) {
                throw new IllegalArgumentException("maxInFlight and maxHeaders must be positive, maxHeaderBytes at least 1KiB");
            }
            for (Duration d : List.of(retryAfter, headerTimeout, readTimeout, writeTimeout, idleTimeout)) {
                positive(d, "limits timeouts");
            }
            if (headerTimeout.toMillis() > Integer.MAX_VALUE || readTimeout.toMillis() > Integer.MAX_VALUE
                    || writeTimeout.toMillis() > Integer.MAX_VALUE || idleTimeout.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("limits timeouts must be under 24 days");
            }
        }
    }

    /**
     * Who may send calls. {@code mode: none} lets anyone who reaches the port in (only allowed
     * on loopback unless {@code insecureAllowUnauthenticated}); {@code jwt} wants
     * {@code Authorization: Bearer <JWT>} signed by a key of {@code jwt.jwks}; {@code apikey}
     * wants {@code Authorization: Bearer <key>}. {@code Hoft-Authorization} may carry the
     * credential instead, which leaves {@code Authorization} to be forwarded to the callee.
     *
     * <pre>
     * auth:
     *   mode: jwt
     *   jwt:
     *     jwks: keys/callers.jwks       # public keys (RSA, EC, OKP; oct for HMAC)
     *     issuer: https://idp.example   # required "iss" (optional)
     *     audience: hoft-front          # required in "aud" (optional)
     *     routesClaim: hoft_routes      # a claim listing the route names the subject may use (optional)
     *     defaultRoutes: []             # routes every valid token may use
     *     subjects: [{subject: svc-a, routes: [orders]}]
     *     clockSkew: 60s
     *   apiKeys:                        # for mode apikey
     *     - {name: ci, sha256: 9f86d0..., routes: ["*"]}   # or key: the key itself
     * </pre>
     */
    public record Auth(String mode, Jwt jwt, List<ApiKey> apiKeys) {
        public static final Auth NONE = new Auth(null, null, null);

        public Auth {
            mode = mode == null ? "none" : mode.toLowerCase(Locale.ROOT);
            if (!List.of("none", "jwt", "apikey").contains(mode)) {
                throw new IllegalArgumentException("auth.mode must be none, jwt or apikey");
            }
            apiKeys = apiKeys == null ? List.of() : List.copyOf(apiKeys);
            if (mode.equals("jwt") && jwt == null) {
                throw new IllegalArgumentException("auth.mode jwt needs auth.jwt with a jwks file");
            }
            if (mode.equals("apikey") && apiKeys.isEmpty()) {
                throw new IllegalArgumentException("auth.mode apikey needs at least one entry in auth.apiKeys");
            }
            Set<String> names = new HashSet<>();
            for (ApiKey key : apiKeys) {
                if (!names.add(key.name())) {
                    throw new IllegalArgumentException("auth.apiKeys: name " + key.name() + " appears twice");
                }
            }
        }

        public boolean isEnabled() {
            return !mode.equals("none");
        }

        void checkRouteNames(Set<String> known) {
            List<List<String>> lists = new ArrayList<>();
            apiKeys.forEach(k -> lists.add(k.routes()));
            if (jwt != null) {
                lists.add(jwt.defaultRoutes());
                jwt.subjects().forEach(s -> lists.add(s.routes()));
            }
            for (List<String> list : lists) {
                for (String name : list) {
                    if (!name.equals("*") && !known.contains(name)) {
                        throw new IllegalArgumentException("auth names route '" + name + "', but no route has that name"
                                + " (route names: " + known + ")");
                    }
                }
            }
        }
    }

    /** JWT verification settings; see {@link Auth}. */
    public record Jwt(Path jwks, String issuer, String audience, String routesClaim, List<String> defaultRoutes,
            List<SubjectRoutes> subjects, Duration clockSkew) {
        public Jwt {
            if (jwks == null) {
                throw new IllegalArgumentException("auth.jwt.jwks is required (a JWK set file of the callers' public keys)");
            }
            defaultRoutes = defaultRoutes == null ? List.of() : List.copyOf(defaultRoutes);
            subjects = subjects == null ? List.of() : List.copyOf(subjects);
            clockSkew = clockSkew == null ? Duration.ofSeconds(60) : clockSkew;
        }
    }

    /** The routes one JWT subject ({@code sub}) may use. */
    public record SubjectRoutes(String subject, List<String> routes) {
        public SubjectRoutes {
            if (subject == null || subject.isEmpty()) {
                throw new IllegalArgumentException("auth.jwt.subjects: subject is required");
            }
            routes = routes == null ? List.of() : List.copyOf(routes);
        }
    }

    /**
     * A static API key: {@code key} itself or its {@code sha256} (hex), never both, and the
     * routes its holder may use ({@code "*"} for all).
     */
    public record ApiKey(String name, String key, String sha256, List<String> routes) {
        public ApiKey {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("auth.apiKeys: name is required");
            }
            if ((key == null) == (sha256 == null)) {
                throw new IllegalArgumentException("auth.apiKeys " + name + ": give exactly one of key and sha256");
            }
            if (key != null && key.length() < 16) {
                throw new IllegalArgumentException("auth.apiKeys " + name + ": a key must have at least 16 characters");
            }
            if (sha256 != null && !sha256.matches("[0-9a-fA-F]{64}")) {
                throw new IllegalArgumentException("auth.apiKeys " + name + ": sha256 must be 64 hex digits");
            }
            routes = routes == null ? List.of() : List.copyOf(routes);
        }
    }

    private static void positive(Duration d, String name) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive");
        }
    }
}
