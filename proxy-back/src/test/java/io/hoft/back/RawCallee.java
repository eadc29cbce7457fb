package io.hoft.back;

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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test callee on a real loopback socket that records the exact bytes of every request and
 * answers with scripted raw bytes, including on purpose misbehaviour (in the manner of OkHttp's
 * MockWebServer socket policies): disconnect after the request, a response cut off in the body,
 * no response at all, bytes after a response, kept connections closed when idle.
 */
final class RawCallee implements AutoCloseable {

    /** A request exactly as it arrived: the head (request line and fields, up to and with the blank line) and the body bytes. */
    record Recorded(byte[] head, byte[] body) {
        String headText() {
            return new String(head, StandardCharsets.ISO_8859_1);
        }

        String bodyText() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    /** What to do with one request; returns true to keep the connection for another request. */
    @FunctionalInterface
    interface Script {
        boolean answer(Recorded request, OutputStream out) throws Exception;
    }

    private final ServerSocket server;
    private final List<Recorded> requests = Collections.synchronizedList(new ArrayList<>());
    private final List<Socket> sockets = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger maxActive = new AtomicInteger();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicInteger idleCloses = new AtomicInteger();
    private volatile Script script;
    private volatile boolean readBodies = true;
    private volatile int idleTimeoutMs;

    private RawCallee(Script script) throws IOException {
        this.script = script;
        this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "raw-callee-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    static RawCallee start(Script script) throws IOException {
        return new RawCallee(script);
    }

    /** Answers with these bytes (ISO-8859-1 text) and keeps the connection. */
    static Script reply(String raw) {
        return (request, out) -> {
            out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return true;
        };
    }

    /** Writes these bytes, then closes the connection (a response cut short, or a final one). */
    static Script replyAndClose(String raw) {
        return (request, out) -> {
            out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return false;
        };
    }

    /** Closes the connection as soon as the request is read, answering nothing. */
    static Script disconnect() {
        return (request, out) -> false;
    }

    /** Never answers (until the callee is closed). */
    Script hang() {
        return (request, out) -> {
            closed.await();
            return false;
        };
    }

    /** Waits, then runs {@code then}. */
    static Script delayed(long millis, Script then) {
        return (request, out) -> {
            Thread.sleep(millis);
            return then.answer(request, out);
        };
    }

    void script(Script next) {
        this.script = next;
    }

    /** With false, only request heads are read: a body is left unread, as by a callee that stops reading. */
    void readBodies(boolean read) {
        this.readBodies = read;
    }

    /** Closes a kept connection on which no request starts within {@code millis} (0: never), as Node.js does after 5 s. */
    void idleTimeout(int millis) {
        this.idleTimeoutMs = millis;
    }

    /** How many kept connections the callee closed for being idle. */
    int idleCloses() {
        return idleCloses.get();
    }

    int port() {
        return server.getLocalPort();
    }

    String url() {
        return "http://127.0.0.1:" + port();
    }

    List<Recorded> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    void clear() {
        requests.clear();
        connections.set(0);
        maxActive.set(0);
        idleCloses.set(0);
    }

    int connections() {
        return connections.get();
    }

    int maxConcurrent() {
        return maxActive.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.incrementAndGet();
                sockets.add(socket);
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
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            while (true) {
                socket.setSoTimeout(idleTimeoutMs);
                Recorded request;
                try {
                    request = read(in, readBodies);
                } catch (java.net.SocketTimeoutException e) {
                    idleCloses.incrementAndGet();
                    return;
                }
                socket.setSoTimeout(0);
                if (request == null) {
                    return;
                }
                requests.add(request);
                int now = active.incrementAndGet();
                maxActive.accumulateAndGet(now, Math::max);
                boolean keep;
                try {
                    keep = script.answer(request, out);
                } finally {
                    active.decrementAndGet();
                }
                if (!keep) {
                    return;
                }
            }
        } catch (Exception e) {
            // the peer went away; nothing to record
        }
    }

    /** Reads one request: the head, then a Content-Length or chunked body as raw bytes. Null at a clean end. */
    private static Recorded read(InputStream in, boolean readBody) throws IOException {
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
        byte[] headBytes = head.toByteArray();
        String text = new String(headBytes, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int at = text.indexOf("\r\ncontent-length:");
        if (!readBody) {
            return new Recorded(headBytes, new byte[0]);
        }
        if (text.contains("\r\ntransfer-encoding: chunked")) {
            copyChunked(in, body);
        } else if (at >= 0) {
            int end = text.indexOf("\r\n", at + 2);
            long length = Long.parseLong(text.substring(at + "\r\ncontent-length:".length(), end).trim());
            byte[] buffer = new byte[65536];
            long left = length;
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n == -1) {
                    throw new IOException("end of stream inside a request body");
                }
                if (body.size() < 16 * 1024 * 1024) {
                    body.write(buffer, 0, n);
                }
                left -= n;
            }
        }
        return new Recorded(headBytes, body.toByteArray());
    }

    private static void copyChunked(InputStream in, ByteArrayOutputStream raw) throws IOException {
        StringBuilder window = new StringBuilder();
        int b;
        while ((b = in.read()) != -1) {
            raw.write(b);
            window.append((char) b);
            if (window.length() > 5) {
                window.deleteCharAt(0);
            }
            if (window.toString().equals("0\r\n\r\n")) {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        closed.countDown();
        server.close();
        synchronized (sockets) {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }

    /** Waits until at least {@code count} requests arrived. */
    void awaitRequests(int count, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (requests.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }
}
