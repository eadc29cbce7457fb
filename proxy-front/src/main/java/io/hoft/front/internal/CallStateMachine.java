package io.hoft.front.internal;

import io.hoft.front.CallbackScheduler;
import io.hoft.front.StoredResponse;
import io.hoft.front.internal.RequestStore.NewRequest;
import io.hoft.front.internal.RequestStore.Row;
import io.hoft.front.internal.RequestStore.State;
import io.hoft.transport.channel.ChannelFullException;
import io.hoft.transport.channel.ReceivedMessage;
import io.hoft.transport.channel.Transport;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.BodyFiles;
import io.hoft.transport.store.NodeStore;
import io.hoft.transport.store.StoreTx;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves calls through the states of {@link RequestStore} and tells whoever must know, each
 * inside the transaction that records the change: opt-in status events and the callback (via
 * the {@link CallbackScheduler}, so a job exists if and only if the change committed), then,
 * after the commit, the sync waiter and the in-flight count.
 *
 * <p>Deadlines handed to the scheduler: a result or failure callback, and status events, until
 * the call's TTL; a notice that the call expired (it is sent when the TTL is over) gets as long
 * again as the call had.
 */
final class CallStateMachine {
    private static final Logger log = LoggerFactory.getLogger(CallStateMachine.class);
    private static final int BATCH = 200;
    static final String BODY_OWNER = "front:response:";
    static final String REQUEST_BODY_OWNER = "front:request:";

    private final NodeStore store;
    private final Transport transport;
    private final BodyFiles bodies;
    private final RequestStore requests = new RequestStore();
    private final CallbackScheduler scheduler;
    private final Waiters waiters;
    private final FrontMetrics metrics;
    private final Clock clock;
    private final long retentionMs;
    private final AtomicLong inFlight = new AtomicLong();

    CallStateMachine(NodeStore store, Transport transport, CallbackScheduler scheduler, Waiters waiters, FrontMetrics metrics,
            Clock clock, Duration retention) {
        this.store = store;
        this.transport = transport;
        this.bodies = transport.bodies();
        this.scheduler = scheduler;
        this.waiters = waiters;
        this.metrics = metrics;
        this.clock = clock;
        this.retentionMs = retention.toMillis();
    }

    /** Creates the table (if needed) and counts the calls still open. */
    void load() {
        store.migrate(RequestStore.MODULE, RequestStore.SCHEMA);
        inFlight.set(store.inTransaction(RequestStore::countOpen));
    }

    long inFlight() {
        return inFlight.get();
    }

    RequestStore requests() {
        return requests;
    }

    /**
     * A second name for a received body file, for the front to keep after the channel has taken
     * the first one over (and released it on acknowledgement): a hard link, which costs no
     * space while both exist, or a forced copy where links are not possible. Nobody owns it
     * until {@link #accept} registers it; if the call is not stored, the caller deletes it.
     */
    Path keepBody(Path received) throws IOException {
        Path kept = bodies.newPath();
        try {
            Files.createLink(kept, received);
        } catch (UnsupportedOperationException | IOException e) {
            Files.deleteIfExists(kept);
            Files.copy(received, kept);
            bodies.force(kept);
        }
        return kept;
    }

    /**
     * Stores a new call and hands its REQUEST message to the channel in one transaction; nothing
     * of it stays if either refuses. {@code keptBody} (from {@link #keepBody}, or null) becomes
     * the call's own copy of a request body too large to keep inline.
     *
     * @throws HttpError 429 when {@code maxInFlight} calls are open, 503 when the channel is full
     */
    void accept(NewRequest call, NodeId peer, Message request, Path keptBody, int maxInFlight, Duration retryAfter) {
        accept(call, peer, request, keptBody, maxInFlight, retryAfter, false);
    }

    /**
     * Starts sending a REQUEST message while its body still arrives (see {@link
     * Transport#sendGrowing}); false, with nothing stored, if it is not sent so (too short, or
     * the channel is full: the call then goes the ordinary way once its body is whole).
     */
    boolean startGrowing(NodeId peer, Message request) {
        try {
            return store.inTransaction(tx -> transport.sendGrowing(tx, peer, request));
        } catch (RuntimeException e) {
            log.info("request {} is not sent while its body arrives: {}", request.id(), e.toString());
            return false;
        }
    }

