package io.hoft.tools.node;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small HTTP proxy on loopback, as a site's outbound proxy: {@code CONNECT host:port} opens a
 * tunnel (what the dial-out link's WebSocket, and everything over TLS, uses); a request in
 * absolute form ({@code GET http://host:port/path}) is forwarded in origin form with
 * {@code Connection: close}. It can cut every connection it carries at once, or only the
 * tunnels, as a network fault would.
 */
final class TestProxy implements AutoCloseable {
    private final ServerSocket server;
    private final Set<Socket> tunnels = ConcurrentHashMap.newKeySet();
    private final Set<Socket> forwarded = ConcurrentHashMap.newKeySet();
    final AtomicInteger connects = new AtomicInteger();
    final AtomicInteger requests = new AtomicInteger();
    /** Bytes carried by forwarded (non-tunnel) connections, both ways. */
    final java.util.concurrent.atomic.AtomicLong forwardedBytes = new java.util.concurrent.atomic.AtomicLong();
    /** Rate limit of forwarded connections, each, in bytes per second (0: none), so a transfer lasts long enough to cut. */
    volatile long throttleBytesPerSecond;
    private volatile boolean closed;

    TestProxy() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::acceptLoop, "test-proxy");
        accept.setDaemon(true);
        accept.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** Cuts the CONNECT tunnels only (the control connection), leaving forwarded transfers alone. */
    void cutTunnels() {
        cut(tunnels);
    }

    /** Cuts everything in flight. */
    void cutAll() {
        cut(tunnels);
        cut(forwarded);
    }

    private static void cut(Set<Socket> sockets) {
        for (Socket socket : new ArrayList<>(sockets)) {
            try {
                socket.setSoLinger(true, 0); // RST, as a dropped route or a killed middlebox does
                socket.close();
            } catch (IOException e) {
                // gone already
            }
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                Thread t = new Thread(() -> serve(client), "test-proxy-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try {
            InputStream in = client.getInputStream();
            String head = readHead(in);
            String[] lines = head.split("\r\n");
            String[] requestLine = lines[0].split(" ");
            if (requestLine[0].equals("CONNECT")) {
                String[] hostPort = requestLine[1].split(":");
                Socket upstream = new Socket(hostPort[0], Integer.parseInt(hostPort[1]));
                connects.incrementAndGet();
                client.getOutputStream().write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                client.getOutputStream().flush();
                pump(client, upstream, tunnels);
                return;
            }
            URI target = URI.create(requestLine[1]);
            Socket upstream = new Socket(target.getHost(), target.getPort());
            requests.incrementAndGet();
            StringBuilder rewritten = new StringBuilder();
            String path = target.getRawPath() + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery());
            rewritten.append(requestLine[0]).append(' ').append(path).append(' ').append(requestLine[2]).append("\r\n");
            for (int i = 1; i < lines.length; i++) {
                String lower = lines[i].toLowerCase();
                if (lower.startsWith("connection:") || lower.startsWith("proxy-connection:") || lower.startsWith("keep-alive:")) {
                    continue;
                }
                rewritten.append(lines[i]).append("\r\n");
            }
            rewritten.append("Connection: close\r\n\r\n");
            upstream.getOutputStream().write(rewritten.toString().getBytes(StandardCharsets.ISO_8859_1));
            pump(client, upstream, forwarded);
        } catch (IOException | RuntimeException e) {
            try {
                client.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed before the request head ended");
            }
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3)) ? matched + 1 : 0;
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        return text.substring(0, text.length() - 4);
    }

    private void pump(Socket client, Socket upstream, Set<Socket> registry) {
        registry.add(client);
        registry.add(upstream);
        boolean throttled = registry == forwarded;
        List<Thread> threads = List.of(copier(client, upstream, throttled), copier(upstream, client, throttled));
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                break;
            }
        }
        registry.remove(client);
        registry.remove(upstream);
        closeQuietly(client);
        closeQuietly(upstream);
    }

    private Thread copier(Socket from, Socket to, boolean forwardedConnection) {
        Thread t = new Thread(() -> {
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                byte[] buffer = new byte[64 * 1024];
                int n;
                while ((n = in.read(buffer)) != -1) {
                    out.write(buffer, 0, n);
                    out.flush();
                    if (forwardedConnection) {
                        forwardedBytes.addAndGet(n);
                        long rate = throttleBytesPerSecond;
                        if (rate > 0) {
                            Thread.sleep(Math.max(1, n * 1000L / rate));
                        }
                    }
                }
                to.shutdownOutput();
            } catch (IOException | InterruptedException e) {
                // one side went away: close both
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "test-proxy-copy");
        t.setDaemon(true);
        return t;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        cutAll();
    }
}
