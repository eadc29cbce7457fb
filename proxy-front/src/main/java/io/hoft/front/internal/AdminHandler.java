package io.hoft.front.internal;

import io.hoft.front.CallbackScheduler;
import io.hoft.front.FrontConfig;
import io.hoft.front.internal.RequestStore.KeptRequest;
import io.hoft.front.internal.RequestStore.NewRequest;
import io.hoft.front.internal.RequestStore.RequestCopy;
import io.hoft.front.internal.RequestStore.Row;
import io.hoft.front.internal.RequestStore.State;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.BodyFiles;
import io.hoft.transport.store.NodeStore;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The operator's endpoints under {@code /_hoft/admin/} (POST only), which {@code hoft spool
 * replay} calls so that changes go through the running node rather than around it:
 *
 * <ul>
 *   <li>{@code /_hoft/admin/requests/{id}/resend}: a failed or expired call is sent again as a
 *       new call with a new id (same route, method, target, header fields, body and callback
 *       URLs; {@code replay_of} names the original). Answers {@code {"id", "replayOf", "status"}}.
 *       This is the way for a call whose callee may have been reached: the back answers
 *       every attempt of a known id whose callee may have acted from its record, without
 *       calling again;
 *   <li>{@code /_hoft/admin/requests/{id}/attempt}: a failed or expired call is sent again under
 *       the same id, as its next attempt (a new REQUEST message naming the request and the
 *       attempt number), if nothing the front knows says the callee was reached: it expired
 *       before the back reported calling, or it failed with an error the back makes only
 *       without calling ({@link io.hoft.front.SameIdAttempt}); else 409 {@code not-safe}. The
 *       back has the last word: it calls the callee only if its record says it never did, and
 *       otherwise answers from its record. Answers {@code {"id", "attempt", "status"}};
 *   <li>{@code /_hoft/admin/requests/{id}/redeliver}: the call's final callback (result, failure
 *       or expiry notice) is delivered again: its job is reopened, or scheduled anew if it was
 *       pruned. Answers {@code {"id", "callback", "reopened"}}.
 * </ul>
 *
 * <p>Who may call: only a client on a loopback address that presents the token of
 * {@code STATE/admin.json} as {@code Authorization: Bearer TOKEN}. The file is written (owner
 * only) when the server starts, with a fresh random token and the address to call, and deleted
 * when it stops; so whoever may call is whoever can read the node's state folder on this
 * machine, the same people who could change the database. Everyone else gets 404.
 */
final class AdminHandler {
    static final String PREFIX = "/_hoft/admin/";
    static final String FILE_NAME = "admin.json";
    private static final String REQUESTS = PREFIX + "requests/";

    private final NodeStore store;
    private final BodyFiles bodies;
    private final CallStateMachine calls;
    private final CallbackScheduler scheduler;
    private final FrontConfig.Limits limits;
    private final ReplyWriter writer;
    private final Clock clock;
    private final Path file;
    private final byte[] token;

    AdminHandler(NodeStore store, BodyFiles bodies, CallStateMachine calls, CallbackScheduler scheduler, FrontConfig.Limits limits,
            ReplyWriter writer, Clock clock, Path stateDir) {
        this.store = store;
        this.bodies = bodies;
        this.calls = calls;
        this.scheduler = scheduler;
        this.limits = limits;
        this.writer = writer;
        this.clock = clock;
        this.file = stateDir.resolve(FILE_NAME);
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        this.token = HexFormat.of().formatHex(random).getBytes(StandardCharsets.US_ASCII);
    }

