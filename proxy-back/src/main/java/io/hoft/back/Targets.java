package io.hoft.back;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Decides where a request goes: the allowlist. A request names an upstream and carries the
 * caller's request target byte for byte; the result is the callee and the exact path to send,
 * or the reason the request is forbidden.
 *
 * <ul>
 *   <li>origin-form ({@code /path?query}): the named upstream, its base path put before the
 *       target, nothing else changed (no decoding, no normalisation);
 *   <li>absolute-form ({@code http://host:port/path?query}): allowed only if scheme, host and
 *       port are those of a configured upstream and the path lies under its base path (the
 *       named upstream is preferred when several match); the path is sent as it is;
 *   <li>asterisk-form ({@code *}, for {@code OPTIONS *}): sent as it is to the named upstream;
 *   <li>anything else, {@code CONNECT}, or an unknown upstream name: forbidden.
 * </ul>
 */
final class Targets {

    /** Where a request goes, or why it may not. */
    sealed interface Resolution permits Route, Forbidden {}

    /** Send {@code path} (the request line's target) to {@code callee}; {@code authority} is an absolute target's. */
    record Route(Callee callee, String path, String authority) implements Resolution {}

    record Forbidden(String detail) implements Resolution {}

    private final Map<String, Callee> callees;

    Targets(Map<String, Callee> callees) {
        this.callees = callees;
    }

    Collection<Callee> callees() {
        return callees.values();
    }

    Optional<Callee> callee(String name) {
        return Optional.ofNullable(callees.get(name));
    }

    Resolution resolve(String upstream, String method, String target) {
        Callee named = callees.get(upstream);
        if (named == null) {
            return new Forbidden("upstream '" + upstream + "' is not configured at the back");
        }
        if (method.equals("CONNECT")) {
            return new Forbidden("CONNECT is not proxied");
        }
        if (target.startsWith("/")) {
            return new Route(named, named.basePath() + target, null);
        }
        if (target.equals("*")) {
            return new Route(named, target, null);
        }
        int schemeEnd = target.indexOf("://");
        if (schemeEnd <= 0) {
            return new Forbidden("the request target is neither a path nor an absolute URL");
        }
        String scheme = target.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
        int authorityStart = schemeEnd + 3;
        int pathStart = authorityStart;
        while (pathStart < target.length() && target.charAt(pathStart) != '/' && target.charAt(pathStart) != '?') {
            pathStart++;
        }
        String authority = target.substring(authorityStart, pathStart);
        String path = target.substring(pathStart);
        if (path.isEmpty() || path.startsWith("?")) {
            path = "/" + path;
        }
        if (authority.contains("@")) {
            return new Forbidden("an absolute target with user info is not allowed");
        }
        HostPort hostPort = HostPort.parse(authority, scheme).orElse(null);
        if (hostPort == null) {
            return new Forbidden("the absolute target's authority '" + authority + "' is not valid");
        }
        if (named.matches(scheme, hostPort, path)) {
            return new Route(named, path, authority);
        }
        for (Callee callee : callees.values()) {
            if (callee.matches(scheme, hostPort, path)) {
                return new Route(callee, path, authority);
            }
        }
        return new Forbidden("the absolute target " + scheme + "://" + authority + " is not a configured upstream");
    }

    /** A host (lower case, IPv6 in brackets) and a port (the scheme's default if none is written). */
    record HostPort(String host, int port) {
        static Optional<HostPort> parse(String authority, String scheme) {
            int defaultPort = scheme.equals("https") ? 443 : scheme.equals("http") ? 80 : -1;
            String host = authority;
            int port = defaultPort;
            int colon = authority.lastIndexOf(':');
            if (colon >= 0 && colon > authority.lastIndexOf(']')) {
                host = authority.substring(0, colon);
                String digits = authority.substring(colon + 1);
                if (!digits.isEmpty()) {
                    if (!digits.matches("[0-9]{1,5}")) {
                        return Optional.empty();
                    }
                    port = Integer.parseInt(digits);
                }
            }
            if (host.isEmpty() || port < 0 || port > 65535) {
                return Optional.empty();
            }
            return Optional.of(new HostPort(host.toLowerCase(Locale.ROOT), port));
        }
    }
}
