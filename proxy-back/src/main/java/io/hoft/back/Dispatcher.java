package io.hoft.back;

import io.hoft.transport.agent.Agent;
import io.hoft.transport.agent.AgentRunner;
import io.hoft.transport.agent.Threads;
import io.hoft.transport.channel.ChannelFullException;
import io.hoft.transport.channel.TransportMetrics;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.CallError;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.BodyFiles;
import io.hoft.transport.store.NodeStore;
import io.hoft.transport.store.StoreTx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes queued requests from the database to their callees. One agent ({@code hoft-back-dispatch},
 * on an {@link AgentRunner}) places work: the oldest queued requests of each upstream that has a
 * free permit go to worker threads ({@code hoft-back-call-N}) as {@link Call}s; requests that are
 * expired or forbidden are answered at once, without a call; answers owed to peers are sent when
 * due; old rows are purged. A watchdog thread ({@code hoft-back-watchdog})
 * breaks off exchanges that make no progress and sends late {@code delivered} statuses. No thread
 * holds a database transaction across a network call.
 *
 * <p>The only ways a request leaves {@code queued} are a committed answer and the committed
 * {@code calling} mark a {@link Call} makes after connecting and before the first byte; both are
 * conditional on the row still being {@code queued}, and a request is placed in at most one
 * {@link Call} at a time (the in-flight map), so no request id is ever called twice.
 */
