package io.hoft.back;

import io.hoft.back.share.BackShare;
import io.hoft.link.dialout.DialoutLinks;
import io.hoft.share.ShareProtocol;
import io.hoft.transport.channel.ChannelListener;
import io.hoft.transport.channel.PeerHealth;
import io.hoft.transport.channel.ReceivedMessage;
import io.hoft.transport.channel.TransportMetrics;
import io.hoft.transport.config.NodeRuntime;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.CallError;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.message.MessageKind;
import io.hoft.transport.store.StoreTx;
import java.io.Closeable;
import java.io.IOException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The back proxy: receives REQUEST messages over the channel and replays each one to its
 * callee, answering every request id with exactly one RESPONSE message (a callee's response or
 * a {@link CallError}), plus a {@code delivered} STATUS when a call is still running
 * {@code deliveredStatusDelay} after it started (a faster call's response says it).
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>At most one call per request id</b>, across crashes and restarts: a request is
 *       recorded durably in the transaction that delivers it; it is marked {@code calling} in a
 *       committed transaction after the connection is established and before the first byte of
 *       the request is sent; a request found {@code calling} at start has an unknown outcome and
 *       is answered {@code 502} with {@code Hoft-Error: upstream-interrupted}, never called again.
 *   <li><b>The same answer for a repeated id</b>: the answer is recorded in the transaction that
 *       hands the RESPONSE to the channel, and kept until the request's expiry plus
 *       {@code retention}; a request id delivered again (by another peer, or after the channel
 *       forgot it) gets the recorded answer again, with no call.
 *   <li><b>No request is lost</b>: a request is answered once it is called, expired
 *       ({@code 504 expired}, not called) or forbidden ({@code 403 upstream-forbidden}, not
 *       called); answers the channel cannot take yet are recorded and sent later.
 *   <li>Bodies of any size stream through files; heap use does not grow with body size.
 * </ul>
 *
 * <p>{@link #close} drains: no new calls start, calls in flight get the drain timeout to finish,
 * the rest are broken off (answered {@code upstream-interrupted} if they had started).
 */
public final class BackNode implements ChannelListener, Closeable {
    private static final Logger log = LoggerFactory.getLogger(BackNode.class);

    private final BackConfig config;
    private NodeRuntime runtime;
    private Clock clock;
    private volatile RequestStore requests;
    private volatile Dispatcher dispatcher;
    private volatile BackShare share;

    private BackNode(BackConfig config) {
        this.config = config;
    }

    /** Opens the node's state, starts its channel, answers interrupted calls, and starts calling. */
    public static BackNode start(BackConfig config) throws IOException {
        return start(config, Clock.systemUTC());
    }

    public static BackNode start(BackConfig config, Clock clock) throws IOException {
        BackNode node = new BackNode(config);
        node.open(clock);
        return node;
    }

    private void open(Clock clock) throws IOException {
        this.clock = clock;
        Map<String, Callee> callees = new LinkedHashMap<>();
        runtime = NodeRuntime.open(config.node(), DialoutLinks.FACTORY, this, clock);
        try {
            runtime.store().migrate(BackSchema.MODULE, BackSchema.STEPS);
            config.back().upstreams().forEach((name, upstream) -> callees.put(name, new Callee(name, upstream)));
            RequestStore store = new RequestStore(runtime.transport().bodies(), config.back().retention().toMillis());
            Replies replies = new Replies(runtime.transport(), runtime.transport().bodies(), clock);
            requests = store;
            dispatcher = new Dispatcher(runtime.store(), store, replies, new Targets(callees), config.back(),
                    runtime.transport().bodies(), clock, runtime.transport().metrics());
            if (config.back().share() != null) {
                share = BackShare.open(config.back().share(), runtime.store(), runtime.transport(), clock);
            }
            runtime.start();
            if (share != null) {
                share.start(); // after the channel's recovery, which removes body files nobody registered
            }
            int interrupted = dispatcher.recoverInterrupted();
            dispatcher.start();
            log.info("back {} calls upstreams {}{}", config.node().id(), callees.keySet(),
                    interrupted > 0 ? " (" + interrupted + " interrupted calls answered)" : "");
        } catch (IOException | RuntimeException e) {
            callees.values().forEach(Callee::close);
            if (share != null) {
                share.close();
            }
            runtime.close();
            throw e;
        }
    }

    /** Records a delivered request (in the delivery transaction); the dispatcher takes it from there. */
    @Override
    public void onMessage(StoreTx tx, NodeId peer, ReceivedMessage received) throws Exception {
        Message message = received.message();
        if (ShareProtocol.isShareRequest(message)) {
            BackShare current = share;
            if (current != null) {
                current.onRequest(tx, peer, message);
            } else {
                BackShare.refuse(tx, runtime.transport(), peer, message, clock);
            }
            return;
        }
        if (message.kind() != MessageKind.REQUEST) {
            log.warn("ignoring a {} message {} from {}: the back takes only requests", message.kind(), message.id(), peer);
            return;
        }
        Envelope.Request request = (Envelope.Request) message.envelope();
        MessageId requestId = request.requestIdOr(message.id());
        RequestStore.Recorded recorded = requests.record(tx, peer, message,
                () -> received.claimBody(tx, RequestStore.requestBodyOwner(requestId)), runtime.transport().metrics(),
                clock.millis());
        if (recorded == RequestStore.Recorded.DUPLICATE) {
            log.info("request {} (message {}, attempt {}) from {} was seen before: no new call; the recorded answer is sent"
                    + " again", requestId, message.id(), request.attempt(), peer);
        } else if (recorded == RequestStore.Recorded.ATTEMPT) {
            log.info("request {} attempt {} (message {}) from {}: the callee was never reached, so it is called now",
                    requestId, request.attempt(), message.id(), peer);
        }
        Dispatcher current = dispatcher;
        tx.onCommit(current::wake); // not durable yet: a call's forced calling mark makes it so first
    }

    @Override
    public void onAcked(StoreTx tx, NodeId peer, List<MessageId> ids) {
        BackShare current = share;
        if (current != null) {
            tx.afterCommit(() -> current.onAcked(ids));
        }
    }

    /** The node database (tests install a commit gate on it). */
    io.hoft.transport.store.NodeStore store() {
        return runtime.store();
    }

    public NodeId nodeId() {
        return config.node().nodeId();
    }

    /** Link state and backlog per peer. */
    public List<PeerHealth> health() {
        return runtime.transport().health();
    }

    /** The channel's counters and the back's ({@code hoft_back_*}). */
    public TransportMetrics metrics() {
        return runtime.transport().metrics();
    }

    /** Drains calls in flight (up to {@code drainTimeout}), then stops the channel and closes the database. */
    @Override
    public void close() throws IOException {
        try {
            if (share != null) {
                share.close();
            }
            if (dispatcher != null) {
                dispatcher.close();
            }
        } finally {
            runtime.close();
        }
    }
}
