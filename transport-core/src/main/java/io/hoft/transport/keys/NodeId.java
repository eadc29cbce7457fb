package io.hoft.transport.keys;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A node's name: 1 to 32 characters of lowercase letters, digits and inner hyphens (a DNS
 * label). It appears in spool file names, so the alphabet leaves room for the name's
 * separator and is safe on every filesystem.
 */
public record NodeId(String value) implements Comparable<NodeId> {
    private static final Pattern VALID = Pattern.compile("[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?");

    public NodeId {
        Objects.requireNonNull(value, "value");
        if (!VALID.matcher(value).matches()) {
            throw new IllegalArgumentException(
                    "invalid node id '" + printable(value) + "' (want 1-32 of [a-z0-9-], not starting or ending with '-')");
        }
    }

    public static NodeId of(String value) {
        return new NodeId(value);
    }

    public static boolean isValid(String value) {
        return value != null && VALID.matcher(value).matches();
    }

    @Override
    public int compareTo(NodeId other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }

    private static String printable(String s) {
        String cut = s.length() > 40 ? s.substring(0, 40) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
