package io.hoft.transport.message;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One HTTP header field exactly as it was received: name and value are strings whose every
 * character is one ISO-8859-1 byte (U+0000..U+00FF), so obs-text bytes survive untouched.
 *
 * <p>A list of fields keeps order and repeats (two {@code Set-Cookie} stay two). Characters
 * that can never appear in an HTTP/1.1 field (CR, LF, NUL, and in names also ':' and
 * whitespace) are rejected here, so no decoded message can smuggle a header.
 */
public record HeaderField(String name, String value) {

    public HeaderField {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("empty header name");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == ':') {
                throw new IllegalArgumentException("header name has a forbidden character at " + i);
            }
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c > 0xff || c == '\r' || c == '\n' || c == 0) {
                throw new IllegalArgumentException(
                        "header " + name + " has a forbidden character at " + i);
            }
        }
    }

    /** Builds a field from raw bytes, decoded as ISO-8859-1 (one char per byte). */
    public static HeaderField ofBytes(byte[] name, byte[] value) {
        return new HeaderField(
                new String(name, StandardCharsets.ISO_8859_1), new String(value, StandardCharsets.ISO_8859_1));
    }

    public byte[] valueBytes() {
        return value.getBytes(StandardCharsets.ISO_8859_1);
    }

    public boolean hasName(String other) {
        return name.equalsIgnoreCase(other);
    }
}
