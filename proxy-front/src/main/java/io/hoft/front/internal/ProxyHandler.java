package io.hoft.front.internal;

import io.hoft.front.CallbackUrlGuard;
import io.hoft.front.FrontConfig;
import io.hoft.front.internal.RequestStore.Callbacks;
import io.hoft.front.internal.RequestStore.NewRequest;
import io.hoft.front.internal.RequestStore.RequestCopy;
import io.hoft.front.internal.RequestStore.Routing;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.HttpFields;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.NodeStore;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.SameThreadExecutor;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;

/**
 * A proxied call: checks (header limits, caller, route, instructions, callback URLs, declared
 * size, in-flight count) on a worker thread before a byte of the body is read, then the body,
 * read without holding a thread ({@link BodyReceiver}), then on a worker one transaction that
 * stores the call and sends it; only after the commit the 202 or the sync wait.
 *
 * <p>What goes to the back: the method, the target byte for byte (path and query as the
 * caller wrote them, absolute form included), the route's upstream, and the header fields in
 * the order they arrived ({@link RequestHeads}; repeats kept, values byte for byte) without
 * {@code Hoft-*} fields, hop-by-hop fields (also those {@code Connection} names),
 * {@code Expect} (the front answered it), {@code Authorization} when it carried the front's
 * own credential, and the preferences of {@code Prefer} the front acts on ({@link Preferences}).
 */
