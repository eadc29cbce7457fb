package io.hoft.link.dialout;

import io.hoft.transport.agent.Agent;
import io.hoft.transport.agent.AgentRunner;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.spool.SpoolFileName;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dialing end's control connection (SPEC.md section 19.2), as an {@link Agent}: it dials the
 * front's WebSocket, says hello and waits for a welcome that names the front it expects; pings
 * when it sent nothing for {@code heartbeat}, aborts the connection when it heard nothing for
 * three intervals, and dials again after a few short delays, then capped exponential backoff
 * with jitter.
 *
 * <p>Guarantees: at most one connection at a time (the next is dialed only once the last one
 * ended); messages go out one at a time, each within the connect timeout or the connection is
 * aborted; a message for a connection that ended is dropped, never sent on its successor. What
 * the front announces goes to the {@link Announcements} given; nothing of the channel lives here.
 */
final class ControlDialer implements Agent {
    private static final Logger log = LoggerFactory.getLogger(ControlDialer.class);

    /** What the link does with the front's announcements (called on the WebSocket's thread). */
    @FunctionalInterface
    interface Announcements {
        void available(SpoolFileName name, long size);
    }

    private final NodeId self;
    private final NodeId front;
    private final LinkHttp http;
    private final DialoutSettings settings;
    private final Clock clock;
    private final Executor later;
    private final Announcements announcements;
    private final Object sendLock = new Object();
    private final AtomicLong connections = new AtomicLong();
    private volatile Connection control;
    private volatile AgentRunner runner;
    // the agent's own state, touched by its thread alone
    private Connection attempt;
    private int failures;
    private long nextDialMs;

    /**
     * @param later where messages that must not wait on the WebSocket's own thread are sent from
     */
    ControlDialer(NodeId self, NodeId front, LinkHttp http, Clock clock, Executor later, Announcements announcements) {
        this.self = self;
        this.front = front;
        this.http = http;
        this.settings = http.settings();
        this.clock = clock;
        this.later = later;
        this.announcements = announcements;
    }

    /** Starts dialing on a thread of its own; scheduling runs on real time, whatever the link's clock. */
    AgentRunner start() {
        runner = AgentRunner.start(this, Clock.systemUTC());
        return runner;
    }

    @Override
    public String roleName() {
        return "hoft-dialout-control-" + self;
    }

    @Override
    public long doWork(long nowMs) throws InterruptedException {
        Connection current = attempt;
        if (current != null && !current.closed.isDone()) {
            return heartbeat(current, nowMs);
        }
        if (current != null) {
            ended(current, nowMs);
        }
        if (nowMs < nextDialMs) {
            return nextDialMs;
        }
        dial();
        return nowMs; // at once: the heartbeat of the new connection, or the end of a failed attempt
    }

    @Override
    public void onClose() {
        abort();
    }

    /** True while the control connection is up (welcomed by the front). */
    boolean connected() {
        Connection current = control;
        return current != null && current.welcomed && !current.closed.isDone();
    }

    long connections() {
        return connections.get();
    }

    /** Aborts the connection at once, as a network fault would; the agent dials again. */
    void abort() {
        Connection current = control;
        if (current != null) {
            current.abort();
        }
    }

    /** Sends {@code message} on the connection that is up now, if any, on this thread. */
    void send(ControlMessage message) {
        Connection current = control;
        if (current != null) {
            send(current, message);
        }
    }

    /** Sends {@code message} on the connection that is up now, if any and welcomed, from the executor. */
    void sendLater(ControlMessage message) {
        Connection current = control;
        if (current != null && current.welcomed) {
            sendLater(current, message);
        }
    }

    private void sendLater(Connection target, ControlMessage message) {
        try {
            later.execute(() -> send(target, message));
        } catch (RejectedExecutionException e) {
            // the link is closing
        }
    }

    private void dial() throws InterruptedException {
        Connection next = new Connection();
        attempt = next;
        try {
            connect(next);
        } catch (InterruptedException e) {
            next.abort();
            throw e;
        } catch (Exception e) {
            String reason = e instanceof ExecutionException && e.getCause() != null ? e.getCause().toString() : e.toString();
            if (failures < 3) {
                log.info("cannot reach front {} at {}: {}", front, settings.controlUri(), reason);
            } else {
                log.debug("cannot reach front {} at {}: {}", front, settings.controlUri(), reason);
            }
            next.abort();
        }
    }