final class Dispatcher implements Agent, Call.Owner, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    private static final long IDLE_WAIT_MS = 1000;
    private static final long PURGE_EVERY_MS = 60_000;
    private static final int BATCH = 256;

    private final NodeStore store;
    private final RequestStore requests;
    private final Replies replies;
    private final Targets targets;
    private final BackConfig.Back config;
    private final BodyFiles bodies;
    private final Clock clock;
    private final TransportMetrics metrics;
    private final Call.Parts parts;
    private final Map<MessageId, Call> inFlight = new ConcurrentHashMap<>();
    /**
     * A wake's placing left queued requests behind (no permit, or more than it read): a call
     * that ends must wake the loop. Otherwise an ending call has nothing to hand on and the
     * loop need not read the database again for it.
     */
    private volatile boolean leftQueued = true;
    private final ExecutorService workers = Executors.newCachedThreadPool(Threads.numbered("hoft-back-call"));
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(Threads.named("hoft-back-watchdog"));
    private volatile boolean closing;
    private volatile AgentRunner runner;
    /** When the placing agent last purged old rows (its own thread only). */
    private long lastPurgeMs;

    Dispatcher(NodeStore store, RequestStore requests, Replies replies, Targets targets, BackConfig.Back config,
            BodyFiles bodies, Clock clock, TransportMetrics metrics) {
        this.store = store;
        this.requests = requests;
        this.replies = replies;
        this.targets = targets;
        this.config = config;
        this.bodies = bodies;
        this.clock = clock;
        this.metrics = metrics;
        this.parts = new Call.Parts(store, requests, replies, bodies, config, clock, metrics, this);
    }

    /**
     * Answers every request whose call had started before the back stopped: the outcome is
     * unknown, so it gets {@link CallError#UPSTREAM_INTERRUPTED} and is never called. Run before
     * {@link #start}.
     */
    int recoverInterrupted() {
        List<MessageId> interrupted = store.inTransaction(requests::calling);
        for (MessageId id : interrupted) {
            log.warn("request {} was being called when the back stopped; answering upstream-interrupted", id);
            answer(id, Synthetic.of(CallError.UPSTREAM_INTERRUPTED, "the back stopped while this call was in progress;"
                    + " the callee may or may not have acted on it, and it is not called again", id, upstream(id)));
        }
        return interrupted.size();
    }

    void start() {
        runner = AgentRunner.start(this, clock, Duration.ofMillis(IDLE_WAIT_MS), Duration.ofMillis(IDLE_WAIT_MS));
        long tickMs = Math.max(20, Math.min(1000, targets.callees().stream()
                .mapToLong(c -> c.config().responseTimeout().toMillis() / 5).min().orElse(1000)));
        watchdog.scheduleWithFixedDelay(this::watch, tickMs, tickMs, TimeUnit.MILLISECONDS);
        watchdog.scheduleWithFixedDelay(() -> targets.callees().forEach(Callee::maintain), 5, 5, TimeUnit.SECONDS);
    }

    /** Something changed (a request arrived, a call ended): look again now. */
    void wake() {
        AgentRunner current = runner;
        if (current != null) {
            current.wake();
        }
    }

    boolean closing() {
        return closing;
    }

    @Override
    public String roleName() {
        return "hoft-back-dispatch";
    }

    /** One wake: owed answers, uncallable requests, placing, and now and then the purge; runs again by the next answer due. */
    @Override
    public long doWork(long nowMs) {
        long nextMs = nowMs + IDLE_WAIT_MS;
        leftQueued = false;
        Pending pending = read(nowMs);
        sendDueReplies(pending.replies(), nowMs);
        if (pending.nextReplyMs() >= 0) {
            nextMs = Math.max(nowMs + 1, Math.min(nextMs, pending.nextReplyMs()));
        }
        answerUncallable(pending.uncallable(), nowMs);
        pending.queued().forEach((callee, queued) -> place(callee, queued, nowMs));
        if (nowMs - lastPurgeMs >= PURGE_EVERY_MS) {
            lastPurgeMs = nowMs;
            int purged = store.inTransaction(tx -> requests.purge(tx, nowMs, 10_000));
            if (purged > 0) {
                log.info("purged {} answered requests past their retention", purged);
            }
        }
        return nextMs;
    }

    /**
     * What one wake works on, read in one transaction: answers owed and when the next one is due
     * (-1: none), queued requests nobody may call, and each callee's oldest queued requests.
     */
    private record Pending(List<RequestStore.PendingReply> replies, long nextReplyMs, List<RequestStore.Queued> uncallable,
            Map<Callee, List<RequestStore.Queued>> queued) {}

    private Pending read(long nowMs) {
        List<String> known = new ArrayList<>();
        targets.callees().forEach(c -> known.add(c.name()));
        return store.inTransactionDurableLater(tx -> {
            Map<Callee, List<RequestStore.Queued>> queued = new LinkedHashMap<>();
            if (!closing) {
                for (Callee callee : targets.callees()) {
                    queued.put(callee, requests.queued(tx, callee.name(), readLimit(callee)));
                }
            }
            return new Pending(requests.dueReplies(tx, nowMs, BATCH), requests.nextReplyDueMs(tx),
                    requests.queuedUnknownOrExpired(tx, known, nowMs, BATCH), queued);
        });
    }

    /** How many of a callee's oldest queued requests one wake reads. */
    private int readLimit(Callee callee) {
        return callee.config().maxConcurrent() + inFlight.size() + 16;
    }

    /** Sends owed answers that are due. */
    private void sendDueReplies(List<RequestStore.PendingReply> due, long nowMs) {
        for (RequestStore.PendingReply reply : due) {
            store.inTransaction(tx -> {
                Optional<RecordedResponse> response = requests.response(tx, reply.requestId());
                if (response.isEmpty()) {
                    requests.settle(tx, reply);
                    return null;
                }
                try {
                    replies.response(tx, reply.peer(), requests.replyTo(tx, reply.requestId()), requests.expiresMs(tx, reply.requestId()), response.get());
                    requests.countReply(tx, reply.requestId());
                    requests.settle(tx, reply);
                    metrics.increment("hoft_back_replies_repeated_total", "peer", reply.peer().value());
                } catch (ChannelFullException e) {
                    requests.postpone(tx, reply, nowMs + e.retryAfter().toMillis());
                }
                return null;
            });
        }
    }

    /** Answers queued requests that are expired or name no configured upstream. */
    private void answerUncallable(List<RequestStore.Queued> uncallable, long nowMs) {
        for (RequestStore.Queued queued : uncallable) {
            if (inFlight.containsKey(queued.id())) {
                continue;
            }
            if (queued.expiresMs() <= nowMs) {
                answer(queued.id(), Synthetic.of(CallError.EXPIRED, "the request expired before the back could call the callee;"
                        + " it was not called", queued.id(), queued.upstream()));
            } else {
                Targets.Resolution resolution = targets.resolve(queued.upstream(), queued.method(), queued.target());
                String detail = resolution instanceof Targets.Forbidden ? ((Targets.Forbidden) resolution).detail() : "forbidden";
                answer(queued.id(), Synthetic.of(CallError.UPSTREAM_FORBIDDEN, detail, queued.id(), queued.upstream()));
            }
        }
    }

    /**
     * Hands the oldest queued requests of {@code callee}'s name to workers while permits last;
     * forbidden ones among them are answered at once, even when no permit is free.
     */
    private void place(Callee callee, List<RequestStore.Queued> oldest, long nowMs) {
        if (closing) {
            return;
        }
        if (oldest.size() >= callee.config().maxConcurrent() + 16) {
            leftQueued = true; // the read may have stopped at its limit
        }
        for (RequestStore.Queued queued : oldest) {
            if (inFlight.containsKey(queued.id()) || queued.expiresMs() <= nowMs) {
                continue;
            }
            Targets.Resolution resolution = targets.resolve(queued.upstream(), queued.method(), queued.target());
            if (resolution instanceof Targets.Forbidden) {
                answer(queued.id(), Synthetic.of(CallError.UPSTREAM_FORBIDDEN, ((Targets.Forbidden) resolution).detail(),
                        queued.id(), queued.upstream()));
                continue;
            }
            Targets.Route route = (Targets.Route) resolution;
            if (!route.callee().permits().tryAcquire()) {
                // Flag first, then try again: a call that ended before the flag was up has
                // released its permit already, and one that ends after it sees the flag.
                leftQueued = true;
                if (!route.callee().permits().tryAcquire()) {
                    continue;
                }
            }
            Call call = new Call(parts, queued.id(), route);
            inFlight.put(queued.id(), call);
            try {
                workers.execute(call);
            } catch (RuntimeException e) {
                finished(call);
                throw e;
            }
        }
    }

    /**
     * Sends the {@code delivered} status of a call that started at {@code callingMs} after
     * {@code deliveredStatusDelay}, unless its answer was recorded first: the response itself
     * tells the front the callee was reached, so a fast call costs no status file. A call that
     * has finished by then needs no look at the database: its answer went out, or its outcome
     * is unknown and no status is owed.
     */
    @Override
    public void deliveredLater(StoredRequest request, String callee, long callingMs) {
        Runnable send = () -> {
            if (!inFlight.containsKey(request.id())) {
                return;
            }
            try {
                store.inTransaction(tx -> {
                    if (requests.isCalling(tx, request.id())) {
                        delivered(tx, request, callee, callingMs);
                    }
                    return null;
                });
            } catch (RuntimeException e) {
                log.warn("cannot send the delivered status of {}: {}", request.id(), e.toString());
            }
        };
        try {
            watchdog.schedule(send, config.deliveredStatusDelay().toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("shutting down: no delivered status for {}", request.id()); // its response says it
        }
    }

    /** Hands the {@code delivered} status of a call to the channel inside {@code tx}. */
    @Override
    public void delivered(StoreTx tx, StoredRequest request, String callee, long callingMs) throws IOException {
        try {
            replies.status(tx, request.peer(), requests.replyTo(tx, request.id()), request.expiresMs(), "delivered", callingMs,
                    "calling upstream " + callee);
        } catch (ChannelFullException e) {
            log.warn("no room for the delivered status of {}: {}", request.id(), e.getMessage());
        }
    }

    /** Called by a {@link Call} when it is done, whatever happened. */
    @Override
    public void finished(Call call) {
        call.route().callee().permits().release();
        inFlight.remove(call.id());
        if (leftQueued || call.leftQueued()) {
            wake();
        }
    }

    private void watch() {
        long now = System.nanoTime();
        for (Call call : inFlight.values()) {
            Exchange exchange = call.exchange();
            if (exchange != null && exchange.stalled(now)) {
                exchange.abort(CallError.UPSTREAM_TIMEOUT);
            }
        }
    }

    /**
     * Records {@code response} as the request's answer and sends it to the peer in one
     * transaction; if the channel's queue is full the answer is recorded and owed instead.
     * Does nothing (and deletes the response's unowned body file) if the request is answered
     * already. Returns whether this answer was recorded.
     */
    @Override
    public boolean answer(MessageId id, RecordedResponse response) {
        return answer(id, response, null);
    }

    /**
     * Starts sending the RESPONSE to the unanswered request {@code id} while its body arrives
     * (see {@link Replies#startGrowing}); empty if it is not sent so.
     */
    @Override
    public Optional<Replies.Growing> startGrowing(MessageId id, int status, String reason, List<HeaderField> headers, Path file,
            long length) {
        try {
            return store.inTransaction(tx -> {
                Optional<NodeId> peer = requests.unansweredPeer(tx, id);
                if (peer.isEmpty()) {
                    return Optional.<Replies.Growing>empty();
                }
                return replies.startGrowing(tx, peer.get(), requests.replyTo(tx, id), requests.expiresMs(tx, id), status, reason,
                        headers, file, length);
            });
        } catch (RuntimeException e) {
            log.warn("the response to {} is not sent while it arrives: {}", id, e.toString());
            return Optional.empty();
        }
    }

    /**
     * As {@link #answer(MessageId, RecordedResponse)}; {@code growing} (or null) is the RESPONSE
     * started while the body arrived: completed by the transaction that records the answer if
     * it carries exactly that body, else given up.
     */
    @Override
    public boolean answer(MessageId id, RecordedResponse response, Replies.Growing growing) {
        boolean sendsGrowing = growing != null && response.bodyName() != null && response.bodyLength() == growing.length()
                && response.bodyName().equals(growing.file().getFileName().toString());
        boolean recorded = record(id, response, sendsGrowing ? growing : null);
        if (growing != null && !(recorded && sendsGrowing)) {
            replies.cancel(growing);
        }
        return recorded;
    }

    private boolean record(MessageId id, RecordedResponse response, Replies.Growing growing) {
        RuntimeException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                boolean recorded = store.inTransaction(tx -> {
                    long nowMs = clock.millis();
                    Optional<NodeId> peer = requests.answer(tx, id, response, nowMs);
                    if (peer.isEmpty()) {
                        return false;
                    }
                    try {
                        if (growing == null || !replies.complete(tx, growing)) {
                            replies.response(tx, peer.get(), requests.replyTo(tx, id), requests.expiresMs(tx, id), response);
                        }
                        requests.countReply(tx, id);
                    } catch (ChannelFullException e) {
                        log.warn("the channel to {} is full; the answer to {} waits ({})", peer.get(), id, e.getMessage());
                        requests.owe(tx, id, peer.get(), nowMs + e.retryAfter().toMillis());
                    }
                    return true;
                });
                if (recorded) {
                    metrics.increment("hoft_back_answers_total", "status", Integer.toString(response.status()),
                            "error", response.error() == null ? "" : response.error());
                } else {
                    deleteUnowned(response);
                }
                return recorded;
            } catch (RuntimeException e) {
                last = e;
                log.warn("recording the answer to {} failed (attempt {}): {}", id, attempt + 1, e.toString());
                sleepQuietly(100L << attempt);
            }
        }
        deleteUnowned(response);
        log.error("the answer to {} could not be recorded; after a restart it is answered upstream-interrupted", id, last);
        return false;
    }

    private void deleteUnowned(RecordedResponse response) {
        if (response.bodyName() != null) {
            try {
                Files.deleteIfExists(bodies.path(response.bodyName()));
            } catch (IOException e) {
                log.debug("cannot delete {}: {}", response.bodyName(), e.toString());
            }
        }
    }

    private String upstream(MessageId id) {
        return store.inTransaction(tx -> requests.load(tx, id).map(StoredRequest::upstream).orElse(""));
    }

    /**
     * Stops placing work, waits up to the drain timeout for calls in flight, then breaks off the
     * rest: a call broken off after it started is answered {@link CallError#UPSTREAM_INTERRUPTED};
     * one that had not started stays queued for the next start.
     */
    @Override
    public void close() {
        closing = true;
        if (runner != null) {
            runner.close(Duration.ofSeconds(10));
        }
        workers.shutdown();
        try {
            if (!workers.awaitTermination(config.drainTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("{} calls still in flight after the drain timeout; breaking them off", inFlight.size());
                for (Call call : inFlight.values()) {
                    call.abort();
                }
                workers.shutdownNow();
                if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
                    log.error("calls did not stop: {}", inFlight.keySet());
                }
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        watchdog.shutdownNow();
        targets.callees().forEach(Callee::close);
    }

    static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
