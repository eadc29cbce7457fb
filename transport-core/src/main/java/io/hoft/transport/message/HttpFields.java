package io.hoft.transport.message;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Rules for HTTP header fields that both proxies apply (RFC 9110 section 7.6.1): hop-by-hop
 * fields belong to one connection and are never forwarded; that is the standard set plus every
 * field a {@code Connection} header names. Order and repeats of the rest are kept.
 */
public final class HttpFields {
    /** Always hop-by-hop, whatever Connection says. */
    static final Set<String> HOP_BY_HOP = Set.of(
            "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
            "te", "trailer", "transfer-encoding", "upgrade");

    private HttpFields() {}

    /** The fields without hop-by-hop ones (standard, and those listed in any Connection field). */
    public static List<HeaderField> withoutHopByHop(List<HeaderField> fields) {
        Set<String> drop = new HashSet<>(HOP_BY_HOP);
        for (HeaderField field : fields) {
            if (field.hasName("Connection")) {
                for (String token : field.value().split(",")) {
                    String name = token.trim().toLowerCase(Locale.ROOT);
                    if (!name.isEmpty()) {
                        drop.add(name);
                    }
                }
            }
        }
        List<HeaderField> kept = new ArrayList<>(fields.size());
        for (HeaderField field : fields) {
            if (!drop.contains(field.name().toLowerCase(Locale.ROOT))) {
                kept.add(field);
            }
        }
        return kept;
    }

    /** The fields without any whose name starts with {@code prefix} (case-insensitive). */
    public static List<HeaderField> withoutPrefix(List<HeaderField> fields, String prefix) {
        String lower = prefix.toLowerCase(Locale.ROOT);
        List<HeaderField> kept = new ArrayList<>(fields.size());
        for (HeaderField field : fields) {
            if (!field.name().toLowerCase(Locale.ROOT).startsWith(lower)) {
                kept.add(field);
            }
        }
        return kept;
    }

    /** The first value of a field, if present. */
    public static java.util.Optional<String> first(List<HeaderField> fields, String name) {
        for (HeaderField field : fields) {
            if (field.hasName(name)) {
                return java.util.Optional.of(field.value());
            }
        }
        return java.util.Optional.empty();
    }
}
