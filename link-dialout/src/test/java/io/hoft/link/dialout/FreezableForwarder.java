package io.hoft.link.dialout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP forwarder on loopback whose connections can be frozen: bytes stop flowing both ways but
 * no socket closes, as on a path that silently drops packets (the case a heartbeat timeout
 * exists for). New connections after a freeze flow normally. It counts the bytes it carries
 * each way, and can cut (close) the one connection that first carries more than a given number
 * of bytes in one direction, as a network fault mid-transfer would.
 */
final class FreezableForwarder implements AutoCloseable {
    private final ServerSocket server;
    private final int target;
    private final Set<Pipe> pipes = ConcurrentHashMap.newKeySet();
    /** Bytes carried from the client to the server, and back, over every connection so far. */
    final AtomicLong toServer = new AtomicLong();
    final AtomicLong toClient = new AtomicLong();
    private final AtomicLong cutToServerAfter = new AtomicLong(-1);
    private final AtomicLong cutToClientAfter = new AtomicLong(-1);
    final AtomicLong cuts = new AtomicLong();
    private volatile long pauseMillis;

    FreezableForwarder(int target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(() -> {
            while (!server.isClosed()) {
                Socket client;
                try {
                    client = server.accept();
                } catch (IOException e) {
                    return;
                }
                try {
                    Socket upstream = new Socket(InetAddress.getLoopbackAddress(), this.target);
                    Pipe pipe = new Pipe(client, upstream);
                    pipes.add(pipe);
                    pipe.start();
                } catch (IOException e) {
                    closeQuietly(client); // the server is down: refused, as it would be without the forwarder
                }
            }
        }, "forwarder");
        accept.setDaemon(true);
        accept.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** Cuts the first connection that carries more than {@code bytes} towards the server (once). */
    void cutOnceAfterToServer(long bytes) {
        cutToServerAfter.set(bytes);
    }

    /** Cuts the first connection that carries more than {@code bytes} towards the client (once). */
    void cutOnceAfterToClient(long bytes) {
        cutToClientAfter.set(bytes);
    }

    /** Slows every connection: a pause of {@code millis} after each chunk of up to 64 KiB (0: full speed). */
    void pauseAfterEachChunk(long millis) {
        pauseMillis = millis;
    }

    /** Closes every connection open now (new ones are carried as before). */
    void cutAll() {
        for (Pipe pipe : pipes) {
            closeQuietly(pipe.client);
            closeQuietly(pipe.upstream);
        }
        pipes.clear();
    }

    /** Stops every connection open now from carrying another byte, without closing it. */
    void freezeAll() {
        pipes.forEach(pipe -> pipe.frozen = true);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Pipe pipe : pipes) {
            pipe.client.close();
            pipe.upstream.close();
        }
    }

    private final class Pipe {
        final Socket client;
        final Socket upstream;
        volatile boolean frozen;

        Pipe(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void start() {
            copy(client, upstream, toServer, cutToServerAfter);
            copy(upstream, client, toClient, cutToClientAfter);
        }

        private void copy(Socket from, Socket to, AtomicLong total, AtomicLong cutAfter) {
            Thread t = new Thread(() -> {
                try {
                    InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream();
                    byte[] buffer = new byte[64 * 1024];
                    int n;
                    long carried = 0;
                    while ((n = in.read(buffer)) != -1) {
                        while (frozen) {
                            Thread.sleep(50); // hold the bytes: the path went silent
                        }
                        long limit = cutAfter.get();
                        if (limit >= 0 && carried + n > limit && cutAfter.compareAndSet(limit, -1)) {
                            cuts.incrementAndGet();
                            throw new IOException("cut"); // closes both sockets below
                        }
                        out.write(buffer, 0, n);
                        out.flush();
                        carried += n;
                        total.addAndGet(n);
                        if (pauseMillis > 0) {
                            Thread.sleep(pauseMillis);
                        }
                    }
                    to.shutdownOutput();
                } catch (IOException | InterruptedException e) {
                    try {
                        from.close();
                        to.close();
                    } catch (IOException ignored) {
                        // closing
                    }
                }
            }, "forwarder-copy");
            t.setDaemon(true);
            t.start();
        }
    }
}