    /** The body bytes per fragment, and so per slice of a body sent while it arrives. */
    long fragmentBodyBytes() {
        return transport.fragmentBodyBytes();
    }

    /** The first {@code durableBytes} of a REQUEST started with {@link #startGrowing} are forced. */
    void grown(NodeId peer, MessageId id, long durableBytes) {
        transport.grown(peer, id, durableBytes);
    }

    /** Gives up a REQUEST message started with {@link #startGrowing} whose call was not accepted. */
    void cancelGrowing(NodeId peer, MessageId id) {
        transport.cancelGrowing(peer, id);
    }

    /**
     * As {@link #accept(NewRequest, NodeId, Message, Path, int, Duration)}; with {@code grown},
     * {@code request} was started with {@link #startGrowing} and is completed in the transaction
     * that stores the call, instead of being handed to the channel.
     */
    void accept(NewRequest call, NodeId peer, Message request, Path keptBody, int maxInFlight, Duration retryAfter,
            boolean grown) {
        inTransactionCounted(maxInFlight, retryAfter, tx -> {
            String keptName = keptBody == null ? null
                    : bodies.register(tx, keptBody, REQUEST_BODY_OWNER + call.id(), clock.millis());
            requests.insert(tx, call, keptName);
            if (!grown) {
                send(tx, peer, request);
            } else if (!transport.completeGrowing(tx, peer, request.id())) {
                throw new HttpError(503, "storage-unavailable", "the request's message was given up while its body"
                        + " arrived", retryAfter, Map.of(), false);
            }
            if (call.callbacks().statusUrl() != null) {
                scheduler.scheduleStatus(tx, call.id(), call.callbacks().statusUrl(), State.QUEUED.wire, call.acceptedMs(),
                        call.expiresMs());
            }
        });
    }

    /**
     * Sends the finished call {@code row} (failed or expired) again as its next attempt: the
     * same id, a new REQUEST message naming it ({@code requestId}, {@code attempt}), in one
     * transaction with the row's move back to {@code queued} ({@link RequestStore#reattempt}).
     * The back calls the callee only if its record shows the callee was never reached, and
     * otherwise answers from its record. {@code body} is the channel's own copy of the kept
     * request body. Returns the new attempt's number.
     *
     * @throws HttpError 409 if the call changed meanwhile, 429 when {@code maxInFlight} calls are
     *     open, 503 when the channel is full
     */
    int reattempt(Row row, List<io.hoft.transport.message.HeaderField> headers, io.hoft.transport.message.Body body,
            int maxInFlight, Duration retryAfter) {
        MessageId messageId = MessageId.generate(clock);
        long nowMs = clock.millis();
        long expiresMs = nowMs + Math.max(1000, row.steps().expiresMs() - row.steps().acceptedMs());
        int attempt = row.attempt() + 1;
        Message request = new Message(messageId, java.time.Instant.ofEpochMilli(nowMs), java.time.Instant.ofEpochMilli(expiresMs),
                new Envelope.Request(row.routing().method(), row.routing().target(), row.routing().upstream(), headers,
                        MessageId.of(row.id()), attempt), body);
        inTransactionCounted(maxInFlight, retryAfter, tx -> {
            if (!requests.reattempt(tx, row.id(), row.attempt(), messageId.value(), nowMs, expiresMs)) {
                throw HttpError.of(409, "changed", "call " + row.id() + " changed meanwhile; look at it again");
            }
            if (row.response() != null && row.response().bodyName() != null) {
                bodies.release(tx, row.response().bodyName());
            }
            send(tx, NodeId.of(row.routing().peer()), request);
            if (row.callbacks().statusUrl() != null) {
                scheduler.scheduleStatus(tx, row.id(), attempt, row.callbacks().statusUrl(), State.QUEUED.wire, nowMs, expiresMs);
            }
        });
        log.info("call {} sent again as attempt {} (message {})", row.id(), attempt, messageId);
        return attempt;
    }

    /** Work on a call that counts against the calls in flight. */
    @FunctionalInterface
    private interface CountedWork {
        void run(StoreTx tx) throws Exception;
    }

