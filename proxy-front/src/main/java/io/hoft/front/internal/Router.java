package io.hoft.front.internal;

import io.hoft.front.FrontConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Picks a call's route: the longest prefix that matches a whole leading part of the path
 * ({@code /api} matches {@code /api}, {@code /api/x} and {@code /api;v=1}, not {@code /apix}).
 *
 * <p>Matching is on the path with percent-encoded unreserved characters decoded ({@code %61}
 * is {@code a} for every server), so an encoding cannot dodge a prefix. A path with a dot
 * segment ({@code .} or {@code ..}, also percent-encoded or before a {@code ;}) is refused:
 * a callee that normalises it could reach a path another route guards. The target the back
 * receives is never changed; this only decides whether and where it goes.
 */
final class Router {
    private final List<FrontConfig.Route> byLength;

    Router(List<FrontConfig.Route> routes) {
        byLength = new ArrayList<>(routes);
        byLength.sort(Comparator.comparingInt((FrontConfig.Route r) -> r.prefix().length()).reversed());
    }

    Optional<FrontConfig.Route> route(String rawPath) {
        String path = normalize(rawPath);
        for (FrontConfig.Route route : byLength) {
            String prefix = route.prefix();
            if (path.startsWith(prefix) && (path.length() == prefix.length() || prefix.endsWith("/")
                    || path.charAt(prefix.length()) == '/' || path.charAt(prefix.length()) == ';')) {
                return Optional.of(route);
            }
        }
        return Optional.empty();
    }

    /** The path of a request target: as it is for origin form, after the authority for absolute form. */
    static String pathOf(String requestUri, boolean absoluteForm) {
        if (!absoluteForm) {
            return requestUri;
        }
        int scheme = requestUri.indexOf("://");
        int slash = scheme < 0 ? -1 : requestUri.indexOf('/', scheme + 3);
        return slash < 0 ? "/" : requestUri.substring(slash);
    }

    /**
     * Decodes percent-encoded unreserved characters; refuses dot segments.
     *
     * @throws HttpError 400 for a dot segment
     */
    static String normalize(String rawPath) {
        StringBuilder unreserved = new StringBuilder(rawPath.length());
        StringBuilder decoded = new StringBuilder(rawPath.length());
        for (int i = 0; i < rawPath.length(); i++) {
            char c = rawPath.charAt(i);
            if (c == '%' && i + 2 < rawPath.length() && isHex(rawPath.charAt(i + 1)) && isHex(rawPath.charAt(i + 2))) {
                char d = (char) Integer.parseInt(rawPath.substring(i + 1, i + 3), 16);
                decoded.append(d);
                if (isUnreserved(d)) {
                    unreserved.append(d);
                } else {
                    unreserved.append(rawPath, i, i + 3);
                }
                i += 2;
            } else {
                decoded.append(c);
                unreserved.append(c);
            }
        }
        for (String segment : decoded.toString().split("[/\\\\]", -1)) {
            int semicolon = segment.indexOf(';');
            String name = semicolon < 0 ? segment : segment.substring(0, semicolon);
            if (name.equals(".") || name.equals("..")) {
                throw HttpError.early(400, "bad-request", "the path has a dot segment ('.' or '..'), which the front does not pass on");
            }
        }
        return unreserved.toString();
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static boolean isUnreserved(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
                || c == '~';
    }
}
