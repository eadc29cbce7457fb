package io.hoft.front.internal;

import io.hoft.front.CallbackScheduler;
import io.hoft.front.CallbackUrlGuard;
import io.hoft.front.FrontConfig;
import io.hoft.front.callback.CallbackDispatcher;
import io.hoft.front.share.FrontShare;
import io.hoft.link.dialout.DialoutLinks;
import io.hoft.link.dialout.DialoutServerLink;
import io.hoft.transport.agent.Threads;
import io.hoft.transport.channel.ReceivedMessage;
import io.hoft.transport.config.NodeRuntime;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.message.MessageKind;
import io.hoft.transport.store.StoreTx;
import io.undertow.Handlers;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.GracefulShutdownHandler;
import io.undertow.server.handlers.HttpContinueReadHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.OptionMap;
import org.xnio.Options;

/**
 * Everything of a front but the node runtime: the HTTP server ({@link FrontServer}), the
 * handlers, the call state machine, the sweeper. {@link io.hoft.front.FrontNode} is its public face.
 *
 * <p>Undertow settings that matter for faithful proxying (each checked by a test):
 * {@code DECODE_URL=false} and {@code ALLOW_UNESCAPED_CHARACTERS_IN_URL=false}, so
 * {@code getRequestURI()} and {@code getQueryString()} are the bytes of the request line
 * (Undertow decodes them when unescaped characters are allowed, and refuses them with 400
 * otherwise, as RFC 9112 wants); {@code ALWAYS_SET_DATE=false} and
 * {@code ALWAYS_SET_KEEP_ALIVE=false}, so a reply carries no field the callee did not send but
 * those the front owns; {@code MAX_ENTITY_SIZE} (Undertow's default is 2 MiB) set to 1 MiB
 * over the body limit, so the front's own count answers 413 first (Undertow's check only
 * drops the connection). Every request first passes {@link RequestFraming} (version, body
 * framing). Requests under {@code /_hoft/admin/} go to the {@link AdminHandler} (loopback and a
 * token only), the dial-out link's endpoints ({@code /_hoft/link}) to the node's
 * {@link DialoutServerLink} when peers dial in, other {@code /_hoft/} requests, in origin or
 * absolute form, to the {@link OpsHandler}; nothing under {@code /_hoft/} is proxied. Header
 * limits are checked by the front (431); Undertow's own limits sit at twice the front's, as a
 * backstop that answers 400.
 */
