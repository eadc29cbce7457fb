package io.hoft.tools.e2e;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An HTTP/1.1 caller on a plain socket: requests go out byte for byte as written, and
 * responses are read with their fields in arrival order and bytes (ISO-8859-1, one char per
 * byte), for what java.net.http cannot send (obs-text, hop-by-hop fields, chunked bodies,
 * custom framing) or does not show (order of fields, interim responses).
 */
final class RawHttp implements Closeable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    /** A response as it arrived. */
    record Response(int status, String head, List<String[]> fields, byte[] body) {
        List<String> all(String name) {
            return values(fields, name);
        }

        String first(String name) {
            List<String> all = all(name);
            return all.isEmpty() ? null : all.get(0);
        }

        List<String> names() {
            return fields.stream().map(f -> f[0].toLowerCase(Locale.ROOT)).toList();
        }

        String text() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    RawHttp(int port) throws IOException {
        socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(20_000); // a stall fails the test instead of hanging it
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** Writes ISO-8859-1 text as it is (write the CRLFs). */
    RawHttp send(String text) throws IOException {
        return send(bytes(text));
    }

    RawHttp send(byte[] data) throws IOException {
        out.write(data);
        out.flush();
        return this;
    }

    /** Sends one request and reads its response. */
    Response exchange(String request) throws IOException {
        send(request);
        return read(request.startsWith("HEAD "));
    }

    /** Reads the next response (an interim 1xx one too); a HEAD response has no body. */
    Response read(boolean head) throws IOException {
        String statusLine = line();
        if (!statusLine.startsWith("HTTP/1.1 ")) {
            throw new IOException("not a status line: " + statusLine);
        }
        int status = Integer.parseInt(statusLine.substring(9, 12));
        StringBuilder text = new StringBuilder();
        for (String line = line(); !line.isEmpty(); line = line()) {
            text.append(line).append("\r\n");
        }
        List<String[]> fields = parseFields(text + "\r\n");
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (!head && status >= 200 && status != 204 && status != 304) {
            if ("chunked".equalsIgnoreCase(String.valueOf(first(fields, "Transfer-Encoding")))) {
                readChunked(in, body);
            } else if (first(fields, "Content-Length") != null) {
                copy(in, body, Long.parseLong(first(fields, "Content-Length")));
            } else {
                in.transferTo(body); // delimited by the end of the connection
            }
        }
        return new Response(status, statusLine + "\r\n" + text, fields, body.toByteArray());
    }

    private String line() throws IOException {
        return line(in);
    }

    static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b == -1) {
                throw new EOFException("connection closed in a head");
            }
            line.write(b);
        }
        String text = line.toString(StandardCharsets.ISO_8859_1);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }

    /** Fields of a head's field section (lines ending in CRLF, up to the empty line). */
    static List<String[]> parseFields(String section) {
        List<String[]> fields = new ArrayList<>();
        for (String line : section.split("\r\n")) {
            if (line.isEmpty()) {
                break;
            }
            int colon = line.indexOf(':');
            fields.add(new String[] {line.substring(0, colon), line.substring(colon + 1).strip()});
        }
        return fields;
    }

    static List<String> values(List<String[]> fields, String name) {
        List<String> values = new ArrayList<>();
        for (String[] field : fields) {
            if (field[0].equalsIgnoreCase(name)) {
                values.add(field[1]);
            }
        }
        return values;
    }

    private static String first(List<String[]> fields, String name) {
        List<String> all = values(fields, name);
        return all.isEmpty() ? null : all.get(0);
    }

    static void readChunked(InputStream in, ByteArrayOutputStream body) throws IOException {
        while (true) {
            long size = Long.parseLong(line(in).split(";")[0].trim(), 16);
            if (size == 0) {
                while (!line(in).isEmpty()) {
                    // trailer fields
                }
                return;
            }
            copy(in, body, size);
            line(in);
        }
    }

    static void copy(InputStream in, ByteArrayOutputStream body, long length) throws IOException {
        byte[] buffer = new byte[65536];
        for (long left = length; left > 0; ) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n == -1) {
                throw new EOFException("body ended " + left + " bytes short");
            }
            body.write(buffer, 0, n);
            left -= n;
        }
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
