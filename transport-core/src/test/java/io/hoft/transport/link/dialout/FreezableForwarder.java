package io.hoft.transport.link.dialout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP forwarder on loopback whose connections can be frozen: bytes stop flowing both ways but
 * no socket closes, as on a path that silently drops packets (the case a heartbeat timeout
 * exists for). New connections after a freeze flow normally.
 */
final class FreezableForwarder implements AutoCloseable {
    private final ServerSocket server;
    private final int target;
    private final Set<Pipe> pipes = ConcurrentHashMap.newKeySet();

    FreezableForwarder(int target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    Socket upstream = new Socket(InetAddress.getLoopbackAddress(), this.target);
                    Pipe pipe = new Pipe(client, upstream);
                    pipes.add(pipe);
                    pipe.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "forwarder");
        accept.setDaemon(true);
        accept.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** Stops every connection open now from carrying another byte, without closing it. */
    void freezeAll() {
        pipes.forEach(pipe -> pipe.frozen = true);
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Pipe pipe : pipes) {
            pipe.client.close();
            pipe.upstream.close();
        }
    }

    private static final class Pipe {
        final Socket client;
        final Socket upstream;
        volatile boolean frozen;

        Pipe(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void start() {
            copy(client, upstream);
            copy(upstream, client);
        }

        private void copy(Socket from, Socket to) {
            Thread t = new Thread(() -> {
                try {
                    InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream();
                    byte[] buffer = new byte[64 * 1024];
                    int n;
                    while ((n = in.read(buffer)) != -1) {
                        while (frozen) {
                            Thread.sleep(50); // hold the bytes: the path went silent
                        }
                        out.write(buffer, 0, n);
                        out.flush();
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