public final class FrontEngine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FrontEngine.class);
    private static final String OWN_API = "/_hoft/";

    private final FrontConfig config;
    private final NodeRuntime runtime;
    private final Waiters waiters = new Waiters();
    private final FrontMetrics metrics = new FrontMetrics();
    private final CallStateMachine calls;
    private final ProxyHandler proxy;
    private final OpsHandler ops;
    private final AdminHandler admin;
    private final Authenticator auth;
    private final ReplyWriter writer;
    private final FrontShare share;
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(Threads.named("hoft-front-sweeper"));
    private final RequestHeads heads;
    private GracefulShutdownHandler graceful;
    private FrontServer server;

    public FrontEngine(FrontConfig config, NodeRuntime runtime, CallbackScheduler scheduler, CallbackUrlGuard guard, Clock clock,
            Supplier<Map<String, Long>> extraMetrics) {
        this.config = config;
        this.runtime = runtime;
        FrontConfig.Front front = config.front();
        FrontConfig.Limits limits = front.limits();
        this.calls = new CallStateMachine(runtime.store(), runtime.transport(), scheduler, waiters, metrics, clock, front.retention());
        this.auth = Authenticator.create(front.auth());
        this.heads = new RequestHeads((int) Math.min(1 << 30, limits.maxHeaderBytes().bytes() * 2 + 80 * 1024));
        this.writer = new ReplyWriter(runtime.transport().bodies(), metrics);
        BodyReceiver receiver = new BodyReceiver(runtime.transport().bodies(), limits.maxBody().bytes(),
                limits.readTimeout().toMillis(), limits.minBodyRate().bytes(), limits.retryAfter());
        this.proxy = new ProxyHandler(front, auth, guard, receiver, calls, waiters, writer, metrics, runtime.store(), clock);
        this.share = openShare(front, config.node().state(), runtime, clock);
        Supplier<Map<String, Long>> allExtra = share == null ? extraMetrics : () -> {
            Map<String, Long> merged = new java.util.LinkedHashMap<>(extraMetrics.get());
            merged.putAll(share.metrics());
            return merged;
        };
        this.ops = new OpsHandler(config.node().id(), runtime.store(), runtime.transport(), calls, auth, writer, metrics, waiters,
                allExtra, share, scheduler instanceof CallbackDispatcher, clock);
        this.admin = new AdminHandler(runtime.store(), runtime.transport().bodies(), calls, scheduler, limits, writer, clock,
                config.node().state());
        DialoutLinks.serverOf(runtime).ifPresent(link -> ops.dialoutState(peer -> DialoutHealth.of(link, peer)));
        if (share != null) {
            DialoutLinks.serverOf(runtime).ifPresent(share::takeBulkUploads);
        }
        calls.load();
    }

    private static FrontShare openShare(FrontConfig.Front front, java.nio.file.Path state, NodeRuntime runtime, Clock clock) {
        if (!front.share().enabled()) {
            return null;
        }
        try {
            return new FrontShare(front.share(), state, runtime.store(), runtime.transport(), clock);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("the file share's cache cannot be opened: " + e.getMessage(), e);
        }
    }

    /** The file share (SPEC section 20): 404 when front.share.enabled is false; caller auth as front.auth unless anonymous. */
    private void share(HttpServerExchange exchange) {
        writer.guarded(exchange, false, () -> {
            if (share == null) {
                throw HttpError.of(404, "not-found", "the file share is not enabled on this front");
            }
            if (auth.enabled() && !share.anonymous()) {
                auth.authenticate(exchange.getRequestHeaders());
            }
            share.handle(exchange);
        });
    }

    /**
     * Sends a request to its handler by the path of its target, in origin or absolute form: the
     * front's own API ({@code /_hoft/...}) is served here and never proxied; a target that names
     * it only once decoded ({@code /%5Fhoft/...}) is refused.
     */
    private void route(HttpServerExchange exchange) {
        String path = exchange.getRequestPath();
        String decoded;
        try {
            decoded = Router.normalize(Router.pathOf(exchange.getRequestURI(), exchange.isHostIncludedInRequestURI()));
        } catch (HttpError e) {
            writer.guarded(exchange, true, () -> {
                throw e;
            });
            return;
        }
        if (!ownApi(decoded)) {
            proxy.handle(exchange); // reads the body without blocking
            return;
        }
        exchange.startBlocking();
        if (!ownApi(path)) {
            writer.guarded(exchange, true, () -> {
                throw HttpError.early(400, "bad-request", "the front's own API (" + OWN_API + ") is not addressed in"
                        + " percent-encoded form");
            });
        } else if (path.startsWith(AdminHandler.PREFIX)) {
            admin.handle(exchange);
        } else if (FrontShare.serves(path)) {
            share(exchange);
        } else {
            ops.handle(exchange);
        }
    }

    private static boolean ownApi(String path) {
        return path.startsWith(OWN_API);
    }

    /** Starts the sweeper and the HTTP server. */
    public void start() {
        FrontConfig.Front front = config.front();
        FrontConfig.Limits limits = front.limits();
        HttpHandler dialout = DialoutLinks.serverOf(runtime).map(DialoutServerLink::handler).orElse(null);
        HttpHandler root = new HttpHandler() {
            @Override
            public void handleRequest(HttpServerExchange exchange) throws Exception {
                if (exchange.isInIoThread()) {
                    heads.attach(exchange);
                    try {
                        RequestFraming.check(exchange);
                    } catch (HttpError e) {
                        exchange.dispatch(() -> writer.guarded(exchange, false, () -> {
                            throw e;
                        }));
                        return;
                    }
                    if (dialout != null && DialoutServerLink.handles(exchange)) {
                        dialout.handleRequest(exchange); // before any byte of the body is read
                        return;
                    }
                    exchange.dispatch(this);
                    return;
                }
                route(exchange);
            }
        };
        graceful = Handlers.gracefulShutdown(new HttpContinueReadHandler(root));
        int maxHeaderSize = (int) Math.min(Integer.MAX_VALUE - (1 << 16), limits.maxHeaderBytes().bytes() * 2 + 16 * 1024);
        OptionMap serverOptions = OptionMap.builder()
                .set(UndertowOptions.DECODE_URL, false)
                .set(UndertowOptions.ALLOW_UNESCAPED_CHARACTERS_IN_URL, false)
                .set(UndertowOptions.ALWAYS_SET_DATE, false)
                .set(UndertowOptions.ALWAYS_SET_KEEP_ALIVE, false)
                .set(UndertowOptions.ENABLE_HTTP2, false)
                .set(UndertowOptions.MAX_ENTITY_SIZE, saturatedAdd(limits.maxBody().bytes(), 1 << 20))
                .set(UndertowOptions.MAX_HEADERS, limits.maxHeaders() * 2)
                .set(UndertowOptions.MAX_HEADER_SIZE, maxHeaderSize)
                .set(UndertowOptions.MAX_PARAMETERS, 10_000)
                .set(UndertowOptions.REQUEST_PARSE_TIMEOUT, (int) limits.headerTimeout().toMillis())
                .set(UndertowOptions.NO_REQUEST_TIMEOUT, (int) limits.idleTimeout().toMillis())
                .getMap();
        OptionMap socketOptions = OptionMap.builder()
                .set(Options.READ_TIMEOUT, (int) limits.readTimeout().toMillis())
                .set(Options.WRITE_TIMEOUT, (int) limits.writeTimeout().toMillis())
                .getMap();
        try {
            server = FrontServer.start(front.listenHost(), front.listenPort(), front.tls() == null ? null
                    : TlsFiles.serverContext(front.tls()), front.ioThreads(), front.workerThreads(), serverOptions, socketOptions,
                    heads, graceful);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("the front cannot listen on " + front.listenHost() + ":" + front.listenPort()
                    + ": " + e.getMessage(), e);
        }
        sweeper.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.SECONDS);
        if (share != null) {
            share.start();
        }
        try {
            admin.publish(address());
        } catch (IOException e) {
            log.warn("cannot write {}: the admin endpoints (hoft spool replay) are unreachable: {}", AdminHandler.FILE_NAME,
                    e.toString());
        }
        log.info("front {} listening on {}", config.node().id(), address());
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return sum < a ? Long.MAX_VALUE : sum;
    }

    private void sweep() {
        try {
            calls.sweep();
        } catch (RuntimeException e) {
            log.warn("sweeping requests failed: {}", e.toString());
        }
    }

    /** The address the server listens on (with the real port when the config said 0). */
    public InetSocketAddress address() {
        return server.address();
    }

    public void onMessage(StoreTx tx, NodeId peer, ReceivedMessage received) throws IOException {
        if (FrontShare.owns(received.message())) {
            if (share != null) {
                share.onMessage(tx, peer, received);
            }
            return;
        }
        MessageKind kind = received.message().kind();
        if (kind == MessageKind.RESPONSE) {
            calls.response(tx, received);
        } else if (kind == MessageKind.STATUS) {
            calls.status(tx, (Envelope.Status) received.message().envelope());
        } else {
            log.warn("ignoring a {} message from {}: a front only takes responses and status events", kind, peer);
        }
    }

    public void onAcked(StoreTx tx, List<MessageId> ids) {
        calls.acked(tx, ids);
    }

    public void onSendExpired(StoreTx tx, List<MessageId> ids) {
        calls.sendExpired(tx, ids);
    }

    /**
     * Stops taking calls (new ones get 503), answers sync callers still waiting with 202 (their
     * calls go on), waits up to {@code drain} for calls being taken in to be stored and
     * answered, then stops the server and the sweeper.
     */
    public void stop(Duration drain) {
        admin.withdraw();
        if (graceful != null) {
            graceful.shutdown();
            waiters.releaseAll();
            try {
                if (!graceful.awaitShutdown(drain.toMillis())) {
                    log.warn("calls still in progress after {}; stopping anyway", drain);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (server != null) {
            server.stop();
        }
        sweeper.shutdownNow();
        if (share != null) {
            share.close();
        }
        waiters.close();
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(30));
    }
}
