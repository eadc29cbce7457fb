package io.hoft.front.internal;

import io.hoft.front.internal.RequestStore.Row;
import io.hoft.front.internal.RequestStore.State;
import io.hoft.front.share.FrontShare;
import io.hoft.transport.channel.PeerHealth;
import io.hoft.transport.channel.Transport;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.NodeStore;
import io.undertow.server.HttpServerExchange;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The front's own endpoints under {@code /_hoft/} (GET and HEAD only):
 *
 * <ul>
 *   <li>{@code /_hoft/requests/{id}}: the call's state as JSON: {@code id}, {@code status},
 *       {@code method}, {@code target}, {@code route}, {@code timestamps} (those reached of
 *       accepted, transferred, delivered, responded or failed, expired), {@code expiresAt},
 *       {@code response} ({@code status} and {@code href}) once stored, {@code error} if any;
 *   <li>{@code /_hoft/requests/{id}/response}: the stored response verbatim; 404 while there
 *       is none; 504 with {@code Hoft-Error: expired} once the call expired without one;
 *   <li>{@code /_hoft/health}: {@code {"node", "inFlight", "peers": [{"id", "state",
 *       "lastHeard", "backlog": {...}}]}}, and for a peer that dials in, {@code "dialout":
 *       {"connected", "since", "remote", "lastHeard", "connections", "heldFiles"}};
 *   <li>{@code /_hoft/metrics}: Prometheus text format;
 *   <li>{@code /_hoft/ui} and below: the dashboard ({@link DashboardHandler}).
 * </ul>
 *
 * With caller authentication on, a call can only be read with the credential of the caller
 * who sent it (anyone else gets 404); the dashboard's data likewise. Health and metrics need no
 * credential.
 */
final class OpsHandler {
    private static final String REQUESTS = "/_hoft/requests/";

    private final String node;
    private final NodeStore store;
    private final Transport transport;
    private final CallStateMachine calls;
    private final Authenticator auth;
    private final ReplyWriter writer;
    private final FrontMetrics metrics;
    private final Waiters waiters;
    private final Supplier<Map<String, Long>> extraMetrics;
    private volatile java.util.function.Function<String, Map<String, Object>> dialoutState = peer -> null;

    private final DashboardHandler dashboard;

    /** {@code share} is null when the file share is off; {@code callbacksKept} as for {@link DashboardHandler}. */
    OpsHandler(String node, NodeStore store, Transport transport, CallStateMachine calls, Authenticator auth, ReplyWriter writer,
            FrontMetrics metrics, Waiters waiters, Supplier<Map<String, Long>> extraMetrics, FrontShare share,
            boolean callbacksKept, Clock clock) {
        this.dashboard = new DashboardHandler(node, store, calls, auth, writer, metrics, this::peers, share, callbacksKept,
                clock);
        this.node = node;
        this.store = store;
        this.transport = transport;
        this.calls = calls;
        this.auth = auth;
        this.writer = writer;
        this.metrics = metrics;
        this.waiters = waiters;
        this.extraMetrics = extraMetrics;
    }

    /** What health shows of each peer's dial-out connection (null for a peer on another kind of link). */
    void dialoutState(java.util.function.Function<String, Map<String, Object>> state) {
        this.dialoutState = state;
    }

