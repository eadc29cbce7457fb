package io.hoft.front.callback;

import io.hoft.front.CallbackUrlGuard;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Which callback URLs the front may call (SSRF protection), applied twice: at submission
 * ({@link #check}, a refusal is a 400 and nothing is stored) and at every delivery, where the
 * dispatcher's HttpClient resolves host names only through {@link #resolveAllowed}, so it
 * connects only to addresses that pass the same rules (a host that re-resolves to a private
 * address later, DNS rebinding, is refused then).
 *
 * <p>The rules, in order:
 *
 * <ol>
 *   <li>the URL is absolute, {@code http} or {@code https}, with a host and no user-info;
 *   <li>if an allowlist of hosts is configured, the host is on it (exact name, or
 *       {@code *.example.com} for any name below example.com);
 *   <li>the host resolves, and <em>every</em> address it resolves to is allowed (a name with
 *       one private address among public ones is refused, not filtered): never unspecified,
 *       multicast, broadcast, reserved or a cloud metadata endpoint; loopback, link-local,
 *       private (10/8, 172.16/12, 192.168/16), CGNAT (100.64/10), unique local (fc00::/7) and
 *       IPv6 forms embedding such IPv4 addresses only when private networks are allowed.
 * </ol>
 *
 * <p>Any port is allowed. Forward proxies are not supported (with one, the proxy would resolve).
 */
public final class CallbackUrlPolicy implements CallbackUrlGuard {

    /** Resolves a host name (or IP literal) to its addresses; a seam for tests. */
    @FunctionalInterface
    public interface HostResolver {
        InetAddress[] resolve(String host) throws UnknownHostException;

        HostResolver SYSTEM = InetAddress::getAllByName;
    }

    /** A host whose addresses are not allowed; an {@link UnknownHostException} so HttpClient gives up on it. */
    static final class ForbiddenAddressException extends UnknownHostException {
        private static final long serialVersionUID = 1L;

        ForbiddenAddressException(String reason) {
            super(reason);
        }
    }

    private final boolean allowPrivateNetworks;
    private final List<String> allowHosts;
    private final HostResolver resolver;

    public CallbackUrlPolicy(boolean allowPrivateNetworks, List<String> allowHosts) {
        this(allowPrivateNetworks, allowHosts, HostResolver.SYSTEM);
    }

    public CallbackUrlPolicy(boolean allowPrivateNetworks, List<String> allowHosts, HostResolver resolver) {
        this.allowPrivateNetworks = allowPrivateNetworks;
        this.allowHosts = allowHosts.stream().map(h -> h.trim().toLowerCase(Locale.ROOT)).toList();
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        for (String host : this.allowHosts) {
            if (host.isEmpty() || host.indexOf('*', host.startsWith("*.") ? 1 : 0) >= 0) {
                throw new IllegalArgumentException("allowed callback host '" + host + "' is not a name or *.domain");
            }
        }
    }

    public static CallbackUrlPolicy of(CallbackSettings settings) {
        return new CallbackUrlPolicy(settings.allowPrivateNetworks(), settings.allowHosts());
    }

    @Override
    public void check(URI url) throws ForbiddenCallbackUrlException {
        String host = checkWithoutResolving(url);
        try {
            resolveAllowed(host);
        } catch (ForbiddenAddressException e) {
            throw new ForbiddenCallbackUrlException(e.getMessage());
        } catch (UnknownHostException e) {
            throw new ForbiddenCallbackUrlException("callback host " + host + " does not resolve");
        }
    }

    /** Rules 1 and 2; returns the host (IPv6 literals without brackets). */
    public String checkWithoutResolving(URI url) throws ForbiddenCallbackUrlException {
        if (url == null || !url.isAbsolute() || url.isOpaque()) {
            throw new ForbiddenCallbackUrlException("callback URL must be an absolute http or https URL");
        }
        String scheme = url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new ForbiddenCallbackUrlException("callback URL scheme must be http or https, not " + scheme);
        }
        if (url.getRawUserInfo() != null) {
            throw new ForbiddenCallbackUrlException("callback URL must not carry user-info");
        }
        String host = url.getHost();
        if (host == null || host.isEmpty()) {
            throw new ForbiddenCallbackUrlException("callback URL has no valid host");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        host = host.toLowerCase(Locale.ROOT);
        if (!allowHosts.isEmpty() && !onAllowlist(host)) {
            throw new ForbiddenCallbackUrlException("callback host " + host + " is not on the allowed list");
        }
        return host;
    }

    /** Rule 3: the host's addresses, all of them allowed, or an exception naming the first that is not. */
    public InetAddress[] resolveAllowed(String host) throws UnknownHostException {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        InetAddress[] addresses = resolver.resolve(bare);
        if (addresses == null || addresses.length == 0) {
            throw new UnknownHostException(bare);
        }
        for (InetAddress address : addresses) {
            Optional<String> refusal = refusal(address);
            if (refusal.isPresent()) {
                throw new ForbiddenAddressException("callback host " + bare + " resolves to " + address.getHostAddress()
                        + ", " + refusal.get());
            }
        }
        return addresses;
    }

    /** Why {@code address} may not be called, or empty if it may. */
    public Optional<String> refusal(InetAddress address) {
        return AddressRanges.classify(address)
                .filter(range -> range.group() == AddressRanges.Group.NEVER || !allowPrivateNetworks)
                .map(range -> range.group() == AddressRanges.Group.NEVER
                        ? "a " + range.name() + " address, never allowed"
                        : "a " + range.name() + " address, not allowed (private networks are not allowed for callbacks)");
    }

    private boolean onAllowlist(String host) {
        for (String allowed : allowHosts) {
            if (allowed.startsWith("*.") ? host.endsWith(allowed.substring(1)) : host.equals(allowed)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "CallbackUrlPolicy[allowPrivateNetworks=" + allowPrivateNetworks + ", allowHosts=" + allowHosts + "]";
    }
}
