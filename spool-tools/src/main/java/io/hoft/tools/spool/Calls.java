package io.hoft.tools.spool;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.back.RecordedResponse;
import io.hoft.back.StoredRequest;
import io.hoft.front.StoredResponse;
import io.hoft.tools.Json;
import io.hoft.tools.Main;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.store.NodeSnapshot;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The calls a node's request store keeps, read through the stores' read-only views: the front's
 * {@code front_request} (one row per accepted call) or the back's {@code back_request} (one row
 * per request id received). Which one a node has says which kind of node it is.
 *
 * <p>Request header fields and bodies: the back keeps them with every row (the body until the
 * answer is recorded); the front keeps them since its schema step 2 (rows from before have
 * none, and then the body is {@link Body#notKept}).
 */
final class Calls {
    /** Which store a node has. */
    enum Side {
        FRONT("front"), BACK("back");

        final String wireName;

        Side(String wireName) {
            this.wireName = wireName;
        }
    }

    /** A body as a store keeps it: inline bytes, a body file, or nothing kept (only its length known). */
    record Body(byte[] inline, String fileName, long length) {
        static Body notKept(long length) {
            return new Body(null, null, length);
        }

        boolean kept() {
            return inline != null || fileName != null || length == 0;
        }

        /** The bytes, or empty if they are not kept (or the body file is gone). */
        Optional<byte[]> read(Path stateDir) throws IOException {
            if (inline != null) {
                return Optional.of(inline);
            }
            if (length == 0) {
                return Optional.of(new byte[0]);
            }
            if (fileName == null || !fileName.matches("[0-9a-f]{32}\\.body")) {
                return Optional.empty();
            }
            try {
                return Optional.of(Files.readAllBytes(stateDir.resolve("bodies").resolve(fileName)));
            } catch (NoSuchFileException e) {
                return Optional.empty(); // released meanwhile by the running node
            }
        }
    }

    /** One call, front or back, in the terms both share. Times are epoch ms, null when not reached. */
    record Call(Side side, String id, String state, int attempt, Routing routing, Steps steps, Request request,
            Response response, Callbacks callbacks, String replayOf, BackCounts counts) {

        /** The peer the call travelled to or came from. */
        String peer() {
            return routing.peer();
        }

        /** When the call last moved. */
        long lastChangeMs() {
            long last = steps.acceptedMs();
            for (Long t : new Long[] {steps.transferredMs(), steps.deliveredMs(), steps.callingMs(), steps.respondedMs(),
                    steps.expiredMs()}) {
                if (t != null && t > last) {
                    last = t;
                }
            }
            return last;
        }

        /** Why it failed: the Hoft-Error of the response, or {@code expired}. */
        String problem() {
            return response.error() != null ? response.error() : "expired".equals(state) ? "expired" : null;
        }
    }

    /** Where the call went: the peer, the front's route (null on a back), upstream, request line, caller (front only). */
    record Routing(String peer, String route, String upstream, String method, String target, String caller) {}

    /**
     * When it moved (epoch ms, null when not reached): accepted (a back: received), transferred
     * and delivered (front), calling (back), responded, expired (front), and when it expires.
     */
    record Steps(long acceptedMs, Long transferredMs, Long deliveredMs, Long callingMs, Long respondedMs, Long expiredMs,
            long expiresMs) {}

    /** The request as kept: its header fields (null if not kept) and body. */
    record Request(List<String[]> headers, Body body) {}

    /** The response: each part null until there is one. */
    record Response(Integer status, String reason, List<String[]> headers, Body body, String error) {
        static final Response NONE = new Response(null, null, null, null, null);
    }

    /** The front's callback URLs (null on a back, or when the caller asked for none). */
    record Callbacks(String url, String statusUrl) {}

    /** What the back counts: repeated deliveries of the request and connection attempts (0 on a front). */
    record BackCounts(long duplicates, long connectAttempts) {}

    private Calls() {}

    /** The kind of store the database holds, if any. */
    static Optional<Side> side(NodeSnapshot db) {
        return db.hasTable(io.hoft.front.internal.RequestStore.TABLE) ? Optional.of(Side.FRONT)
                : db.hasTable(io.hoft.back.RequestStore.TABLE) ? Optional.of(Side.BACK) : Optional.empty();
    }

    /** The side or a usage error: a node whose proxy never ran has no request store. */
    static Side requireSide(NodeSnapshot db, String command) {
        return side(db).orElseThrow(() -> new Main.UsageException("hoft spool " + command + ": " + db.file()
                + " has no request store (neither front_request nor back_request): the node's proxy has not run yet"));
    }

    /**
     * Calls, newest first, in the given states (all if empty), accepted at or after
     * {@code sinceMs} (if not null), at most {@code limit} (all if 0).
     */
    static List<Call> list(NodeSnapshot db, Side side, List<String> states, Long sinceMs, int limit) {
        return side == Side.FRONT
                ? io.hoft.front.internal.RequestStore.views(db.tx(), states, sinceMs, limit).stream().map(Calls::front).toList()
                : io.hoft.back.RequestStore.views(db.tx(), states, sinceMs, limit).stream().map(Calls::back).toList();
    }

    static long count(NodeSnapshot db, Side side, List<String> states, Long sinceMs) {
        return list(db, side, states, sinceMs, 0).size();
    }

    static Optional<Call> find(NodeSnapshot db, Side side, String id) {
        return side == Side.FRONT
                ? io.hoft.front.internal.RequestStore.view(db.tx(), id).map(Calls::front)
                : io.hoft.back.RequestStore.view(db.tx(), id).map(Calls::back);
    }

    private static Call front(io.hoft.front.internal.RequestStore.CallView view) {
        io.hoft.front.internal.RequestStore.Routing routing = view.routing();
        io.hoft.front.internal.RequestStore.Steps steps = view.steps();
        io.hoft.front.internal.RequestStore.KeptRequest request = view.request();
        StoredResponse response = view.response();
        boolean kept = request.headers() != null;
        return new Call(Side.FRONT, view.id(), view.state(), view.attempt(),
                new Routing(routing.peer(), routing.route(), routing.upstream(), routing.method(), routing.target(), routing.caller()),
                new Steps(steps.acceptedMs(), steps.transferredMs(), steps.deliveredMs(), null, steps.respondedMs(),
                        steps.expiredMs(), steps.expiresMs()),
                kept ? new Request(fields(request.headers()), new Body(request.bodyInline(), request.bodyName(), request.bodyLength()))
                        : new Request(null, Body.notKept(request.bodyLength())),
                response == null ? Response.NONE : new Response(response.status(), response.reason(), fields(response.headers()),
                        new Body(response.inlineBody(), response.bodyName(), response.bodyLength()), response.error()),
                new Callbacks(string(view.callbacks().resultUrl()), string(view.callbacks().statusUrl())), view.replayOf(),
                new BackCounts(0, 0));
    }

    private static Call back(io.hoft.back.RequestStore.CallView view) {
        StoredRequest request = view.request();
        RecordedResponse answer = view.answer();
        return new Call(Side.BACK, request.id().value(), request.state(), view.attempt(),
                new Routing(request.peer().value(), null, request.upstream(), request.method(), request.target(), null),
                new Steps(view.receivedMs(), null, null, view.callingMs(), view.respondedMs(), null, request.expiresMs()),
                new Request(fields(request.headers()), new Body(request.bodyInline(), request.bodyName(), request.bodyLength())),
                answer == null ? Response.NONE : new Response(answer.status(), answer.reason(), fields(answer.headers()),
                        new Body(answer.bodyInline(), answer.bodyName(), answer.bodyLength()), answer.error()),
                new Callbacks(null, null), null, new BackCounts(view.duplicates(), view.connectAttempts()));
    }

    private static List<String[]> fields(List<HeaderField> headers) {
        return headers.stream().map(f -> new String[] {f.name(), f.value()}).toList();
    }

    private static String string(URI uri) {
        return uri == null ? null : uri.toString();
    }

    static Optional<String> header(List<String[]> fields, String name) {
        if (fields == null) {
            return Optional.empty();
        }
        return fields.stream().filter(f -> f[0].equalsIgnoreCase(name)).map(f -> f[1]).findFirst();
    }

    /** The call as a JSON object of {@code hoft spool requests --json}. */
    static ObjectNode summary(Call call) {
        ObjectNode node = Json.object();
        node.put("id", call.id());
        node.put(call.side() == Side.FRONT ? "peer" : "fromPeer", call.peer());
        node.put("method", call.routing().method());
        node.put("target", call.routing().target());
        if (call.side() == Side.FRONT) {
            node.put("route", call.routing().route());
        }
        node.put("upstream", call.routing().upstream());
        node.put("status", call.state());
        node.put(call.side() == Side.FRONT ? "acceptedMs" : "receivedMs", call.steps().acceptedMs());
        node.put("lastChangeMs", call.lastChangeMs());
        node.put("expiresMs", call.steps().expiresMs());
        if (call.response().status() == null) {
            node.putNull("responseStatus");
        } else {
            node.put("responseStatus", call.response().status());
        }
        node.put("error", call.problem());
        node.put("attempt", call.attempt());
        if (call.side() == Side.FRONT) {
            node.put("replayOf", call.replayOf());
        } else {
            node.put("duplicates", call.counts().duplicates());
        }
        return node;
    }

}