    void handle(HttpServerExchange exchange) {
        writer.guarded(exchange, false, () -> {
            String method = exchange.getRequestMethod().toString();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                throw new HttpError(405, "method-not-allowed", "the front's endpoints answer GET and HEAD", null,
                        Map.of("Allow", "GET, HEAD"), true);
            }
            String path = exchange.getRequestPath();
            if (path.equals("/_hoft/health")) {
                writer.json(exchange, 200, health());
            } else if (path.equals("/_hoft/metrics")) {
                writer.text(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics());
            } else if (DashboardHandler.serves(path)) {
                dashboard.handle(exchange, path);
            } else if (path.startsWith(REQUESTS)) {
                request(exchange, path.substring(REQUESTS.length()));
            } else {
                throw HttpError.of(404, "not-found", "no such endpoint of the front");
            }
        });
    }

    private void request(HttpServerExchange exchange, String rest) throws IOException {
        boolean response = rest.endsWith("/response");
        String id = response ? rest.substring(0, rest.length() - "/response".length()) : rest;
        if (!MessageId.isValid(id)) {
            throw HttpError.of(404, "not-found", "no such call");
        }
        Authenticator.Caller caller = auth.authenticate(exchange.getRequestHeaders());
        Optional<Row> found = store.inTransaction(tx -> calls.requests().find(tx, id));
        if (found.isEmpty() || (auth.enabled() && !caller.id().equals(found.get().routing().caller()))) {
            throw HttpError.of(404, "not-found", "no such call");
        }
        Row row = found.get();
        if (!response) {
            writer.json(exchange, 200, describe(row));
        } else if (row.response() != null) {
            writer.stored(exchange, id, row.response());
        } else if (row.state() == State.EXPIRED) {
            writer.expired(exchange, id);
        } else {
            throw HttpError.of(404, "no-response-yet", "the call is " + row.state().wire + "; its response is not here yet");
        }
    }

    static Map<String, Object> describe(Row row) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", row.id());
        json.put("status", row.state().wire);
        json.put("method", row.routing().method());
        json.put("target", row.routing().target());
        json.put("route", row.routing().route());
        if (row.attempt() > 1) {
            json.put("attempt", row.attempt());
        }
        Map<String, Object> times = new LinkedHashMap<>();
        times.put("accepted", Json.time(row.steps().acceptedMs()));
        put(times, "transferred", row.steps().transferredMs());
        put(times, "delivered", row.steps().deliveredMs());
        put(times, row.state() == State.FAILED ? "failed" : "responded", row.steps().respondedMs());
        put(times, "expired", row.steps().expiredMs());
        json.put("timestamps", times);
        json.put("expiresAt", Json.time(row.steps().expiresMs()));
        if (row.response() != null) {
            Map<String, Object> response = new LinkedHashMap<>();
            response.put("status", row.response().status());
            response.put("href", REQUESTS + row.id() + "/response");
            json.put("response", response);
            if (row.response().error() != null) {
                json.put("error", row.response().error());
            }
        } else if (row.state() == State.EXPIRED) {
            json.put("error", "expired");
        }
        return json;
    }

    private static void put(Map<String, Object> times, String name, Long ms) {
        if (ms != null) {
            times.put(name, Json.time(ms));
        }
    }

    private Map<String, Object> health() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("node", node);
        json.put("inFlight", calls.inFlight());
        json.put("peers", peers());
        return json;
    }

    /** Each peer: its link state, when it was last heard from, its backlog both ways, its dial-out connection. */
    private List<Map<String, Object>> peers() {
        List<Map<String, Object>> peers = new ArrayList<>();
        for (PeerHealth peer : transport.health()) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("id", peer.peer().value());
            p.put("state", peer.state().wireName());
            p.put("lastHeard", peer.lastHeard() == null ? null : peer.lastHeard().toString());
            Map<String, Object> backlog = new LinkedHashMap<>();
            backlog.put("queuedMessages", peer.queuedMessages());
            backlog.put("unackedFiles", peer.unackedFiles());
            backlog.put("unackedBytes", peer.unackedBytes());
            backlog.put("oldestUnacked", peer.oldestUnacked() == null ? null : peer.oldestUnacked().toString());
            backlog.put("resends", peer.resends());
            backlog.put("inboundPendingFiles", peer.inboundPending());
            backlog.put("partialMessages", peer.partialMessages());
            p.put("backlog", backlog);
            Map<String, Object> dialout = dialoutState.apply(peer.peer().value());
            if (dialout != null) {
                p.put("dialout", dialout);
            }
            peers.add(p);
        }
        return peers;
    }

    private String metrics() {
        Map<String, Long> byState = store.inTransaction(RequestStore::countsByState);
        return metrics.render(new FrontMetrics.Gauges(node, transport.metrics().snapshot(), transport.health(), byState,
                calls.inFlight(), waiters.size(), extraMetrics.get()));
    }
}
