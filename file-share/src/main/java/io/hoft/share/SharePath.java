package io.hoft.share;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * The name of a shared file: {@code folder/dir/file}, segments separated by {@code /}, the first
 * segment naming a published folder. A path is checked the same way wherever it enters (the
 * front's URL, the request target the back receives, the catalog the front receives), and a
 * path that breaks a rule is refused, never repaired:
 *
 * <ul>
 *   <li>not empty, at most {@value #MAX_LENGTH} characters, no segment longer than 255 UTF-8 bytes;
 *   <li>no empty segment (so no leading {@code /}, no {@code //}, no trailing {@code /}), no
 *       {@code .} or {@code ..} segment;
 *   <li>no backslash, no NUL or other control character (U+0000 to U+001F, U+007F), no
 *       unpaired surrogate;
 *   <li>no segment of the form {@code X:} (a drive letter) and no {@code :} in the first segment.
 * </ul>
 *
 * In a URL the path is percent-encoded UTF-8 ({@link #encode}); decoding ({@link #decode})
 * refuses malformed escapes, invalid UTF-8, and escaped {@code /} or {@code \} (an escaped
 * separator would change the segmentation after the check).
 */
public final class SharePath {
    public static final int MAX_LENGTH = 4096;

    private SharePath() {}

    /** A path that breaks a rule of {@link SharePath}. */
    public static final class InvalidPathException extends IllegalArgumentException {
        public InvalidPathException(String message) {
            super(message);
        }
    }

    /** Checks a decoded path; returns it unchanged. */
    public static String check(String path) {
        if (path == null || path.isEmpty()) {
            throw new InvalidPathException("empty path");
        }
        if (path.length() > MAX_LENGTH) {
            throw new InvalidPathException("path longer than " + MAX_LENGTH + " characters");
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new InvalidPathException("control character U+" + String.format("%04X", (int) c) + " in path");
            }
            if (c == '\\') {
                throw new InvalidPathException("backslash in path");
            }
            if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c) && i + 1 < path.length() && Character.isLowSurrogate(path.charAt(i + 1));
                if (!paired) {
                    throw new InvalidPathException("unpaired surrogate in path");
                }
                i++;
            }
        }
        String[] segments = path.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            String segment = segments[i];
            if (segment.isEmpty()) {
                throw new InvalidPathException(i == 0 ? "absolute path" : "empty segment in path");
            }
            if (segment.equals(".") || segment.equals("..")) {
                throw new InvalidPathException("'" + segment + "' segment in path");
            }
            if (segment.getBytes(StandardCharsets.UTF_8).length > 255) {
                throw new InvalidPathException("a segment longer than 255 bytes");
            }
            if (segment.length() == 2 && segment.charAt(1) == ':' || (i == 0 && segment.indexOf(':') >= 0)) {
                throw new InvalidPathException("drive letter or ':' in the folder name");
            }
        }
        if (segments.length < 2) {
            throw new InvalidPathException("a path names a published folder and a file in it");
        }
        return path;
    }

    /** The segments of a checked path. */
    public static List<String> segments(String path) {
        return List.of(check(path).split("/", -1));
    }

    /** Decodes a percent-encoded URL path (without leading slash) and checks it. */
    public static String decode(String raw) {
        if (raw == null || raw.isEmpty()) {
            throw new InvalidPathException("empty path");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    throw new InvalidPathException("truncated %-escape in path");
                }
                int hi = Character.digit(raw.charAt(i + 1), 16);
                int lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw new InvalidPathException("malformed %-escape in path");
                }
                int b = hi << 4 | lo;
                if (b == '/' || b == '\\') {
                    throw new InvalidPathException("escaped separator (%" + raw.substring(i + 1, i + 3) + ") in path");
                }
                bytes.write(b);
                i += 2;
            } else if (c > 0x7e || c <= 0x20) {
                throw new InvalidPathException("unescaped character U+" + String.format("%04X", (int) c) + " in path");
            } else {
                bytes.write(c);
            }
        }
        String decoded;
        try {
            decoded = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidPathException("path is not UTF-8");
        }
        return check(decoded);
    }

    /** Percent-encodes a checked path for a URL: every byte but unreserved characters and {@code /}. */
    public static String encode(String path) {
        check(path);
        StringBuilder out = new StringBuilder(path.length() + 16);
        for (byte b : path.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_'
                    || c == '~' || c == '/') {
                out.append((char) c);
            } else {
                out.append('%').append(String.format(Locale.ROOT, "%02X", c));
            }
        }
        return out.toString();
    }
}
