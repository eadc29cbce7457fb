package io.hoft.front;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * HTTP/1.1 over a plain socket, byte for byte: requests are written exactly as given, and
 * responses are read with their header fields in the order and with the bytes they arrived
 * in (ISO-8859-1, one char per byte). For what java.net.http cannot send or does not show.
 */
final class RawHttp implements Closeable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawHttp(InetSocketAddress address) throws IOException {
        socket = new Socket(address.getAddress(), address.getPort());
        socket.setSoTimeout(120_000);
        in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
        out = socket.getOutputStream();
    }

    /** A response as received. */
    record Response(int status, String reason, List<String[]> headers, byte[] body, long bodyLength, String bodySha256) {
        String header(String name) {
            List<String> all = all(name);
            return all.isEmpty() ? null : all.get(0);
        }

        List<String> all(String name) {
            List<String> values = new ArrayList<>();
            for (String[] field : headers) {
                if (field[0].equalsIgnoreCase(name)) {
                    values.add(field[1]);
                }
            }
            return values;
        }

        List<String> names() {
            List<String> names = new ArrayList<>();
            headers.forEach(f -> names.add(f[0]));
            return names;
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Sends a request head (ISO-8859-1; lines end in CRLF, so write "\r\n") and optionally a body. */
    RawHttp send(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return this;
    }

    RawHttp send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    RawHttp send(InputStream body) throws IOException {
        PatternStream.copy(body, out);
        out.flush();
        return this;
    }

    OutputStream output() {
        return out;
    }

    /** Reads the next response, its body into memory. */
    Response read(boolean headRequest) throws IOException {
        return read(headRequest, false);
    }

    /** Reads the next response, hashing the body instead of keeping it. */
    Response readHashed(boolean headRequest) throws IOException {
        return read(headRequest, true);
    }

    /** True if the server closed the connection (reads EOF within the socket timeout). */
    boolean closedByServer() throws IOException {
        try {
            return in.read() == -1;
        } catch (java.net.SocketException e) {
            return true;
        }
    }

    private Response read(boolean headRequest, boolean hash) throws IOException {
        String statusLine = line();
        if (!statusLine.startsWith("HTTP/1.")) {
            throw new IOException("not a status line: " + statusLine);
        }
        int status = Integer.parseInt(statusLine.substring(9, 12));
        String reason = statusLine.length() > 13 ? statusLine.substring(13) : "";
        List<String[]> headers = new ArrayList<>();
        for (String line = line(); !line.isEmpty(); line = line()) {
            int colon = line.indexOf(':');
            headers.add(new String[] {line.substring(0, colon), line.substring(colon + 1).strip()});
        }
        Response head = new Response(status, reason, headers, new byte[0], 0, null);
        if (headRequest || status < 200 || status == 204 || status == 304) {
            return head;
        }
        Sink sink = new Sink(hash);
        String length = head.header("Content-Length");
        if ("chunked".equalsIgnoreCase(head.header("Transfer-Encoding"))) {
            while (true) {
                long size = Long.parseLong(line().split(";")[0].trim(), 16);
                if (size == 0) {
                    while (!line().isEmpty()) {
                        // trailers
                    }
                    break;
                }
                sink.copy(in, size);
                line();
            }
        } else if (length != null) {
            sink.copy(in, Long.parseLong(length));
        } else {
            sink.copy(in, Long.MAX_VALUE);
        }
        return new Response(status, reason, headers, sink.bytes(), sink.total, sink.sha256());
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
        throw new EOFException("connection closed in a header");
    }

    private static final class Sink {
        private final MessageDigest digest;
        private final ByteArrayOutputStream memory;
        private long total;

        Sink(boolean hash) {
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            memory = hash ? null : new ByteArrayOutputStream();
        }

        void copy(InputStream in, long count) throws IOException {
            byte[] buffer = new byte[1 << 16];
            long left = count;
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n == -1) {
                    if (count == Long.MAX_VALUE) {
                        return;
                    }
                    throw new EOFException("body ended after " + total + " bytes");
                }
                digest.update(buffer, 0, n);
                if (memory != null) {
                    memory.write(buffer, 0, n);
                }
                total += n;
                left -= n;
            }
        }

        byte[] bytes() {
            return memory == null ? new byte[0] : memory.toByteArray();
        }

        String sha256() {
            return HexFormat.of().formatHex(digest.digest());
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
