package io.hoft.front.callback;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The address ranges a callback may not reach, as a table of named CIDR blocks, first match
 * wins. Two groups, and one rule for IPv6 forms of IPv4:
 *
 * <ul>
 *   <li>{@link Group#NEVER}: not unicast destinations at all (unspecified, multicast, broadcast,
 *       reserved) and cloud metadata endpoints. Refused always.
 *   <li>{@link Group#PRIVATE}: loopback, link-local, RFC 1918, CGNAT, unique local. Refused unless
 *       private networks are allowed.
 *   <li>IPv6 forms that embed an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4): the
 *       embedded address is classified by the IPv4 rules.
 * </ul>
 */
final class AddressRanges {

    enum Group {
        NEVER,
        PRIVATE
    }

    /** One named block. */
    record Range(String name, Group group, byte[] prefix, int bits) {
        boolean contains(byte[] address) {
            if (address.length != prefix.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != prefix[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (address[full] & mask) == (prefix[full] & mask);
        }
    }

    /** The cloud metadata addresses; more specific than their link-local ranges, so listed first. */
    private static final List<Range> RANGES = List.of(
            range("cloud metadata endpoint", Group.NEVER, "169.254.169.254/32"),
            range("cloud metadata endpoint", Group.NEVER, "169.254.170.2/32"),
            range("cloud metadata endpoint", Group.NEVER, "fd00:ec2::254/128"),
            range("unspecified ('this network')", Group.NEVER, "0.0.0.0/8"),
            range("multicast", Group.NEVER, "224.0.0.0/4"),
            range("reserved (240/4, with broadcast)", Group.NEVER, "240.0.0.0/4"),
            range("unspecified", Group.NEVER, "::/128"),
            range("multicast", Group.NEVER, "ff00::/8"),
            range("loopback", Group.PRIVATE, "127.0.0.0/8"),
            range("private (10/8)", Group.PRIVATE, "10.0.0.0/8"),
            range("private (172.16/12)", Group.PRIVATE, "172.16.0.0/12"),
            range("private (192.168/16)", Group.PRIVATE, "192.168.0.0/16"),
            range("shared address space (100.64/10, CGNAT)", Group.PRIVATE, "100.64.0.0/10"),
            range("link-local", Group.PRIVATE, "169.254.0.0/16"),
            range("IETF protocol assignments", Group.PRIVATE, "192.0.0.0/24"),
            range("benchmarking", Group.PRIVATE, "198.18.0.0/15"),
            range("loopback", Group.PRIVATE, "::1/128"),
            range("unique local (fc00::/7)", Group.PRIVATE, "fc00::/7"),
            range("link-local", Group.PRIVATE, "fe80::/10"),
            range("site-local (deprecated)", Group.PRIVATE, "fec0::/10"));

    private AddressRanges() {}

    /** The range {@code address} falls in, if any; IPv6 forms that embed IPv4 are judged by the embedded address. */
    static Optional<Range> classify(InetAddress address) {
        byte[] bytes = address.getAddress();
        Optional<Range> direct = find(bytes);
        if (direct.isPresent() || !(address instanceof Inet6Address)) {
            return direct;
        }
        byte[] embedded = embeddedIpv4(bytes);
        return embedded == null ? Optional.empty() : find(embedded);
    }

    private static Optional<Range> find(byte[] bytes) {
        for (Range range : RANGES) {
            if (range.contains(bytes)) {
                return Optional.of(range);
            }
        }
        return Optional.empty();
    }

    /**
     * The IPv4 address inside an IPv6 one, for the forms that route to it: IPv4-mapped
     * ({@code ::ffff:a.b.c.d}), IPv4-compatible ({@code ::a.b.c.d}, deprecated), NAT64
     * ({@code 64:ff9b::a.b.c.d}) and 6to4 ({@code 2002:aabb:ccdd::}); null for any other. Only
     * consulted for IPv6 addresses outside every listed range ({@code ::} and {@code ::1} are
     * listed themselves).
     */
    static byte[] embeddedIpv4(byte[] v6) {
        if (v6.length != 16) {
            return null;
        }
        if (allZero(v6, 0, 10) && (v6[10] & 0xff) == 0xff && (v6[11] & 0xff) == 0xff) {
            return Arrays.copyOfRange(v6, 12, 16);
        }
        if (allZero(v6, 0, 12)) {
            return Arrays.copyOfRange(v6, 12, 16);
        }
        if ((v6[0] & 0xff) == 0x00 && (v6[1] & 0xff) == 0x64 && (v6[2] & 0xff) == 0xff && (v6[3] & 0xff) == 0x9b
                && allZero(v6, 4, 12)) {
            return Arrays.copyOfRange(v6, 12, 16);
        }
        if ((v6[0] & 0xff) == 0x20 && (v6[1] & 0xff) == 0x02) {
            return Arrays.copyOfRange(v6, 2, 6);
        }
        return null;
    }

    private static boolean allZero(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static Range range(String name, Group group, String cidr) {
        int slash = cidr.indexOf('/');
        try {
            byte[] prefix = InetAddress.getByName(cidr.substring(0, slash)).getAddress();
            if (cidr.contains(":") && prefix.length == 4) {
                throw new IllegalStateException("IPv6 range parsed as IPv4: " + cidr);
            }
            return new Range(name, group, prefix, Integer.parseInt(cidr.substring(slash + 1)));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("bad range " + cidr, e);
        }
    }
}