    /**
     * Runs {@code work} in one transaction as one more call in flight: refused with 429 when
     * {@code maxInFlight} calls already are (checked under the store's lock, so two admissions
     * never both take the last place), and given back if the transaction does not commit.
     */
    private void inTransactionCounted(int maxInFlight, Duration retryAfter, CountedWork work) {
        boolean[] counted = {false};
        try {
            store.inTransaction(tx -> {
                if (inFlight.get() >= maxInFlight) {
                    throw new HttpError(429, "too-many-requests", maxInFlight + " calls are in flight; try again later",
                            retryAfter, Map.of(), false);
                }
                inFlight.incrementAndGet();
                counted[0] = true;
                work.run(tx);
                return null;
            });
        } catch (RuntimeException e) {
            if (counted[0]) {
                inFlight.decrementAndGet();
            }
            throw e;
        }
    }

    /** Hands {@code request} to the channel; a full channel is a 503 with its retry time. */
    private void send(StoreTx tx, NodeId peer, Message request) throws IOException {
        try {
            transport.send(tx, peer, request);
        } catch (ChannelFullException e) {
            throw new HttpError(503, "spool-full", "the link to " + peer + " is backlogged: " + e.getMessage(),
                    e.retryAfter(), Map.of(), false);
        }
    }

    /** The back acknowledged these REQUEST messages: the calls are transferred. */
    void acked(StoreTx tx, List<MessageId> ids) {
        long nowMs = clock.millis();
        for (MessageId id : ids) {
            step(tx, id.value(), State.TRANSFERRED, nowMs);
        }
    }

    /** A STATUS message from the back; {@code delivered} means it started calling the callee. */
    void status(StoreTx tx, Envelope.Status status) {
        if (!status.status().equals(State.DELIVERED.wire)) {
            log.debug("status {} of {} from the back is not one the front tracks", status.status(), status.requestId());
            return;
        }
        step(tx, status.requestId().value(), State.DELIVERED, status.atMillis() > 0 ? status.atMillis() : clock.millis());
    }

    /** Moves the call whose current attempt is REQUEST message {@code messageId}; nothing for an earlier attempt's message. */
    private void step(StoreTx tx, String messageId, State step, long atMs) {
        requests.findByMessage(tx, messageId).ifPresent(row -> step(tx, row, step, atMs));
    }

    /**
     * Moves the call to {@code step}. Anything the back sends about a call proves it has the
     * request, so a call still queued is first marked transferred: the acknowledgement often
     * travels in the same file as the back's first message and is applied after it.
     */
    private void step(StoreTx tx, Row row, State step, long atMs) {
        if (step != State.TRANSFERRED && row.state() == State.QUEUED) {
            step(tx, row, State.TRANSFERRED, atMs);
        }
        if (requests.step(tx, row.id(), step, atMs) && row.callbacks().statusUrl() != null) {
            scheduler.scheduleStatus(tx, row.id(), row.attempt(), row.callbacks().statusUrl(), step.wire, atMs,
                    row.steps().expiresMs());
        }
    }

