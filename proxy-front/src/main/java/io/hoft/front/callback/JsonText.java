package io.hoft.front.callback;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;

/**
 * The little JSON the callbacks need, written by hand so that bodies of any size stream:
 * string escaping (RFC 8259: quote, backslash and C0 controls escaped, everything else as
 * UTF-8), a body copied as a JSON string when it is valid UTF-8, or as base64, and the
 * timestamp format of status events.
 */
final class JsonText {
    private static final int CHUNK = 64 * 1024;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    /** {@code 2026-11-22T12:00:00.123Z}: UTC, always three fraction digits. */
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private JsonText() {}

    /** Appends {@code value} as a JSON string, quotes included. */
    static StringBuilder appendString(StringBuilder out, String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    boolean pairedSurrogate = Character.isHighSurrogate(c) && i + 1 < value.length()
                            && Character.isLowSurrogate(value.charAt(i + 1));
                    if (c < 0x20 || (Character.isSurrogate(c) && !pairedSurrogate)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else if (pairedSurrogate) {
                        out.append(c).append(value.charAt(++i));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"');
    }

    static String timestamp(long epochMs) {
        return TIMESTAMP.format(Instant.ofEpochMilli(epochMs));
    }

    /** True if the whole stream is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). */
    static boolean isUtf8(InputStream in) throws IOException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer bytes = ByteBuffer.allocate(CHUNK);
        CharBuffer chars = CharBuffer.allocate(CHUNK);
        boolean end = false;
        while (!end) {
            int n = in.read(bytes.array(), bytes.position(), bytes.remaining());
            if (n < 0) {
                end = true;
            } else {
                bytes.position(bytes.position() + n);
            }
            bytes.flip();
            CoderResult result;
            do {
                chars.clear();
                result = decoder.decode(bytes, chars, end);
            } while (result.isOverflow());
            if (result.isError()) {
                return false;
            }
            bytes.compact();
        }
        chars.clear();
        CoderResult flushed = decoder.flush(chars);
        return !flushed.isError();
    }

    /**
     * Copies a UTF-8 body into a JSON string's content (no quotes). Valid UTF-8 puts bytes
     * of 0x80 and above only in multi-byte sequences, none of which need escaping, so escaping
     * works byte by byte: only quote, backslash and C0 controls change.
     */
    static void copyEscapedUtf8(InputStream in, OutputStream out) throws IOException {
        byte[] buffer = new byte[CHUNK];
        byte[] escaped = new byte[CHUNK * 6];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            int length = 0;
            for (int i = 0; i < n; i++) {
                int b = buffer[i] & 0xff;
                if (b == '"' || b == '\\') {
                    escaped[length++] = '\\';
                    escaped[length++] = (byte) b;
                } else if (b < 0x20) {
                    byte shortForm = switch (b) {
                        case '\n' -> (byte) 'n';
                        case '\r' -> (byte) 'r';
                        case '\t' -> (byte) 't';
                        case '\b' -> (byte) 'b';
                        case '\f' -> (byte) 'f';
                        default -> 0;
                    };
                    escaped[length++] = '\\';
                    if (shortForm != 0) {
                        escaped[length++] = shortForm;
                    } else {
                        escaped[length++] = 'u';
                        escaped[length++] = '0';
                        escaped[length++] = '0';
                        escaped[length++] = HEX[b >> 4];
                        escaped[length++] = HEX[b & 0xf];
                    }
                } else {
                    escaped[length++] = (byte) b;
                }
            }
            out.write(escaped, 0, length);
        }
    }

    /** Copies a body as standard base64 with padding and no line breaks. */
    static void copyBase64(InputStream in, OutputStream out) throws IOException {
        OutputStream encoder = Base64.getEncoder().wrap(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                out.write(b);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                out.write(bytes, offset, length);
            }

            @Override
            public void close() {
                // The target stays open: more JSON follows the body.
            }
        });
        in.transferTo(encoder);
        encoder.close();
    }
}
