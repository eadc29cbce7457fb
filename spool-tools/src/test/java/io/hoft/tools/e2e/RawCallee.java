package io.hoft.tools.e2e;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * A callee on a plain loopback socket: records each request exactly as its bytes arrived (head
 * and de-chunked body) and answers with raw bytes chosen by a script, so tests can see what the
 * back really sent and make the callee answer what a framework would not (hop-by-hop fields,
 * obs-text, repeated fields in a chosen order).
 */
final class RawCallee implements AutoCloseable {

    /** A request as it arrived: head text (ISO-8859-1, one char per byte) and body bytes. */
    record Recorded(String head, byte[] body, boolean chunked) {
        String requestLine() {
            return head.substring(0, head.indexOf("\r\n"));
        }

        String method() {
            return requestLine().split(" ")[0];
        }

        String target() {
            return requestLine().split(" ")[1];
        }

        /** Header fields in arrival order, as [name, value] (value without surrounding spaces). */
        List<String[]> fields() {
            return RawHttp.parseFields(head.substring(head.indexOf("\r\n") + 2));
        }

        List<String> all(String name) {
            return RawHttp.values(fields(), name);
        }

        List<String> names() {
            return fields().stream().map(f -> f[0]).toList();
        }
    }

    static final byte[] OK = RawHttp.bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");

    private final ServerSocket server;
    private final List<Recorded> requests = Collections.synchronizedList(new ArrayList<>());
    private volatile Function<Recorded, byte[]> script = request -> OK;

    RawCallee() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "raw-callee");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    void script(Function<Recorded, byte[]> answer) {
        this.script = answer;
    }

    List<Recorded> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /** The requests whose target starts with {@code prefix}. */
    List<Recorded> to(String prefix) {
        return requests().stream().filter(r -> r.target().startsWith(prefix)).toList();
    }

    /** The one request whose target starts with {@code prefix}. */
    Recorded only(String prefix) {
        List<Recorded> found = to(prefix);
        if (found.size() != 1) {
            throw new AssertionError("the callee saw " + found.size() + " requests to " + prefix + ": " + requests().stream()
                    .map(Recorded::requestLine).toList());
        }
        return found.get(0);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread worker = new Thread(() -> serve(socket), "raw-callee-conn");
                worker.setDaemon(true);
                worker.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            for (Recorded request = read(in); request != null; request = read(in)) {
                requests.add(request);
                byte[] answer = script.apply(request);
                out.write(answer);
                out.flush();
                if (closes(answer)) {
                    return; // an answer with "Connection: close" ends the connection, even one cut short
                }
            }
        } catch (IOException e) {
            // the back closed the connection
        }
    }

    private static boolean closes(byte[] answer) {
        String text = new String(answer, 0, Math.min(answer.length, 4096), StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
        int end = text.indexOf("\r\n\r\n");
        return end > 0 && text.substring(0, end).contains("\r\nconnection: close");
    }

    private static Recorded read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int last4 = 0;
        while (last4 != 0x0D0A0D0A) {
            int b = in.read();
            if (b == -1) {
                if (head.size() == 0) {
                    return null;
                }
                throw new IOException("end of stream inside a request head");
            }
            head.write(b);
            last4 = (last4 << 8) | b;
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        String lower = text.toLowerCase(Locale.ROOT);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        boolean chunked = lower.contains("\r\ntransfer-encoding: chunked");
        if (chunked) {
            RawHttp.readChunked(in, body);
        } else {
            int at = lower.indexOf("\r\ncontent-length:");
            if (at >= 0) {
                long length = Long.parseLong(text.substring(at + 17, text.indexOf("\r\n", at + 2)).trim());
                RawHttp.copy(in, body, length);
            }
        }
        return new Recorded(text, body.toByteArray(), chunked);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