    /**
     * A RESPONSE arrived. The first for an open call is stored (its body file claimed), the
     * callback and status event scheduled and the waiter woken after the commit; any other
     * (a second response, one after expiry, one for an unknown call) is ignored.
     */
    void response(StoreTx tx, ReceivedMessage received) throws IOException {
        Message message = received.message();
        Envelope.Response envelope = (Envelope.Response) message.envelope();
        Optional<Row> found = requests.findByMessage(tx, envelope.requestId().value());
        String id = found.map(Row::id).orElse(envelope.requestId().value());
        if (found.isEmpty() || found.get().state().terminal()) {
            String reason = found.isEmpty() ? "unknown" : found.get().state() == State.EXPIRED ? "late" : "duplicate";
            log.info("ignoring a response to {} ({})", id, reason);
            tx.afterCommit(() -> metrics.counters.increment("hoft_front_responses_ignored_total", "reason", reason));
            return;
        }
        Row row = found.get();
        long nowMs = clock.millis();
        if (envelope.error() == null) {
            // The callee answered, so it was called: over a link that reorders files (the dial-out
            // link moves several at once) the back's "delivered" status may come after this.
            step(tx, row, State.DELIVERED, nowMs);
        } else if (row.state() == State.QUEUED) {
            step(tx, row, State.TRANSFERRED, nowMs);
        }
        byte[] inline = null;
        String bodyName = received.claimBody(tx, BODY_OWNER + id).orElse(null);
        if (bodyName == null) {
            try (InputStream in = message.body().open()) {
                inline = in.readAllBytes();
            }
        }
        StoredResponse response = new StoredResponse(envelope.status(), envelope.reason(), envelope.headers(), inline, bodyName,
                message.body().length(), envelope.error());
        requests.respond(tx, id, response, nowMs);
        State state = response.isError() ? State.FAILED : State.RESPONDED;
        if (row.callbacks().resultUrl() != null) {
            if (response.isError()) {
                scheduler.scheduleFailure(tx, id, row.attempt(), row.callbacks().resultUrl(), State.FAILED.wire, response.error(),
                        row.steps().expiresMs());
            } else {
                scheduler.scheduleResult(tx, id, row.attempt(), row.callbacks().resultUrl(), row.callbacks().format(), response,
                        row.steps().expiresMs());
            }
        }
        if (row.callbacks().statusUrl() != null) {
            scheduler.scheduleStatus(tx, id, row.attempt(), row.callbacks().statusUrl(), state.wire, nowMs, row.steps().expiresMs());
        }
        tx.afterCommit(() -> {
            inFlight.decrementAndGet();
            metrics.observeLatency(nowMs - row.steps().acceptedMs());
            metrics.counters.increment("hoft_front_finished_total", "state", state.wire);
            metrics.minutes.finished(nowMs, state.wire, nowMs - row.steps().acceptedMs());
            waiters.complete(id, new Waiters.Responded(response));
        });
    }

    /** These REQUEST messages expired before the back acknowledged them. */
    void sendExpired(StoreTx tx, List<MessageId> ids) {
        long nowMs = clock.millis();
        for (MessageId id : ids) {
            requests.findByMessage(tx, id.value()).ifPresent(row -> expire(tx, row, nowMs));
        }
    }

    private void expire(StoreTx tx, String id, long nowMs) {
        requests.find(tx, id).ifPresent(row -> expire(tx, row, nowMs));
    }

    private void expire(StoreTx tx, Row row, long nowMs) {
        String id = row.id();
        if (!requests.expire(tx, id, nowMs)) {
            return;
        }
        long deadlineMs = nowMs + Math.max(0, row.steps().expiresMs() - row.steps().acceptedMs());
        if (row.callbacks().resultUrl() != null) {
            scheduler.scheduleFailure(tx, id, row.attempt(), row.callbacks().resultUrl(), State.EXPIRED.wire, "expired", deadlineMs);
        }
        if (row.callbacks().statusUrl() != null) {
            scheduler.scheduleStatus(tx, id, row.attempt(), row.callbacks().statusUrl(), State.EXPIRED.wire, nowMs, deadlineMs);
        }
        tx.afterCommit(() -> {
            inFlight.decrementAndGet();
            metrics.counters.increment("hoft_front_finished_total", "state", State.EXPIRED.wire);
            metrics.minutes.finished(nowMs, State.EXPIRED.wire, null);
            waiters.complete(id, new Waiters.Expired());
        });
    }

    /**
     * Expires open calls past their TTL, then deletes finished calls {@code retention} past
     * their TTL with their response bodies; returns how many rows changed.
     */
    int sweep() {
        long nowMs = clock.millis();
        int changed = 0;
        for (int round = 0; round < 50; round++) {
            int n = store.inTransaction(tx -> {
                List<String> ids = requests.overdue(tx, nowMs, BATCH);
                ids.forEach(id -> expire(tx, id, nowMs));
                return ids.size();
            });
            changed += n;
            if (n < BATCH) {
                break;
            }
        }
        for (int round = 0; round < 50; round++) {
            int n = store.inTransaction(tx -> {
                List<String[]> rows = requests.prunable(tx, nowMs - retentionMs, BATCH);
                for (String[] row : rows) {
                    for (String body : new String[] {row[1], row[2]}) {
                        if (body != null) {
                            bodies.release(tx, body);
                        }
                    }
                    requests.delete(tx, row[0]);
                }
                return rows.size();
            });
            changed += n;
            if (n < BATCH) {
                break;
            }
        }
        return changed;
    }
}