    /** Writes {@code STATE/admin.json} (owner only) for the server listening on {@code address}. */
    void publish(InetSocketAddress address) throws IOException {
        InetAddress host = address.getAddress();
        String hostText = host == null || host.isAnyLocalAddress() || !host.isLoopbackAddress() ? "127.0.0.1"
                : host.getHostAddress().contains(":") ? "[" + host.getHostAddress() + "]" : host.getHostAddress();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("url", "http://" + hostText + ":" + address.getPort() + PREFIX);
        json.put("token", new String(token, StandardCharsets.US_ASCII));
        json.put("pid", ProcessHandle.current().pid());
        Path temp = file.resolveSibling(FILE_NAME + ".tmp");
        Files.deleteIfExists(temp);
        Files.createFile(temp);
        try {
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the state folder's own permissions must protect it
        }
        Files.write(temp, Json.bytes(json));
        try {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Deletes {@code STATE/admin.json}: the endpoints are gone with the server. */
    void withdraw() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // a stale file names a dead server; the CLI checks the node's lock first
        }
    }

    void handle(HttpServerExchange exchange) {
        writer.guarded(exchange, false, () -> {
            if (!allowed(exchange)) {
                throw HttpError.of(404, "not-found", "no such endpoint of the front");
            }
            if (!exchange.getRequestMethod().toString().equals("POST")) {
                throw new HttpError(405, "method-not-allowed", "the admin endpoints answer POST", null, Map.of("Allow", "POST"), true);
            }
            String path = exchange.getRequestPath();
            String rest = path.startsWith(REQUESTS) ? path.substring(REQUESTS.length()) : "";
            int slash = rest.indexOf('/');
            String id = slash < 0 ? "" : rest.substring(0, slash);
            String action = slash < 0 ? "" : rest.substring(slash + 1);
            if (!MessageId.isValid(id) || !(action.equals("resend") || action.equals("redeliver") || action.equals("attempt"))) {
                throw HttpError.of(404, "not-found", "no such admin endpoint");
            }
            writer.json(exchange, 200, action.equals("resend") ? resend(id) : action.equals("attempt") ? attempt(id)
                    : redeliver(id));
        });
    }

