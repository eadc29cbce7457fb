package io.hoft.front;

import io.hoft.front.callback.CallbackDispatcher;
import io.hoft.front.callback.CallbackSettings;
import io.hoft.front.callback.StandardWebhooks;
import io.hoft.front.internal.FrontEngine;
import io.hoft.link.dialout.DialoutLinks;
import io.hoft.transport.channel.Backoff;
import io.hoft.transport.channel.ChannelListener;
import io.hoft.transport.channel.ReceivedMessage;
import io.hoft.transport.config.ConfigException;
import io.hoft.transport.config.NodeRuntime;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.StoreTx;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running front: takes HTTP calls (Undertow), stores each durably and sends it to its peer
 * over the node's channel, and answers the caller synchronously, with 202 and a callback, or
 * by poll (the contract's "Front HTTP API"). It is the channel's listener: responses, status
 * events and acknowledgements from the back move calls through their states.
 *
 * <p>Use: {@link #open(FrontConfig, Clock)} (keys, database, the front's table and the signed
 * callback delivery of {@code front.callbacks}; nothing listens yet), then {@link #start}, and
 * {@link #close} to drain and stop. Tests may give their own callback seams instead. The node owns the seams it is given:
 * {@link #close} closes the scheduler if it is {@link AutoCloseable}, after the server stopped
 * and before the database closes. A scheduler that is a {@link MetricsSource} shows its
 * counters in {@code /_hoft/metrics}.
 */
public final class FrontNode implements ChannelListener, Closeable {
    private static final Logger log = LoggerFactory.getLogger(FrontNode.class);

    private final FrontConfig config;
    private final CallbackScheduler scheduler;
    private final NodeRuntime runtime;
    private final FrontEngine engine;
    private volatile boolean closed;

    private FrontNode(FrontConfig config, Function<NodeRuntime, CallbackScheduler> schedulerFactory,
            Function<CallbackScheduler, CallbackUrlGuard> guardOf, Clock clock) throws IOException {
        this.config = config;
        this.runtime = NodeRuntime.open(config.node(), DialoutLinks.FACTORY, this, clock);
        try {
            this.scheduler = Objects.requireNonNull(schedulerFactory.apply(runtime), "scheduler");
            Map<String, Long> none = Map.of();
            MetricsSource metrics = scheduler instanceof MetricsSource ? (MetricsSource) scheduler
                    : scheduler instanceof CallbackDispatcher ? ((CallbackDispatcher) scheduler)::metricsSnapshot
                    : () -> none;
            this.engine = new FrontEngine(config, runtime, scheduler, guardOf.apply(scheduler), clock, metrics::metrics);
        } catch (RuntimeException e) {
            runtime.close();
            throw e;
        }
    }

    /**
     * Opens the node as {@code hoft front} runs it: keys, database, the front's table, and
     * callbacks signed with the secret of {@code front.callbacks.secretFile}, held to its URL
     * rules. Throws {@code ConfigException} when the config cannot work (a key file, the
     * webhook secret, the JWK set).
     */
    public static FrontNode open(FrontConfig config, Clock clock) throws IOException {
        CallbacksConfig callbacks = config.front().callbacks();
        if (callbacks.secretFile() == null) {
            throw new ConfigException("front.callbacks.secretFile is required: callbacks are signed with it"
                    + " (hoft init writes one)");
        }
        StandardWebhooks webhooks;
        try {
            webhooks = StandardWebhooks.readSecretFile(callbacks.secretFile());
        } catch (IOException e) {
            throw new ConfigException("front.callbacks.secretFile: " + e.getMessage(), e);
        }
        CallbackSettings settings = CallbackSettings.defaults(webhooks, callbacks.allowPrivateNetworks(), callbacks.allowHosts())
                .withAttemptTimeout(callbacks.timeout())
                .withMaxConcurrentDeliveries(callbacks.maxConcurrent())
                .withBackoff(new Backoff(callbacks.retryInitial(), 3, callbacks.retryMax(), 0.2));
        return new FrontNode(config,
                runtime -> new CallbackDispatcher(runtime.store(), runtime.transport().bodies(), settings, clock),
                scheduler -> ((CallbackDispatcher) scheduler).urlGuard(), clock);
    }

    /**
     * Opens the node with the given callback seams (tests): loads keys, opens the database and
     * creates the front's table. Throws {@code ConfigException} when the config cannot work.
     */
    public static FrontNode open(FrontConfig config, CallbackScheduler scheduler, CallbackUrlGuard guard, Clock clock)
            throws IOException {
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(guard, "guard");
        return new FrontNode(Objects.requireNonNull(config, "config"), runtime -> scheduler, given -> guard,
                Objects.requireNonNull(clock, "clock"));
    }

    public FrontConfig config() {
        return config;
    }

    /** The node's runtime: its database ({@code store()}), body files and transport. */
    public NodeRuntime runtime() {
        return runtime;
    }

    /** Starts the channel (recovering first), then callback delivery, the sweeper and the HTTP server. */
    public void start() throws IOException {
        runtime.start();
        if (scheduler instanceof CallbackDispatcher) {
            ((CallbackDispatcher) scheduler).start();
        }
        engine.start();
    }

    /** The address the HTTP server listens on, with the actual port. */
    public InetSocketAddress address() {
        return engine.address();
    }

    @Override
    public void onMessage(StoreTx tx, NodeId peer, ReceivedMessage message) throws IOException {
        engine.onMessage(tx, peer, message);
    }

    @Override
    public void onAcked(StoreTx tx, NodeId peer, List<MessageId> ids) {
        engine.onAcked(tx, ids);
    }

    @Override
    public void onSendExpired(StoreTx tx, NodeId peer, List<MessageId> ids) {
        engine.onSendExpired(tx, ids);
    }

    /**
     * Drains and stops: new calls get 503, sync callers still waiting get 202 (their calls go
     * on), calls being taken in get up to {@code drain} to be stored and answered; then the
     * scheduler (if closeable) and the node runtime close.
     */
    public void close(Duration drain) throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            engine.stop(drain);
            if (scheduler instanceof AutoCloseable) {
                try {
                    ((AutoCloseable) scheduler).close();
                } catch (Exception e) {
                    log.warn("closing the callback scheduler failed: {}", e.toString());
                }
            }
        } finally {
            runtime.close();
        }
    }

    @Override
    public void close() throws IOException {
        close(Duration.ofSeconds(30));
    }
}
