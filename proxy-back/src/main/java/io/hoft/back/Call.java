package io.hoft.back;

import io.hoft.transport.channel.TransportMetrics;
import io.hoft.transport.message.CallError;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.BodyFiles;
import io.hoft.transport.store.NodeStore;
import io.hoft.transport.store.StoreTx;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request's call, on a worker thread, holding one permit of its callee. In order:
 * connect (retrying, per the retry policy, only while the connection cannot be established:
 * nothing has been sent, so the callee cannot have seen the request); commit the
 * {@code calling} mark (the {@code delivered} status follows if the call is still running
 * after {@code deliveredStatusDelay}); only then send the first byte; stream the response into
 * the store; commit the answer together with the RESPONSE message. A request found expired, or
 * answered meanwhile, when the mark is due is not called.
 */
final class Call implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Call.class);
    /** RFC 9110 section 9.2.2. */
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");

    /** What a call works with: the back's parts, and the owner that placed it. */
    record Parts(NodeStore store, RequestStore requests, Replies replies, BodyFiles bodies, BackConfig.Back config, Clock clock,
            TransportMetrics metrics, Owner owner) {}

    /** The side of the {@link Dispatcher} a call sees: answers go through it, and it hears when a call ends. */
    interface Owner {
        /**
         * Records and sends {@code response} as the answer to {@code id}, completing
         * {@code growing} (or null) if it carries that body; false if {@code id} was answered already.
         */
        boolean answer(MessageId id, RecordedResponse response, Replies.Growing growing);

        default boolean answer(MessageId id, RecordedResponse response) {
            return answer(id, response, null);
        }

        /** Starts sending the RESPONSE while its body arrives; empty if it is not sent so. */
        Optional<Replies.Growing> startGrowing(MessageId id, int status, String reason, List<HeaderField> headers, Path file,
                long length);

        /** Hands the {@code delivered} status of a call to the channel inside {@code tx}. */
        void delivered(StoreTx tx, StoredRequest request, String callee, long callingMs) throws IOException;

        /** Sends the {@code delivered} status after {@code deliveredStatusDelay} unless the answer comes first. */
        void deliveredLater(StoredRequest request, String callee, long callingMs);

        /** The call is done, whatever happened: its permit goes back. */
        void finished(Call call);
    }

    private final Parts parts;
    private final Owner owner;
    private final MessageId id;
    private final Targets.Route route;
    private volatile Exchange exchange;
    private volatile boolean aborted;
    /** Set once the calling mark committed: from then on the outcome must be answered, never left open. */
    private boolean calling;
    /** Set when the call ends before its mark with the request still queued, to be placed again. */
    private volatile boolean leftQueued;

    Call(Parts parts, MessageId id, Targets.Route route) {
        this.parts = parts;
        this.owner = parts.owner();
        this.id = id;
        this.route = route;
    }

    MessageId id() {
        return id;
    }

    Targets.Route route() {
        return route;
    }

    boolean leftQueued() {
        return leftQueued;
    }

    /** The exchange in progress, if any (for the watchdog). */
    Exchange exchange() {
        return exchange;
    }

    /** Breaks the call off at shutdown. */
    void abort() {
        aborted = true;
        Exchange current = exchange;
        if (current != null) {
            current.abort(CallError.UPSTREAM_INTERRUPTED);
        }
    }

    @Override
    public void run() {
        try {
            call();
        } catch (InterruptedException e) {
            if (calling) {
                owner.answer(id, Synthetic.of(CallError.UPSTREAM_INTERRUPTED, "the back shut down during the call",
                        id, route.callee().name()));
            } else {
                leftQueued = true;
                log.info("call {} stopped before it started; it stays queued", id);
            }
        } catch (RuntimeException e) {
            log.error("call {} failed unexpectedly", id, e);
            if (calling) {
                owner.answer(id, Synthetic.of(CallError.UPSTREAM_INTERRUPTED, "the back failed during the call: " + e,
                        id, route.callee().name()));
            } else {
                leftQueued = true;
                Dispatcher.sleepQuietly(1000); // not called: it stays queued and is tried again, not at once
            }
        } finally {
            owner.finished(this);
        }
    }

    private void call() throws InterruptedException {
        Callee callee = route.callee();
        BackConfig.Retry retry = parts.config().retry();
        String via = parts.config().via();
        StoredRequest request = null;
        List<HeaderField> fields = null;
        int connectAttempts = 0;
        int retriesLeft = retry.maxRetries();
        Exchange.Failure lastFailure = null;
        while (true) {
            Exchange current;
            try {
                connectAttempts++;
                parts.metrics().increment("hoft_back_connect_attempts_total", "upstream", callee.name());
                current = Exchange.connect(callee, id.value());
            } catch (Exchange.NotConnected e) {
                log.info("call {}: {}", id, e.getMessage());
                if (retriesLeft-- > 0 && !aborted) {
                    Thread.sleep(retry.delay().toMillis());
                    continue;
                }
                if (!calling) {
                    int attempts = connectAttempts;
                    parts.store().inTransaction(tx -> {
                        parts.requests().countAttempts(tx, id, attempts);
                        return null;
                    });
                }
                owner.answer(id, lastFailure != null ? failure(lastFailure)
                        : Synthetic.of(CallError.UPSTREAM_UNREACHABLE, e.getMessage() + " (after " + connectAttempts
                                + " attempts)", id, callee.name()));
                return;
            }
            if (!calling) {
                try {
                    request = markCalling(connectAttempts);
                } catch (RuntimeException e) {
                    current.release();
                    throw e;
                }
                if (request == null) {
                    current.release();
                    return;
                }
                calling = true;
                String host = ReplayRules.host(callee.config().preserveHost(), route.authority(), callee.authority(),
                        request.headers());
                fields = ReplayRules.request(request.headers(), request.method(), host, request.bodyLength(), via);
            }
            exchange = current;
            RecordedResponse raw = null;
            Exchange.Failure failure = null;
            EarlyResponse early = new EarlyResponse(via);
            try {
                if (aborted) {
                    current.abort(CallError.UPSTREAM_INTERRUPTED);
                }
                raw = current.send(request, route.path(), fields, parts.bodies(), callee.config().maxResponseBody().bytes(),
                        early);
            } catch (Exchange.Failure e) {
                failure = e;
            } finally {
                current.release();
                exchange = null;
            }
            if (failure == null) {
                owner.answer(id, new RecordedResponse(raw.status(), raw.reason(), ReplayRules.response(raw.headers(), via),
                        null, raw.bodyInline(), raw.bodyName(), raw.bodyLength()), early.growing);
                return;
            }
            lastFailure = failure;
            log.info("call {} to {}: {}", id, callee.name(), failure.getMessage());
            boolean retryable = failure.error() == CallError.UPSTREAM_TIMEOUT && retry.retryIdempotentOnTimeout()
                    && IDEMPOTENT.contains(request.method().toUpperCase(Locale.ROOT));
            if (retryable && retriesLeft-- > 0 && !aborted) {
                Thread.sleep(retry.delay().toMillis());
                continue;
            }
            owner.answer(id, failure(failure));
            return;
        }
    }

    /**
     * The RESPONSE of a body of several fragments, sent while it arrives: every fragment but the
     * last leaves as its slice is forced, the last only with the answer's record (so the front
     * never hands its caller a response the back did not record), and a failed exchange gives
     * it up (the front's partial copy expires; the failure's own answer follows).
     */
    private final class EarlyResponse implements Exchange.ResponseSlices {
        private final String via;
        private Replies.Growing growing;

        EarlyResponse(String via) {
            this.via = via;
        }

        @Override
        public long sliceBytes() {
            return parts.replies().fragmentBodyBytes();
        }

        @Override
        public boolean started(Path file, long length, int status, String reason, List<HeaderField> headers) {
            growing = owner.startGrowing(id, status, reason, ReplayRules.response(headers, via), file, length).orElse(null);
            return growing != null;
        }

        @Override
        public void durable(long bytes) {
            parts.replies().grown(growing, bytes);
        }

        @Override
        public void cancelled() {
            parts.replies().cancel(growing);
            growing = null;
        }
    }

    private RecordedResponse failure(Exchange.Failure failure) {
        return Synthetic.of(failure.error(), failure.getMessage(), id, route.callee().name());
    }

    /**
     * Reads the request and commits its calling mark in one transaction (forced: it also makes
     * the request's receipt durable, which the channel committed without a force), and arranges
     * the {@code delivered} status. Returns the request to call, or null if it was answered or
     * purged meanwhile, or has expired (then it is answered now): such a request is not called.
     */
    private StoredRequest markCalling(int connectAttempts) {
        long nowMs = parts.clock().millis();
        boolean now = parts.config().deliveredStatusDelay().isZero();
        // Empty: not queued any more. Present but not marked: queued and expired.
        Optional<Marked> result = parts.store().inTransaction(tx -> {
            Optional<StoredRequest> queued = parts.requests().load(tx, id).filter(r -> r.state().equals("queued"));
            if (queued.isEmpty()) {
                return Optional.empty();
            }
            if (!parts.requests().markCalling(tx, id, connectAttempts, nowMs)) {
                return Optional.of(new Marked(queued.get(), false));
            }
            if (now) {
                owner.delivered(tx, queued.get(), route.callee().name(), nowMs);
            }
            return Optional.of(new Marked(queued.get(), true));
        });
        if (result.isEmpty()) {
            return null;
        }
        StoredRequest request = result.get().request();
        if (!result.get().marked()) {
            if (parts.clock().millis() >= request.expiresMs()) {
                owner.answer(id, Synthetic.of(CallError.EXPIRED, "the request expired before the back could call the"
                        + " callee; it was not called", id, route.callee().name()));
            }
            return null;
        }
        if (!now) {
            owner.deliveredLater(request, route.callee().name(), nowMs);
        }
        return request;
    }

    /** A queued request as the calling mark found it, and whether the mark committed. */
    private record Marked(StoredRequest request, boolean marked) {}
}
