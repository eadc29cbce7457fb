package io.hoft.link.dialout;

import io.hoft.transport.agent.Agent;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.spool.SpoolFileName;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedBinaryMessage;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import java.io.IOException;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;

/**
 * The dialed end's table of control connections (SPEC.md section 19.2), one session per dialing
 * peer, and, as an {@link Agent}, their heartbeat: a session silent for {@code heartbeat} is
 * pinged, one silent for three intervals is closed.
 *
 * <p>Guarantees: a peer has at most one session (a new connection closes the one before); a
 * session is welcomed, then told of every file held for its peer, on every (re)connection and
 * on {@code list}; a held file leaves {@code held/} when its peer says {@code fetched}; a
 * session that ended is removed from the table by its own close task only (or with all the
 * others when the link closes), so a late close of an old connection never removes its
 * successor. The table is a concurrent map: no lock.
 */
final class ControlSessions implements Agent {
    private static final Logger log = LoggerFactory.getLogger(ControlSessions.class);

    private final NodeId self;
    private final Duration heartbeat;
    private final Clock clock;
    private final SpoolFolder held;
    private final Set<NodeId> allowed;
    private final Map<NodeId, Session> sessions = new ConcurrentHashMap<>();
    private final Map<NodeId, PeerStats> stats = new ConcurrentHashMap<>();

    ControlSessions(NodeId self, Set<NodeId> allowed, Duration heartbeat, SpoolFolder held, Clock clock) {
        this.self = self;
        this.allowed = allowed;
        this.heartbeat = heartbeat;
        this.held = held;
        this.clock = clock;
        allowed.forEach(peer -> stats.put(peer, new PeerStats()));
    }

    @Override
    public String roleName() {
        return "hoft-dialout-server";
    }

    @Override
    public long doWork(long nowMs) {
        long heardMs = clock.millis();
        for (Session session : sessions.values()) {
            if (heardMs - session.lastHeardMs > 3 * heartbeat.toMillis()) {
                log.warn("{}'s control connection is silent for {} ms; closing it", session.peer, heardMs - session.lastHeardMs);
                IoUtils.safeClose(session.channel);
            } else if (heardMs - session.lastSentMs >= heartbeat.toMillis()) {
                session.send(ControlMessage.ping(heardMs));
            }
        }
        return nowMs + Math.max(50, Math.min(1000, heartbeat.toMillis() / 4));
    }

    /** Closes every session (the link is closing). */
    void closeAll() {
        for (Session session : sessions.values()) {
            IoUtils.safeClose(session.channel);
        }
        sessions.clear();
    }

    /** Tells {@code name}'s recipient, if connected, that the file waits to be fetched. */
    void announce(SpoolFileName name) {
        Session session = sessions.get(name.recipient());
        if (session != null) {
            long size = held.size(name).orElse(-1L);
            if (size >= 0) {
                session.send(ControlMessage.available(name, size));
            }
        }
    }

    /** {@code peer} was heard from outside its control connection (an upload it finished). */
    void heard(NodeId peer) {
        Session session = sessions.get(peer);
        if (session != null) {
            session.lastHeardMs = clock.millis();
        }
    }

    /** Drops the control connection of {@code peer} at once, as a network fault would. */
    void disconnect(NodeId peer) {
        Session session = sessions.get(peer);
        if (session != null) {
            IoUtils.safeClose(session.channel);
        }
    }

    /** Every allowed peer's connection state. */
    List<DialoutServerLink.Connection> connections() {
        Map<NodeId, Integer> heldByPeer = new TreeMap<>((a, b) -> a.value().compareTo(b.value()));
        for (SpoolFileName name : held.list()) {
            heldByPeer.merge(name.recipient(), 1, Integer::sum);
        }
        List<DialoutServerLink.Connection> result = new ArrayList<>();
        for (NodeId peer : allowed) {
            Session session = sessions.get(peer);
            PeerStats s = stats.get(peer);
            result.add(new DialoutServerLink.Connection(peer, session != null, s.sinceMs, session == null ? null : session.remote,
                    session == null ? s.lastHeardMs : session.lastHeardMs, s.connections, heldByPeer.getOrDefault(peer, 0)));
        }
        result.sort((a, b) -> a.peer().value().compareTo(b.peer().value()));
        return result;
    }

