package io.hoft.front.callback;

import io.hoft.front.CallbackFormat;
import io.hoft.front.CallbackScheduler;
import io.hoft.front.StoredResponse;
import io.hoft.transport.agent.Agent;
import io.hoft.transport.agent.AgentRunner;
import io.hoft.transport.agent.Threads;
import io.hoft.transport.channel.TransportMetrics;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.BodyFiles;
import io.hoft.transport.store.NodeStore;
import io.hoft.transport.store.StoreTx;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Durable, signed callback delivery: the front's {@link CallbackScheduler}.
 *
 * <h2>What is guaranteed</h2>
 *
 * <ul>
 *   <li>A job exists if and only if the caller's transaction that scheduled it committed (the
 *       row is inserted through the caller's {@link StoreTx}).
 *   <li>Every job is attempted until a 2xx, a 410, or its expiry; it is delivered <em>at least
 *       once</em> across {@code kill -9} and restarts: an attempt is recorded only after it
 *       ended, so one cut short by a crash is made again. Its {@code webhook-id} is stored
 *       with the job and never changes; receivers dedupe on it.
 *   <li>{@code webhook-id} is {@code {requestId}-result} for the final outcome (responded,
 *       failed or expired: only the first final job of a request is kept, so a request never
 *       produces two different final callbacks) and {@code {requestId}-status-{status}} for a
 *       status event. Each attempt is signed anew with a fresh {@code webhook-timestamp}.
 *   <li>Ordering: the jobs of one request to one URL form a stream, delivered one at a time in
 *       the order they were scheduled; a job waits until every earlier job of its stream ended
 *       (delivered or given up). So a status receiver never sees {@code transferred} after
 *       {@code responded}, and if status events and the result share a URL, the result comes
 *       after the events scheduled before it. Streams are independent of each other.
 *   <li>Retries: exponential backoff with jitter ({@link CallbackSettings#backoff}); after a
 *       429 or 503 no sooner than its {@code Retry-After} (capped); a 3xx is a failure and is
 *       not followed; a 410 ends the job and the rest of its stream. A retry that would fall
 *       after the job's expiry ends it as failed ({@code expired}) instead. Expiry is the
 *       {@code expiresMs} given, but at least {@link CallbackSettings#minRetryWindow} after
 *       scheduling; and every job gets at least one attempt, even one whose expiry passed
 *       while the front was down.
 *   <li>Every attempt is a row in {@code callback_attempt} (see {@link CallbackJobs}); ended
 *       jobs stay for {@link CallbackSettings#historyRetention}.
 * </ul>
 *
 * <p>Not guaranteed: exactly-once (a receiver that answered 2xx just before a crash gets the
 * same webhook-id again); an attempt interrupted by a crash leaves no attempt row.
 *
 * <h2>Large bodies</h2>
 *
 * A body file is never loaded into memory: its UTF-8 check reads it once (first attempt,
 * remembered in the job), and each attempt streams it twice, into the HMAC and onto the wire.
 *
 * <h2>Threads</h2>
 *
 * One scheduler agent ({@code callback-scheduler}, on an {@link AgentRunner}) picks due jobs
 * (woken by commits of new jobs and ended attempts, else every {@link
 * CallbackSettings#pollInterval}) and hands them to at most {@link
 * CallbackSettings#maxConcurrentDeliveries} delivery threads ({@code callback-delivery-N}). Time comes from the {@link Clock}
 * given, so tests move it by hand.
 */
public final class CallbackDispatcher implements CallbackScheduler, Closeable {
    /** The jobs' table: a node whose front never ran has not got it. */
    public static final String JOBS_TABLE = "callback_job";
    private static final Logger log = LoggerFactory.getLogger(CallbackDispatcher.class);
    private static final Pattern STATUS = Pattern.compile("[a-z][a-z-]{0,31}");
    private static final long CLEANUP_INTERVAL_MS = 60_000;

    private final NodeStore store;
    private final BodyFiles bodies;
    private final CallbackSettings settings;
    private final CallbackUrlPolicy policy;
    private final Clock clock;
    private final RandomGenerator random;
    private final CallbackSender sender;
    private final TransportMetrics metrics = new TransportMetrics();
    private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();
    private final ExecutorService workers;
    private volatile AgentRunner scheduler;
    private volatile boolean running;
    /** When the scheduler last deleted old jobs (its own thread only). */
    private long lastCleanupMs;

    /** A dispatcher whose URL policy comes from the settings. */
    public CallbackDispatcher(NodeStore store, BodyFiles bodies, CallbackSettings settings, Clock clock) {
        this(store, bodies, settings, CallbackUrlPolicy.of(settings), clock, new SplittableRandom());
    }

    /**
     * Creates the tables if needed; {@link #start} begins delivering. Give the front the same
     * {@code policy} as its {@link io.hoft.front.CallbackUrlGuard} (or use {@link #urlGuard()}).
     */
    public CallbackDispatcher(NodeStore store, BodyFiles bodies, CallbackSettings settings, CallbackUrlPolicy policy,
            Clock clock, RandomGenerator random) {
        this.store = Objects.requireNonNull(store, "store");
        this.bodies = Objects.requireNonNull(bodies, "bodies");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        store.migrate(CallbackJobs.MODULE, CallbackJobs.SCHEMA);
        this.sender = new CallbackSender(settings, policy, clock);
        this.workers = Executors.newFixedThreadPool(settings.maxConcurrentDeliveries(), Threads.numbered("callback-delivery"));
    }

    /** The URL policy deliveries are held to; the front checks submissions with the same one. */
    public CallbackUrlPolicy urlGuard() {
        return policy;
    }

    public void start() {
        running = true;
        scheduler = AgentRunner.start(new Scheduler(), clock, settings.pollInterval(), settings.pollInterval());
    }

    @Override
    public void scheduleResult(StoreTx tx, String requestId, URI url, CallbackFormat format, StoredResponse response,
            long expiresMs) {
        scheduleResult(tx, requestId, 1, url, format, response, expiresMs);
    }

    @Override
    public void scheduleResult(StoreTx tx, String requestId, int attempt, URI url, CallbackFormat format,
            StoredResponse response, long expiresMs) {
        Objects.requireNonNull(response, "response");
        byte[] inline = response.bodyName() == null ? response.inlineBody() : null;
        String encoding = null;
        if (format == CallbackFormat.JSON && response.bodyName() == null) {
            encoding = inline == null || isUtf8(inline) ? CallbackPayload.UTF8 : CallbackPayload.BASE64;
        }
        String contentType = response.headers().stream().filter(h -> h.hasName("Content-Type")).map(HeaderField::value)
                .findFirst().orElse(null);
        schedule(tx, CallbackJob.scheduled(resultWebhookId(requestId, attempt), requestId, CallbackJob.Kind.RESULT, url.toString(),
                format, new CallbackJob.Event("responded", null, 0), new CallbackJob.Response(response.status(),
                        CallbackPayload.headersJson(response.headers()), contentType, inline, response.bodyName(), encoding),
                expiresMs));
    }

    @Override
    public void scheduleFailure(StoreTx tx, String requestId, URI url, String status, String error, long expiresMs) {
        scheduleFailure(tx, requestId, 1, url, status, error, expiresMs);
    }

    @Override
    public void scheduleFailure(StoreTx tx, String requestId, int attempt, URI url, String status, String error,
            long expiresMs) {
        if (!status.equals("failed") && !status.equals("expired")) {
            throw new IllegalArgumentException("a failure's status is failed or expired, not " + status);
        }
        schedule(tx, CallbackJob.scheduled(resultWebhookId(requestId, attempt), requestId, CallbackJob.Kind.FAILURE,
                url.toString(), CallbackFormat.JSON, new CallbackJob.Event(status, Objects.requireNonNull(error, "error"), 0),
                CallbackJob.Response.NONE, expiresMs));
    }

    @Override
    public void scheduleStatus(StoreTx tx, String requestId, URI url, String status, long atMs, long expiresMs) {
        scheduleStatus(tx, requestId, 1, url, status, atMs, expiresMs);
    }

    @Override
    public void scheduleStatus(StoreTx tx, String requestId, int attempt, URI url, String status, long atMs, long expiresMs) {
        if (!STATUS.matcher(status).matches()) {
            throw new IllegalArgumentException("not a status name: " + status);
        }
        schedule(tx, CallbackJob.scheduled(requestId + "-status-" + status + (attempt > 1 ? "-" + attempt : ""), requestId,
                CallbackJob.Kind.STATUS, url.toString(), CallbackFormat.JSON, new CallbackJob.Event(status, null, atMs),
                CallbackJob.Response.NONE, expiresMs));
    }

    @Override
    public boolean redeliver(StoreTx tx, String requestId, long expiresMs) {
        return redeliver(tx, requestId, 1, expiresMs);
    }

    @Override
    public boolean redeliver(StoreTx tx, String requestId, int attempt, long expiresMs) {
        long nowMs = clock.millis();
        boolean reopened = CallbackJobs.reopen(tx, resultWebhookId(requestId, attempt),
                Math.max(expiresMs, nowMs + settings.minRetryWindow().toMillis()), nowMs);
        if (reopened) {
            tx.afterCommit(this::wakeUp);
        }
        return reopened;
    }

    /** The {@code webhook-id} of a request's final callback (its result, failure or expiry). */
    public static String resultWebhookId(String requestId) {
        return resultWebhookId(requestId, 1);
    }

    /** The {@code webhook-id} of the final callback of a request's attempt {@code attempt} (1 for the first). */
    public static String resultWebhookId(String requestId, int attempt) {
        return requestId + "-result" + (attempt > 1 ? "-" + attempt : "");
    }

    private void schedule(StoreTx tx, CallbackJob job) {
        if (!MessageId.isValid(job.requestId())) {
            throw new IllegalArgumentException("not a request id: " + job.requestId());
        }
        long nowMs = clock.millis();
        long expiresMs = Math.max(job.expiresMs(), nowMs + settings.minRetryWindow().toMillis());
        if (CallbackJobs.insert(tx, job.withExpiresMs(expiresMs), nowMs)) {
            tx.afterCommit(() -> {
                metrics.increment("hoft_callback_scheduled_total", "kind", job.kind().column);
                wakeUp();
            });
        } else {
            log.debug("callback {} already scheduled; the second one is ignored", job.webhookId());
            tx.afterCommit(() -> metrics.increment("hoft_callback_duplicates_ignored_total", "kind", job.kind().column));
        }
    }

    /** Deletes every job of a request and its attempts (the front forgetting the request). */
    public void forget(StoreTx tx, String requestId) {
        CallbackJobs.forget(tx, requestId);
    }

    /** The jobs of a request, oldest first, with their attempts: what an operator CLI shows. */
    public static List<CallbackHistory> history(NodeStore store, String requestId) {
        return store.inTransaction(tx -> history(tx, requestId));
    }

    /**
     * As {@link #history(NodeStore, String)}, inside {@code tx}: the read-only view the command
     * line reads a node's database through (check first that the node has {@link #JOBS_TABLE}).
     */
    public static List<CallbackHistory> history(StoreTx tx, String requestId) {
        return CallbackJobs.history(tx, requestId);
    }

    /**
     * Callback jobs an operator should look at: those still pending (retrying ones first) and
     * those that ended failed (latest first), up to {@code limit} of each, without attempts.
     */
    public static List<CallbackHistory> unfinished(NodeStore store, int limit) {
        return store.inTransaction(tx -> CallbackJobs.unfinished(tx, limit));
    }

    /**
     * Counters since start, keyed in Prometheus form: {@code hoft_callback_scheduled_total{kind}},
     * {@code hoft_callback_attempts_total{kind,outcome}}, {@code hoft_callback_delivered_total{kind}},
     * {@code hoft_callback_failed_total{kind,reason}}, {@code hoft_callback_duplicates_ignored_total{kind}}.
     * Kinds: result, failure, status; outcomes: see {@link CallbackHistory.Attempt#outcome};
     * reasons: expired, gone, forbidden, body-missing.
     */
    public Map<String, Long> metricsSnapshot() {
        return metrics.snapshot();
    }

    /** Jobs not yet delivered or given up (a gauge for the backlog). */
    public long pendingJobs() {
        return store.inTransaction(CallbackJobs::pendingCount);
    }

    /** Asks the scheduler to look for due jobs now. */
    public void wakeUp() {
        AgentRunner current = scheduler;
        if (current != null) {
            current.wake();
        }
    }

    /** The scheduler's duty cycle: expire overdue jobs, hand out due ones, now and then delete old ones. */
    private final class Scheduler implements Agent {
        @Override
        public String roleName() {
            return "callback-scheduler";
        }

        @Override
        public long doWork(long nowMs) {
            expireOverdue(nowMs);
            dispatchDue(nowMs);
            if (nowMs - lastCleanupMs >= CLEANUP_INTERVAL_MS) {
                lastCleanupMs = nowMs;
                long cutoff = nowMs - settings.historyRetention().toMillis();
                int deleted = store.inTransaction(tx -> CallbackJobs.deleteEndedBefore(tx, cutoff));
                if (deleted > 0) {
                    log.debug("deleted {} ended callback jobs past their retention", deleted);
                }
            }
            return nowMs + settings.pollInterval().toMillis();
        }
    }

    private void expireOverdue(long nowMs) {
        Map<Long, String> overdue = store.inTransaction(tx -> CallbackJobs.overdue(tx, nowMs));
        for (Map.Entry<Long, String> job : overdue.entrySet()) {
            if (!inFlight.contains(job.getKey())
                    && store.inTransaction(tx -> CallbackJobs.fail(tx, job.getKey(), "expired", nowMs))) {
                metrics.increment("hoft_callback_failed_total", "kind", job.getValue(), "reason", "expired");
                log.info("callback job {} expired undelivered", job.getKey());
            }
        }
    }

    private void dispatchDue(long nowMs) {
        int free = settings.maxConcurrentDeliveries() - inFlight.size();
        if (free <= 0) {
            return;
        }
        int limit = free + inFlight.size();
        List<CallbackJob> due = store.inTransaction(tx -> CallbackJobs.due(tx, nowMs, limit));
        for (CallbackJob job : due) {
            if (free <= 0 || !running) {
                break;
            }
            if (inFlight.add(job.id())) {
                free--;
                workers.execute(() -> deliver(job));
            }
        }
    }

    private void deliver(CallbackJob job) {
        try {
            AttemptResult result;
            try {
                result = attempt(job);
            } catch (RuntimeException e) {
                log.error("callback job {}: {}", job.id(), e.toString(), e);
                result = noRequestMade(AttemptResult.Outcome.IO_ERROR, "internal error: " + e);
            }
            finish(job, result);
        } catch (RuntimeException e) {
            log.error("callback job {}: cannot record the attempt: {}", job.id(), e.toString());
        } finally {
            inFlight.remove(job.id());
            wakeUp();
        }
    }

    private AttemptResult attempt(CallbackJob job) {
        CallbackJob ready = job;
        if (job.kind() == CallbackJob.Kind.RESULT && job.format() == CallbackFormat.JSON && job.response().bodyEncoding() == null) {
            String encoding;
            try {
                encoding = CallbackPayload.detectEncoding(job, bodies);
            } catch (NoSuchFileException e) {
                return noRequestMade(AttemptResult.Outcome.BODY_MISSING, "response body file is gone");
            } catch (IOException e) {
                return noRequestMade(AttemptResult.Outcome.IO_ERROR, "cannot read the response body: " + e);
            }
            store.inTransaction(tx -> {
                CallbackJobs.setBodyEncoding(tx, job.id(), encoding);
                return null;
            });
            ready = job.withBodyEncoding(encoding);
        }
        return sender.send(ready, CallbackPayload.of(ready, bodies));
    }

    /** An attempt that ended before any request was made. */
    private AttemptResult noRequestMade(AttemptResult.Outcome outcome, String error) {
        long nowMs = clock.millis();
        return new AttemptResult(nowMs, 0, nowMs / 1000, null, outcome, error, null);
    }

    private void finish(CallbackJob job, AttemptResult result) {
        long nowMs = clock.millis();
        String kind = job.kind().column;
        metrics.increment("hoft_callback_attempts_total", "kind", kind, "outcome", result.outcome().label);
        Long next = null;
        String endState = CallbackJobs.FAILED;
        String failure = null;
        switch (result.outcome().effect) {
            case DONE -> endState = CallbackJobs.DELIVERED;
            case END -> failure = switch (result.outcome()) {
                case GONE -> "gone";
                case FORBIDDEN_URL -> "forbidden";
                default -> "body-missing";
            };
            case RETRY_AT_ONCE -> next = nowMs;
            default -> {
                long delayMs;
                synchronized (random) {
                    delayMs = settings.backoff().delayMillis(job.attempts() + 1, random);
                }
                if (result.retryAfterMs() != null) {
                    delayMs = Math.max(delayMs, Math.min(result.retryAfterMs(), settings.maxRetryAfter().toMillis()));
                }
                next = nowMs + delayMs;
            }
        }
        if (next != null && next >= job.expiresMs() && result.outcome() != AttemptResult.Outcome.SHUTDOWN) {
            next = null;
            failure = "expired";
        }
        Long nextAttempt = next;
        String state = endState;
        String reason = failure;
        boolean recorded = store.inTransaction(tx -> {
            if (!CallbackJobs.recordAttempt(tx, job, result, nextAttempt, state, reason, nowMs)) {
                return false;
            }
            if (result.outcome() == AttemptResult.Outcome.GONE) {
                for (String other : CallbackJobs.failRestOfStream(tx, job, "gone", nowMs)) {
                    tx.afterCommit(() -> metrics.increment("hoft_callback_failed_total", "kind", other, "reason", "gone"));
                }
            }
            return true;
        });
        if (!recorded) {
            return;
        }
        if (nextAttempt != null) {
            log.debug("callback {} attempt {} to {}: {}; next in {} ms", job.webhookId(), job.attempts() + 1, job.url(),
                    result.describe(), nextAttempt - nowMs);
        } else if (state.equals(CallbackJobs.DELIVERED)) {
            metrics.increment("hoft_callback_delivered_total", "kind", kind);
            log.debug("callback {} delivered to {} after {} attempts", job.webhookId(), job.url(), job.attempts() + 1);
        } else {
            metrics.increment("hoft_callback_failed_total", "kind", kind, "reason", reason);
            log.info("callback {} to {} given up ({}) after {} attempts: {}", job.webhookId(), job.url(), reason,
                    job.attempts() + 1, result.describe());
        }
    }

    private static boolean isUtf8(byte[] body) {
        try {
            return JsonText.isUtf8(new java.io.ByteArrayInputStream(body));
        } catch (IOException e) {
            throw new IllegalStateException("reading memory failed", e);
        }
    }

    /**
     * Stops: no new attempts; attempts in flight get {@link CallbackSettings#drainTimeout} to
     * finish, then are cancelled (recorded as {@code shutdown} and retried at once after the
     * next start). The store stays open; close it after this returns.
     */
    @Override
    public void close() throws IOException {
        running = false;
        try {
            AgentRunner current = scheduler;
            if (current != null) {
                current.close(Duration.ofSeconds(10));
            }
            workers.shutdown();
            if (!workers.awaitTermination(settings.drainTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                sender.abortAll();
                if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
                    log.warn("callback deliveries still running after shutdown");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            sender.close();
        }
    }
}