    private boolean allowed(HttpServerExchange exchange) {
        InetSocketAddress peer = exchange.getSourceAddress();
        if (peer == null || peer.getAddress() == null || !peer.getAddress().isLoopbackAddress()) {
            return false;
        }
        String header = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
        if (header == null || !header.startsWith("Bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(token, header.substring("Bearer ".length()).trim().getBytes(StandardCharsets.US_ASCII));
    }

    private Row find(String id) {
        return store.inTransaction(tx -> calls.requests().find(tx, id))
                .orElseThrow(() -> HttpError.of(404, "not-found", "no call " + id));
    }

    private Map<String, Object> resend(String id) throws IOException {
        Row row = find(id);
        if (row.state() != State.FAILED && row.state() != State.EXPIRED) {
            throw HttpError.of(409, "not-failed", "call " + id + " is " + row.state().wire
                    + "; only a failed or expired call is sent again");
        }
        KeptRequest kept = store.inTransaction(tx -> calls.requests().kept(tx, id))
                .orElseThrow(() -> HttpError.of(409, "request-not-kept", "the front did not keep the request of " + id
                        + " (it was accepted by an older version)"));
        // Two new names for a kept body file: one the channel takes over, one the new call keeps.
        Path forChannel = null;
        Path forCall = null;
        if (kept.bodyName() != null) {
            Path original = bodies.path(kept.bodyName());
            if (!Files.exists(original)) {
                throw HttpError.of(409, "body-missing", "the kept body of " + id + " is gone");
            }
            forChannel = calls.keepBody(original);
            forCall = calls.keepBody(original);
        }
        MessageId newId = MessageId.generate(clock);
        long nowMs = clock.millis();
        long expiresMs = nowMs + Math.max(1000, row.steps().expiresMs() - row.steps().acceptedMs());
        byte[] inline = kept.bodyInline() == null && kept.bodyName() == null ? new byte[0] : kept.bodyInline();
        Body body = forChannel != null ? Body.ofFile(forChannel) : Body.ofBytes(inline);
        Message request = new Message(newId, Instant.ofEpochMilli(nowMs), Instant.ofEpochMilli(expiresMs),
                new Envelope.Request(row.routing().method(), row.routing().target(), row.routing().upstream(), kept.headers()), body);
        NewRequest call = new NewRequest(newId.value(), row.routing(),
                new RequestCopy(kept.headers(), kept.bodyLength(), forChannel == null ? inline : null), nowMs, expiresMs,
                row.callbacks(), id);
        try {
            calls.accept(call, NodeId.of(row.routing().peer()), request, forCall, limits.maxInFlight(), limits.retryAfter());
        } catch (RuntimeException e) {
            for (Path path : new Path[] {forChannel, forCall}) {
                if (path != null) {
                    Files.deleteIfExists(path);
                }
            }
            throw e;
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", newId.value());
        json.put("replayOf", id);
        json.put("status", State.QUEUED.wire);
        return json;
    }

    /**
     * A new attempt of a failed or expired call under the same id, if the front sees nothing
     * that says the callee was reached (409 {@code not-safe} otherwise); the back decides.
     */
    private Map<String, Object> attempt(String id) throws IOException {
        Row row = find(id);
        String refusal = io.hoft.front.SameIdAttempt.refusal(row.state().wire, row.steps().deliveredMs() != null,
                row.response() == null ? null : row.response().error());
        if (refusal != null) {
            boolean ended = row.state() == State.FAILED || row.state() == State.EXPIRED;
            throw HttpError.of(409, ended ? "not-safe" : "not-failed", "call " + id + " is not sent again under the same id: "
                    + refusal + (ended ? "; send it as a new call instead" : ""));
        }
        KeptRequest kept = store.inTransaction(tx -> calls.requests().kept(tx, id))
                .orElseThrow(() -> HttpError.of(409, "request-not-kept", "the front did not keep the request of " + id
                        + " (it was accepted by an older version)"));
        Path forChannel = null;
        if (kept.bodyName() != null) {
            Path original = bodies.path(kept.bodyName());
            if (!Files.exists(original)) {
                throw HttpError.of(409, "body-missing", "the kept body of " + id + " is gone");
            }
            forChannel = calls.keepBody(original);
        }
        byte[] inline = kept.bodyInline() == null ? new byte[0] : kept.bodyInline();
        Body body = forChannel != null ? Body.ofFile(forChannel) : Body.ofBytes(inline);
        int attempt;
        try {
            attempt = calls.reattempt(row, kept.headers(), body, limits.maxInFlight(), limits.retryAfter());
        } catch (RuntimeException e) {
            if (forChannel != null) {
                Files.deleteIfExists(forChannel);
            }
            throw e;
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", id);
        json.put("attempt", attempt);
        json.put("status", State.QUEUED.wire);
        return json;
    }

    private Map<String, Object> redeliver(String id) {
        Row row = find(id);
        if (row.callbacks().resultUrl() == null) {
            throw HttpError.of(409, "no-callback", "call " + id + " has no callback URL");
        }
        if (!row.state().terminal()) {
            throw HttpError.of(409, "not-finished", "call " + id + " is " + row.state().wire + "; it has no final callback yet");
        }
        long nowMs = clock.millis();
        long deadlineMs = nowMs + Math.max(0, row.steps().expiresMs() - row.steps().acceptedMs());
        boolean reopened = store.inTransaction(tx -> {
            if (scheduler.redeliver(tx, id, row.attempt(), deadlineMs)) {
                return true;
            }
            Optional<Row> current = calls.requests().find(tx, id);
            Row r = current.orElseThrow(() -> HttpError.of(404, "not-found", "no call " + id));
            if (r.response() != null && !r.response().isError()) {
                scheduler.scheduleResult(tx, id, r.attempt(), r.callbacks().resultUrl(), r.callbacks().format(), r.response(),
                        deadlineMs);
            } else {
                String status = r.state() == State.EXPIRED ? State.EXPIRED.wire : State.FAILED.wire;
                String error = r.response() != null ? r.response().error() : "expired";
                scheduler.scheduleFailure(tx, id, r.attempt(), r.callbacks().resultUrl(), status, error, deadlineMs);
            }
            return false;
        });
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", id);
        json.put("callback", row.callbacks().resultUrl().toString());
        json.put("reopened", reopened);
        return json;
    }
}
