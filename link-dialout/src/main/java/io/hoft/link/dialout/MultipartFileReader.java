package io.hoft.link.dialout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Streams the one file of a dial-out upload out of a {@code multipart/form-data} body (RFC
 * 7578): an optional preamble, one part named {@code file}, the close delimiter, an optional
 * epilogue. The body of the part is copied as it arrives, in bounded memory, at the speed of a
 * plain copy (a general form parser that scans byte by byte halves the throughput).
 *
 * <pre>
 *   [preamble CRLF] "--" boundary CRLF
 *   headers (Content-Disposition: form-data; name="file"; ...) CRLF CRLF
 *   file bytes
 *   CRLF "--" boundary "--" [CRLF epilogue]
 * </pre>
 *
 * A second part, a missing close delimiter, a body that ends early, oversized header lines,
 * or more than {@code maxBytes} of file are {@link MultipartException}s.
 */
final class MultipartFileReader {
    private static final Pattern BOUNDARY = Pattern.compile("(?i)(?:^|;)\\s*boundary=(?:\"([^\"]{1,70})\"|([^;\\s]{1,70}))");
    private static final Pattern NAME_FILE = Pattern.compile("(?i)(?:^|;)\\s*name=\"?file\"?\\s*(?:;|$)");
    private static final int MAX_LINE = 1024;
    private static final int MAX_LINES = 64;
    private static final int BUFFER = 256 * 1024;

    static final class MultipartException extends IOException {
        MultipartException(String message) {
            super(message);
        }
    }

    private MultipartFileReader() {}

    /** The boundary of a {@code multipart/form-data} content type, or null if there is none. */
    static String boundary(String contentType) {
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            return null;
        }
        Matcher m = BOUNDARY.matcher(contentType.substring("multipart/form-data".length()));
        return m.find() ? (m.group(1) != null ? m.group(1) : m.group(2)) : null;
    }

    /** Copies the part named {@code file} to {@code out}; returns its length. */
    static long copyFile(InputStream in, String boundary, OutputStream out, long maxBytes) throws IOException {
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.US_ASCII);
        // preamble, then the first delimiter line
        int lines = 0;
        while (true) {
            String line = readLine(in);
            if (line == null) {
                throw new MultipartException("no delimiter before the end of the body");
            }
            if (line.equals("--" + boundary)) {
                break;
            }
            if (++lines > MAX_LINES) {
                throw new MultipartException("no delimiter in the first " + MAX_LINES + " lines");
            }
        }
        boolean named = false;
        for (int i = 0; ; i++) {
            String header = readLine(in);
            if (header == null) {
                throw new MultipartException("the body ends in the part's headers");
            }
            if (header.isEmpty()) {
                break;
            }
            if (i >= MAX_LINES) {
                throw new MultipartException("more than " + MAX_LINES + " part headers");
            }
            int colon = header.indexOf(':');
            if (colon > 0 && header.substring(0, colon).trim().equalsIgnoreCase("Content-Disposition")) {
                String value = header.substring(colon + 1).trim();
                named = value.toLowerCase(Locale.ROOT).startsWith("form-data")
                        && NAME_FILE.matcher(value.substring("form-data".length())).find();
            }
        }
        if (!named) {
            throw new MultipartException("the first part is not form-data named file");
        }
        // the file: everything up to CRLF "--" boundary
        byte[] pattern = new byte[delimiter.length + 2];
        pattern[0] = '\r';
        pattern[1] = '\n';
        System.arraycopy(delimiter, 0, pattern, 2, delimiter.length);
        byte[] buffer = new byte[BUFFER + pattern.length];
        int filled = 0;
        long written = 0;
        while (true) {
            int n = in.read(buffer, filled, buffer.length - filled);
            if (n < 0) {
                throw new MultipartException("the body ends before the close delimiter");
            }
            filled += n;
            int at = indexOf(buffer, filled, pattern);
            int safe = at >= 0 ? at : Math.max(0, filled - (pattern.length - 1));
            written += safe;
            if (written > maxBytes) {
                throw new MultipartException("the file is larger than " + maxBytes + " bytes");
            }
            out.write(buffer, 0, safe);
            System.arraycopy(buffer, safe, buffer, 0, filled - safe);
            filled -= safe;
            if (at >= 0) {
                break;
            }
        }
        // after the delimiter: "--" (the close delimiter), not CRLF (a second part)
        int pos = pattern.length;
        while (filled < pos + 2) {
            int n = in.read(buffer, filled, buffer.length - filled);
            if (n < 0) {
                throw new MultipartException("the body ends in the close delimiter");
            }
            filled += n;
        }
        if (buffer[pos] != '-' || buffer[pos + 1] != '-') {
            throw new MultipartException("an upload carries one part only");
        }
        in.transferTo(OutputStream.nullOutputStream()); // the epilogue, if any
        return written;
    }

    private static int indexOf(byte[] buffer, int length, byte[] pattern) {
        int last = length - pattern.length;
        outer:
        for (int i = 0; i <= last; i++) {
            if (buffer[i] != '\r') {
                continue;
            }
            for (int j = 1; j < pattern.length; j++) {
                if (buffer[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** A CRLF-terminated ASCII line without its CRLF; null at the end of the stream. */
    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                return line.length() == 0 ? null : line.toString();
            }
            if (b == '\n' && line.length() > 0 && line.charAt(line.length() - 1) == '\r') {
                line.setLength(line.length() - 1);
                return line.toString();
            }
            if (line.length() >= MAX_LINE) {
                throw new MultipartException("a line longer than " + MAX_LINE + " bytes");
            }
            line.append((char) b);
        }
    }
}