    /** A peer's WebSocket is open: its session replaces any before it, is welcomed and hears what is held. */
    void connected(NodeId peer, WebSocketChannel channel) {
        Session session = new Session(peer, channel, clock.millis());
        Session previous = sessions.put(peer, session);
        if (previous != null) {
            log.info("{} connected again; closing its previous control connection", peer);
            IoUtils.safeClose(previous.channel);
        }
        PeerStats s = stats.get(peer);
        s.sinceMs = session.lastHeardMs;
        s.connections++;
        log.info("{} dialed in from {}", peer, session.remote);
        channel.getReceiveSetter().set(new AbstractReceiveListener() {
            @Override
            protected void onFullTextMessage(WebSocketChannel ch, BufferedTextMessage message) {
                received(session, message.getData());
            }

            @Override
            protected void onFullBinaryMessage(WebSocketChannel ch, BufferedBinaryMessage message) {
                message.getData().close();
                log.warn("closing {}'s control connection: a binary message", peer);
                IoUtils.safeClose(ch);
            }
        });
        channel.addCloseTask(ch -> {
            if (sessions.remove(peer, session)) {
                PeerStats st = stats.get(peer);
                st.sinceMs = clock.millis();
                st.lastHeardMs = session.lastHeardMs;
                log.info("{}'s control connection closed", peer);
            }
        });
        channel.resumeReceives();
        session.send(ControlMessage.welcome(self.value(), heartbeat.toMillis()));
        announceAll(session);
    }

    private void received(Session session, String text) {
        session.lastHeardMs = clock.millis();
        ControlMessage message;
        try {
            message = ControlMessage.decode(text);
        } catch (IllegalArgumentException e) {
            log.warn("closing {}'s control connection: {}", session.peer, e.getMessage());
            IoUtils.safeClose(session.channel);
            return;
        }
        switch (message.type()) {
            case ControlMessage.HELLO -> {
                if (!message.node().equals(session.peer.value()) || message.version() != ControlMessage.VERSION) {
                    log.warn("closing {}'s control connection: hello names {} version {}", session.peer, message.node(),
                            message.version());
                    IoUtils.safeClose(session.channel);
                }
            }
            case ControlMessage.FETCHED -> {
                SpoolFileName name = message.spoolName().orElseThrow();
                if (name.recipient().equals(session.peer) && name.sender().equals(self)) {
                    try {
                        held.remove(name);
                    } catch (IOException e) {
                        log.warn("cannot drop held {}: {}", name, e.toString());
                    }
                }
            }
            case ControlMessage.LIST -> announceAll(session);
            case ControlMessage.PING -> session.send(ControlMessage.pong(message.at() == null ? 0 : message.at()));
            default -> {
                // pong: heard is enough; catalog and unknown types: nothing for the link to do
            }
        }
    }

    private void announceAll(Session session) {
        for (SpoolFileName name : held.list()) {
            if (name.recipient().equals(session.peer)) {
                held.size(name).ifPresent(size -> session.send(ControlMessage.available(name, size)));
            }
        }
    }

    private static final class PeerStats {
        volatile long sinceMs;
        volatile long lastHeardMs;
        volatile long connections;
    }

    private final class Session {
        final NodeId peer;
        final WebSocketChannel channel;
        final String remote;
        volatile long lastHeardMs;
        volatile long lastSentMs;

        Session(NodeId peer, WebSocketChannel channel, long nowMs) {
            this.peer = peer;
            this.channel = channel;
            SocketAddress address = channel.getSourceAddress();
            this.remote = address == null ? null : address.toString();
            this.lastHeardMs = nowMs;
            this.lastSentMs = nowMs;
        }

        void send(ControlMessage message) {
            lastSentMs = clock.millis();
            WebSockets.sendText(message.encode(), channel, null);
        }
    }
}
