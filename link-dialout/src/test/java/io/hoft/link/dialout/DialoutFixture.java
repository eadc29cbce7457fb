package io.hoft.link.dialout;

import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.keys.NodeKeys;
import io.hoft.transport.keys.PeerKeys;
import io.hoft.transport.keys.TrustList;
import io.hoft.transport.link.Link;
import io.hoft.transport.spool.SpoolFileName;
import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import io.undertow.server.handlers.HttpContinueReadHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A front's end of the dial-out link on an Undertow listener on loopback, as the front mounts
 * it (before anything reads the request), with the keys of four nodes: the front, the back
 * (allowed to dial in), {@code other} (a trusted peer of the front that may not dial in) and a
 * {@code stranger} the front has never heard of.
 */
final class DialoutFixture implements AutoCloseable {
    static final NodeId FRONT = NodeId.of("front");
    static final NodeId BACK = NodeId.of("back");
    static final NodeId OTHER = NodeId.of("other");
    static final NodeId STRANGER = NodeId.of("stranger");
    private static final Instant NOW = Instant.now();
    static final NodeKeys FRONT_KEYS = NodeKeys.generate(FRONT, NOW);
    static final NodeKeys BACK_KEYS = NodeKeys.generate(BACK, NOW);
    static final NodeKeys OTHER_KEYS = NodeKeys.generate(OTHER, NOW);
    static final NodeKeys STRANGER_KEYS = NodeKeys.generate(STRANGER, NOW);

    final DialoutServerLink link;
    final List<SpoolFileName> offered = new CopyOnWriteArrayList<>();
    final Path dir;
    private final boolean tls;
    private final Undertow server;

    DialoutFixture(Path dir, Duration heartbeat) throws IOException {
        this(dir, heartbeat, null);
    }

    /** With {@code tls}, the listener speaks HTTPS (and the control connection WSS). */
    DialoutFixture(Path dir, Duration heartbeat, javax.net.ssl.SSLContext tls) throws IOException {
        this(dir, heartbeat, tls, 0, frontKeyring());
    }

    /** On {@code port} (0: any free one), with the front's {@code keyring} (a process of its own reads it from files). */
    DialoutFixture(Path dir, Duration heartbeat, javax.net.ssl.SSLContext tls, int port, Keyring keyring) throws IOException {
        this.dir = dir;
        this.tls = tls != null;
        link = new DialoutServerLink(FRONT, keyring, Set.of(BACK), dir.resolve("front"), heartbeat, 4L << 30,
                Clock.systemUTC());
        link.start(FRONT, file -> offered.add(file.name()));
        HttpHandler handler = link.handler();
        HttpHandler root = exchange -> {
            if (DialoutServerLink.handles(exchange)) {
                handler.handleRequest(exchange);
            } else {
                exchange.setStatusCode(404);
                exchange.endExchange();
            }
        };
        Undertow.Builder builder = Undertow.builder().setHandler(new HttpContinueReadHandler(root));
        if (tls != null) {
            builder.addHttpsListener(port, "127.0.0.1", tls);
        } else {
            builder.addHttpListener(port, "127.0.0.1");
        }
        server = builder.build();
        server.start();
    }

    static Keyring frontKeyring() {
        return new Keyring(FRONT_KEYS, TrustList.of(BACK_KEYS.publicKeys(), OTHER_KEYS.publicKeys()));
    }

    /** The keyring of a node that trusts the front (as every dialing node does). */
    static Keyring keyringOf(NodeKeys keys) {
        PeerKeys front = FRONT_KEYS.publicKeys();
        return new Keyring(keys, TrustList.of(front));
    }

    int port() {
        return ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
    }

    URI url() {
        return URI.create((tls ? "https" : "http") + "://127.0.0.1:" + port());
    }

    static SpoolFileName name(NodeId sender, NodeId recipient, long seq) {
        return new SpoolFileName(sender, recipient, 1767225600000L, seq, "req", 0, 0);
    }

    Link.IncomingSink sink() {
        return file -> offered.add(file.name());
    }

    /** How a test's dialer reaches {@code url}: quick reconnection, so a test never waits long for it. */
    static DialoutSettings dialerSettings(URI url) {
        return new DialoutSettings(url, null, Duration.ofSeconds(10), 3, null,
                new DialoutSettings.Reconnect(3, Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(1), 0.3));
    }

    /** Closes each of {@code parts} that is there, in this order (the dialer before the front, say). */
    static void closeInOrder(AutoCloseable... parts) throws Exception {
        for (AutoCloseable part : parts) {
            if (part != null) {
                part.close();
            }
        }
    }

    @Override
    public void close() {
        server.stop();
        link.close();
    }
}
