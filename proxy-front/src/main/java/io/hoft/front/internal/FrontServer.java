package io.hoft.front.internal;

import io.undertow.UndertowOptions;
import io.undertow.protocols.ssl.UndertowXnioSsl;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.server.HttpHandler;
import io.undertow.server.protocol.http.HttpOpenListener;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLContext;
import org.xnio.ChannelListener;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;
import org.xnio.channels.AcceptingChannel;

/**
 * The front's HTTP/1.1 server: Undertow's HTTP listener assembled by hand, as Undertow's
 * builder would (same worker, socket and buffer settings), for one reason: every accepted
 * connection first gets the {@link RequestHeads} tap under Undertow's parser, which the builder
 * offers no place for.
 */
final class FrontServer {
    private final XnioWorker worker;
    private final AcceptingChannel<? extends StreamConnection> channel;

    private FrontServer(XnioWorker worker, AcceptingChannel<? extends StreamConnection> channel) {
        this.worker = worker;
        this.channel = channel;
    }

    /**
     * Starts listening.
     *
     * @param tls null for plain HTTP
     */
    static FrontServer start(String host, int port, SSLContext tls, int ioThreads, int workerThreads, OptionMap serverOptions,
            OptionMap socketOptions, RequestHeads heads, HttpHandler root) throws IOException {
        Xnio xnio = Xnio.getInstance(FrontServer.class.getClassLoader());
        XnioWorker worker = xnio.createWorker(OptionMap.builder()
                .set(Options.WORKER_IO_THREADS, ioThreads)
                .set(Options.CONNECTION_HIGH_WATER, 1_000_000)
                .set(Options.CONNECTION_LOW_WATER, 1_000_000)
                .set(Options.WORKER_TASK_CORE_THREADS, workerThreads)
                .set(Options.WORKER_TASK_MAX_THREADS, workerThreads)
                .set(Options.TCP_NODELAY, true)
                .set(Options.CORK, true)
                .getMap());
        try {
            OptionMap socket = OptionMap.builder()
                    .set(Options.WORKER_IO_THREADS, worker.getIoThreadCount())
                    .set(Options.TCP_NODELAY, true)
                    .set(Options.REUSE_ADDRESSES, true)
                    .set(Options.BALANCING_TOKENS, 1)
                    .set(Options.BALANCING_CONNECTIONS, 2)
                    .set(Options.BACKLOG, 1000)
                    .addAll(socketOptions)
                    .getMap();
            OptionMap undertow = OptionMap.builder().set(UndertowOptions.NO_REQUEST_TIMEOUT, 60_000).addAll(serverOptions).getMap();
            boolean large = Runtime.getRuntime().maxMemory() >= 128L * 1024 * 1024;
            HttpOpenListener http = new HttpOpenListener(new DefaultByteBufferPool(large, large ? 16 * 1024 - 20 : 1024, -1, 4),
                    undertow);
            http.setRootHandler(root);
            ChannelListener<StreamConnection> open = connection -> {
                heads.tap(connection);
                http.handleEvent(connection);
            };
            InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(host), port);
            AcceptingChannel<? extends StreamConnection> channel;
            if (tls == null) {
                channel = worker.createStreamConnectionServer(address, ChannelListeners.openListenerAdapter(open), socket);
            } else {
                UndertowXnioSsl ssl = new UndertowXnioSsl(xnio, OptionMap.create(Options.USE_DIRECT_BUFFERS, true), tls);
                @SuppressWarnings({"unchecked", "rawtypes"})
                ChannelListener<AcceptingChannel<org.xnio.ssl.SslConnection>> accept =
                        (ChannelListener) ChannelListeners.openListenerAdapter(open);
                channel = ssl.createSslConnectionServer(worker, address, accept, socket);
            }
            channel.resumeAccepts();
            return new FrontServer(worker, channel);
        } catch (IOException | RuntimeException e) {
            worker.shutdownNow();
            throw e;
        }
    }

    InetSocketAddress address() {
        return channel.getLocalAddress(InetSocketAddress.class);
    }

    /** Stops accepting, then closes the connections and the threads (as Undertow's {@code stop()}). */
    void stop() {
        IoUtils.safeClose(channel);
        worker.shutdown();
        try {
            worker.awaitTermination();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