final class ProxyHandler {
    private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);

    private final FrontConfig.Front config;
    private final Authenticator auth;
    private final Router router;
    private final CallbackUrlGuard guard;
    private final BodyReceiver receiver;
    private final CallStateMachine calls;
    private final Waiters waiters;
    private final ReplyWriter writer;
    private final FrontMetrics metrics;
    private final NodeStore store;
    private final Clock clock;

    ProxyHandler(FrontConfig.Front config, Authenticator auth, CallbackUrlGuard guard, BodyReceiver receiver, CallStateMachine calls,
            Waiters waiters, ReplyWriter writer, FrontMetrics metrics, NodeStore store, Clock clock) {
        this.config = config;
        this.auth = auth;
        this.router = new Router(config.routes());
        this.guard = guard;
        this.receiver = receiver;
        this.calls = calls;
        this.waiters = waiters;
        this.writer = writer;
        this.metrics = metrics;
        this.store = store;
        this.clock = clock;
    }

    /**
     * Takes a proxied call on a worker thread: the checks, then the body read asynchronously
     * (no thread waits for it), then on a worker the commit and the answer.
     */
    void handle(HttpServerExchange exchange) {
        writer.guarded(exchange, true, () -> {
            Prepared call = prepare(exchange);
            receiver.receive(exchange, call.early(),
                    body -> writer.guarded(exchange, true, () -> {
                        exchange.startBlocking();
                        accept(exchange, call, body);
                    }),
                    error -> writer.guarded(exchange, true, () -> {
                        if (error instanceof IOException) {
                            throw (IOException) error;
                        }
                        throw (RuntimeException) error;
                    }));
        });
    }

    /**
     * A call that passed every check made before its body is read; {@code early} (or null) sends
     * its REQUEST message while a body of several fragments arrives.
     */
    private record Prepared(FrontConfig.Route route, Authenticator.Caller caller, Instructions instructions, String method,
            String target, List<HeaderField> fields, EarlyRequest early) {
    }

    /**
     * The REQUEST message of a call whose declared body spans several fragments, sent while the
     * body arrives: its id and times are fixed when the body starts, each fragment but the last
     * leaves as soon as its slice is forced, and the last only with the call's acceptance (SPEC
     * section 15.11; {@link io.hoft.transport.channel.Transport#sendGrowing}). The back calls the
     * callee only once every fragment verified, so it never sees a call the front did not accept.
     */
    private final class EarlyRequest implements BodyReceiver.Slices {
        private final NodeId peer;
        private final Envelope.Request envelope;
        private final long length;
        private final MessageId id = MessageId.generate(clock);
        private final long createdMs = clock.millis();
        private final long expiresMs;
        private volatile boolean sending;

        EarlyRequest(NodeId peer, Envelope.Request envelope, long length, long ttlMs) {
            this.peer = peer;
            this.envelope = envelope;
            this.length = length;
            this.expiresMs = createdMs + ttlMs;
        }

        Message message(Body body) {
            return new Message(id, Instant.ofEpochMilli(createdMs), Instant.ofEpochMilli(expiresMs), envelope, body);
        }

        /** True if the message went out early and {@code body} is the whole body it announced. */
        boolean matches(BodyReceiver.Received body) {
            return sending && body.file() != null && body.length() == length;
        }

        @Override
        public long sliceBytes() {
            return calls.fragmentBodyBytes();
        }

        @Override
        public boolean started(Path file) {
            sending = calls.startGrowing(peer, message(Body.ofFile(file, length)));
            return sending;
        }

        @Override
        public void durable(long bytes) {
            calls.grown(peer, id, bytes);
        }

        @Override
        public void cancelled() {
            if (sending) {
                sending = false;
                calls.cancelGrowing(peer, id);
            }
        }
    }

    private Prepared prepare(HttpServerExchange exchange) {
        FrontConfig.Limits limits = config.limits();
        if (exchange.getRequestMethod().equalToString("CONNECT")) {
            throw HttpError.early(405, "bad-request", "CONNECT is not proxied");
        }
        HeaderMap headers = exchange.getRequestHeaders();
        checkHeaderLimits(headers, limits);
        Authenticator.Caller caller = auth.authenticate(headers);
        String path = Router.pathOf(exchange.getRequestURI(), exchange.isHostIncludedInRequestURI());
        FrontConfig.Route route = router.route(path)
                .orElseThrow(() -> HttpError.early(404, "no-route", "no route of this front matches the path"));
        if (!caller.mayUse(route.name())) {
            throw HttpError.early(403, "forbidden-route", caller.id() + " may not use route " + route.name());
        }
        Instructions instructions = Instructions.parse(headers, config);
        check(instructions.callback(), Instructions.CALLBACK);
        check(instructions.statusCallback(), Instructions.STATUS_CALLBACK);
        long declared = exchange.getRequestContentLength();
        if (declared > limits.maxBody().bytes()) {
            throw HttpError.early(413, "body-too-large", "the request body of " + declared + " bytes is over the limit of "
                    + limits.maxBody().bytes());
        }
        if (calls.inFlight() >= limits.maxInFlight()) {
            throw new HttpError(429, "too-many-requests", limits.maxInFlight() + " calls are in flight; try again later",
                    limits.retryAfter(), Map.of(), true);
        }
        String query = exchange.getQueryString();
        String target = exchange.getRequestURI() + (query == null || query.isEmpty() ? "" : "?" + query);
        String method = exchange.getRequestMethod().toString();
        List<HeaderField> fields = forwarded(exchange, caller);
        EarlyRequest early = declared > calls.fragmentBodyBytes()
                ? new EarlyRequest(NodeId.of(route.peer()), new Envelope.Request(method, target, route.upstream(), fields),
                        declared, instructions.ttlMs())
                : null;
        return new Prepared(route, caller, instructions, method, target, fields, early);
    }

    /** Stores the call with its received body and answers: 202, or the sync wait. */
    private void accept(HttpServerExchange exchange, Prepared prepared, BodyReceiver.Received body) throws IOException {
        FrontConfig.Limits limits = config.limits();
        Instructions instructions = prepared.instructions();
        FrontConfig.Route route = prepared.route();
        EarlyRequest early = prepared.early();
        boolean grown = early != null && early.matches(body);
        if (early != null && !grown) {
            early.cancelled(); // sent the ordinary way below
        }
        long nowMs = clock.millis();
        Envelope.Request envelope = new Envelope.Request(prepared.method(), prepared.target(), route.upstream(), prepared.fields());
        Message request = grown ? early.message(body.body()) : new Message(MessageId.generate(clock), Instant.ofEpochMilli(nowMs),
                Instant.ofEpochMilli(nowMs + instructions.ttlMs()), envelope, body.body());
        MessageId id = request.id();
        long expiresMs = request.expires().toEpochMilli();
        NewRequest call = new NewRequest(id.value(), Routing.of(route, prepared.method(), prepared.target(), prepared.caller().id()),
                new RequestCopy(prepared.fields(), body.length(), body.inline()), nowMs, expiresMs,
                new Callbacks(instructions.callback(), instructions.format(), instructions.statusCallback()), null);
        // The call keeps its own copy of a large body (for replay and export; see RequestStore).
        Path keptBody;
        try {
            keptBody = body.file() == null ? null : calls.keepBody(body.file());
        } catch (IOException e) {
            if (grown) {
                early.cancelled();
            }
            body.discard();
            throw receiver.storageFailure(e);
        }
        Waiters.Waiter waiter = instructions.async() ? null
                : waiters.register(id.value(), outcome -> exchange.dispatch(() -> finish(exchange, id.value(), outcome)));
        try {
            calls.accept(call, NodeId.of(route.peer()), request, keptBody, limits.maxInFlight(), limits.retryAfter(), grown);
        } catch (RuntimeException e) {
            if (waiter != null) {
                waiter.cancel();
            }
            if (grown) {
                early.cancelled();
            }
            body.discard();
            if (keptBody != null) {
                Files.deleteIfExists(keptBody);
            }
            throw e;
        }
        metrics.counters.increment("hoft_front_accepted_total", "mode", instructions.async() ? "async" : "sync");
        metrics.minutes.accepted(nowMs);
        if (waiter == null) {
            writer.accepted(exchange, id.value(), RequestStore.State.QUEUED.wire);
        } else {
            long waitMs = instructions.waitMs();
            exchange.dispatch(SameThreadExecutor.INSTANCE, () -> waiter.arm(waitMs));
        }
    }

    /** Answers a sync caller once its wait ended; runs on a worker thread. */
    private void finish(HttpServerExchange exchange, String id, Waiters.Outcome outcome) {
        try {
            if (outcome instanceof Waiters.Responded) {
                metrics.counters.increment("hoft_front_sync_replies_total", "outcome", "response");
                writer.stored(exchange, id, ((Waiters.Responded) outcome).response());
            } else if (outcome instanceof Waiters.Expired) {
                metrics.counters.increment("hoft_front_sync_replies_total", "outcome", "expired");
                writer.expired(exchange, id);
            } else {
                metrics.counters.increment("hoft_front_sync_replies_total", "outcome", "timeout");
                String status = store.inTransaction(tx -> calls.requests().find(tx, id))
                        .map(row -> row.state().wire).orElse(RequestStore.State.QUEUED.wire);
                writer.accepted(exchange, id, status);
            }
        } catch (IOException | RuntimeException e) {
            log.debug("answering sync call {} failed: {}", id, e.toString());
            IoUtils.safeClose(exchange.getConnection());
        }
    }

    private void check(URI url, String header) {
        if (url == null) {
            return;
        }
        try {
            guard.check(url);
        } catch (CallbackUrlGuard.ForbiddenCallbackUrlException e) {
            throw HttpError.early(400, "callback-forbidden", header + " " + url + " is not allowed: " + e.getMessage());
        }
    }

    private static void checkHeaderLimits(HeaderMap headers, FrontConfig.Limits limits) {
        long count = 0;
        long bytes = 0;
        for (HeaderValues values : headers) {
            int name = values.getHeaderName().length();
            for (String value : values) {
                count++;
                bytes += name + value.length() + 4;
            }
        }
        if (count > limits.maxHeaders() || bytes > limits.maxHeaderBytes().bytes()) {
            throw HttpError.early(431, "headers-too-large", "the request has " + count + " header fields of " + bytes
                    + " bytes; the limits are " + limits.maxHeaders() + " fields and " + limits.maxHeaderBytes().bytes() + " bytes");
        }
    }

    private static List<HeaderField> forwarded(HttpServerExchange exchange, Authenticator.Caller caller) {
        List<HeaderField> fields = new ArrayList<>();
        for (HeaderField field : received(exchange)) {
            String name = field.name();
            if (name.equalsIgnoreCase("Expect")
                    || (caller.credentialHeader() != null && name.equalsIgnoreCase(caller.credentialHeader()))) {
                continue;
            }
            String kept = name.equalsIgnoreCase("Prefer") ? Preferences.forwarded(field.value()) : field.value();
            if (kept != null) {
                fields.add(new HeaderField(name, kept));
            }
        }
        return HttpFields.withoutHopByHop(HttpFields.withoutPrefix(fields, "Hoft-"));
    }

    /**
     * The request's header fields in the order they arrived, each name as the caller wrote it,
     * the values as Undertow parsed them; in the order of Undertow's header map when the raw
     * head is not known ({@link RequestHeads}).
     */
    private static List<HeaderField> received(HttpServerExchange exchange) {
        HeaderMap headers = exchange.getRequestHeaders();
        RequestHeads.Head head = exchange.getAttachment(RequestHeads.HEAD);
        List<HeaderField> fields = new ArrayList<>();
        if (head == null) {
            for (HeaderValues values : headers) {
                for (String value : values) {
                    fields.add(new HeaderField(values.getHeaderName().toString(), value));
                }
            }
            return fields;
        }
        Map<String, Integer> seen = new HashMap<>();
        for (String name : head.names()) {
            int index = seen.merge(name.toLowerCase(Locale.ROOT), 1, Integer::sum) - 1;
            fields.add(new HeaderField(name, headers.get(name).get(index)));
        }
        return fields;
    }
}