    private void connect(Connection attempt) throws Exception {
        WebSocket socket = http.client().newWebSocketBuilder()
                .header("Authorization", "Bearer " + http.token())
                .connectTimeout(LinkHttp.CONNECT_TIMEOUT)
                .buildAsync(settings.controlUri(), attempt)
                .get(LinkHttp.CONNECT_TIMEOUT.toSeconds() * 2, TimeUnit.SECONDS);
        attempt.socket = socket;
        control = attempt;
        send(attempt, ControlMessage.hello(self.value()));
        if (!attempt.welcome.await(LinkHttp.CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new TimeoutException("no welcome from the front");
        }
        connections.incrementAndGet();
        log.info("control connection to {} at {} is up", front, settings.controlUri());
    }

    /** The connection ended: when to dial again (a few short delays, then backoff; a connection that lived starts over). */
    private void ended(Connection ended, long nowMs) {
        attempt = null;
        boolean lived = ended.welcomed && clock.millis() - ended.startedMs > 2 * settings.heartbeat().toMillis();
        failures = lived ? 1 : failures + 1;
        long delayMs = settings.reconnect().delayMillis(failures, ThreadLocalRandom.current());
        if (ended.welcomed) {
            log.info("control connection to {} lost; dialing again in {} ms", front, delayMs);
        }
        nextDialMs = nowMs + delayMs;
    }

    private long heartbeat(Connection current, long nowMs) {
        long heardMs = clock.millis();
        long heartbeatMs = settings.heartbeat().toMillis();
        if (heardMs - current.lastHeardMs > 3 * heartbeatMs) {
            log.warn("nothing heard from {} for {} ms; restarting the control connection", front, heardMs - current.lastHeardMs);
            current.abort();
        } else if (heardMs - current.lastSentMs >= heartbeatMs) {
            send(current, ControlMessage.ping(heardMs));
        }
        return nowMs + Math.max(50, Math.min(1000, heartbeatMs / 4));
    }

    private void send(Connection target, ControlMessage message) {
        WebSocket socket = target.socket;
        if (socket == null || target.closed.isDone()) {
            return;
        }
        synchronized (sendLock) {
            try {
                socket.sendText(message.encode(), true).get(LinkHttp.CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                target.lastSentMs = clock.millis();
            } catch (Exception e) {
                log.debug("sending {} failed: {}", message.type(), e.toString());
                target.abort();
            }
        }
    }

    private void received(Connection from, String text) {
        ControlMessage message;
        try {
            message = ControlMessage.decode(text);
        } catch (IllegalArgumentException e) {
            log.warn("closing the control connection to {}: {}", front, e.getMessage());
            from.abort();
            return;
        }
        switch (message.type()) {
            case ControlMessage.WELCOME -> {
                if (!message.node().equals(front.value()) || message.version() != ControlMessage.VERSION) {
                    log.warn("the front at {} says it is {} (version {}), not {}", settings.controlUri(), message.node(),
                            message.version(), front);
                    from.abort();
                    return;
                }
                from.welcomed = true;
                from.welcome.countDown();
            }
            case ControlMessage.AVAILABLE -> {
                SpoolFileName name = message.spoolName().orElseThrow();
                if (!name.sender().equals(front) || !name.recipient().equals(self)) {
                    log.warn("ignoring an announcement of {}: not a file from {} to {}", name, front, self);
                } else {
                    announcements.available(name, message.size());
                }
            }
            case ControlMessage.PING -> sendLater(from, ControlMessage.pong(message.at() == null ? 0 : message.at()));
            default -> {
                // pong: heard is enough; catalog and unknown types: nothing for the link to do
            }
        }
    }

    /** One attempt at a control connection, and its WebSocket listener. */
    private final class Connection implements WebSocket.Listener {
        final CompletableFuture<Void> closed = new CompletableFuture<>();
        final CountDownLatch welcome = new CountDownLatch(1);
        final StringBuilder partial = new StringBuilder();
        final long startedMs = clock.millis();
        volatile WebSocket socket;
        volatile boolean welcomed;
        volatile long lastHeardMs = clock.millis();
        volatile long lastSentMs = clock.millis();

        Connection() {
            closed.thenRun(() -> {
                AgentRunner current = runner;
                if (current != null) {
                    current.wake(); // the agent notices the end at once, not at the next heartbeat
                }
            });
        }

        void abort() {
            WebSocket current = socket;
            if (current != null) {
                current.abort();
            }
            closed.complete(null);
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            lastHeardMs = clock.millis();
            partial.append(data);
            if (partial.length() > ControlMessage.MAX_CHARS) {
                log.warn("control message from {} too long; closing", front);
                abort();
                return null;
            }
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                received(this, text);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            log.warn("binary control message from {}; closing", front);
            abort();
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
            lastHeardMs = clock.millis();
            webSocket.request(1);
            return null; // the JDK answers with a pong
        }

        @Override
        public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
            lastHeardMs = clock.millis();
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(null);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            log.debug("control connection to {} failed: {}", front, error.toString());
            closed.complete(null);
        }
    }
}
