package io.hoft.front.internal;

import io.hoft.front.callback.CallbackDispatcher;
import io.hoft.front.callback.CallbackHistory;
import io.hoft.front.internal.RequestStore.Row;
import io.hoft.front.internal.RequestStore.Summary;
import io.hoft.front.share.FrontShare;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.NodeStore;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The dashboard, {@code /_hoft/ui}: a page for people, with every asset served from the
 * front's own jar (nothing from another host: air-gapped sites have no CDN).
 *
 * <ul>
 *   <li>{@code /_hoft/ui}, {@code /_hoft/ui/app.js}, {@code /_hoft/ui/app.css}: the page and its
 *       script and styles. They hold no data, so they need no credential: a browser cannot send
 *       a bearer token when it opens a page, so the page asks for it and sends it with each
 *       request for data below;
 *   <li>{@code /_hoft/ui/api/overview}: JSON of the node, each peer's link state and backlog both
 *       ways (as {@code /_hoft/health} shows it), the latest calls, callbacks pending or failed,
 *       and the file share's catalog;
 *   <li>{@code /_hoft/ui/api/calls/{id}}: one call as {@code /_hoft/requests/{id}} shows it, with
 *       the attempts of its callbacks: its timeline;
 *   <li>{@code /_hoft/ui/charts/calls.svg}, {@code /_hoft/ui/charts/latency.svg}: calls per
 *       minute by status and p50/p99 latency over the last hour ({@link MinuteHistory}), drawn
 *       on the server ({@link SvgChart}).
 * </ul>
 *
 * Data needs the same credential as {@code /_hoft/requests}, and with caller authentication on
 * a caller sees only its own calls and their callbacks (another's call is 404). Every answer
 * carries a Content-Security-Policy that lets the page load and connect to this front only.
 */
final class DashboardHandler {
    static final String PREFIX = "/_hoft/ui";
    static final int LATEST_CALLS = 50;
    static final int CALLBACKS = 50;
    static final int CATALOG_FILES = 200;

    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            + " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    /** The page's files by path under {@link #PREFIX}, read from the jar once. */
    private static final Map<String, Asset> ASSETS = Map.of(
            "", Asset.of("index.html", "text/html; charset=utf-8"),
            "/", Asset.of("index.html", "text/html; charset=utf-8"),
            "/app.js", Asset.of("app.js", "text/javascript; charset=utf-8"),
            "/app.css", Asset.of("app.css", "text/css; charset=utf-8"));
    private static final String CALLS = "/api/calls/";

    private final String node;
    private final NodeStore store;
    private final CallStateMachine calls;
    private final Authenticator auth;
    private final ReplyWriter writer;
    private final FrontMetrics metrics;
    private final Supplier<List<Map<String, Object>>> peers;
    private final FrontShare share;
    private final boolean callbacksKept;
    private final Clock clock;

    /**
     * {@code peers} gives each peer as {@code /_hoft/health} shows it; {@code share} is null
     * when the file share is off; {@code callbacksKept} says whether the front's callback tables
     * exist (the real dispatcher, not a test's stand-in).
     */
    DashboardHandler(String node, NodeStore store, CallStateMachine calls, Authenticator auth, ReplyWriter writer,
            FrontMetrics metrics, Supplier<List<Map<String, Object>>> peers, FrontShare share, boolean callbacksKept, Clock clock) {
        this.node = node;
        this.store = store;
        this.calls = calls;
        this.auth = auth;
        this.writer = writer;
        this.metrics = metrics;
        this.peers = peers;
        this.share = share;
        this.callbacksKept = callbacksKept;
        this.clock = clock;
    }

    static boolean serves(String path) {
        return path.equals(PREFIX) || path.startsWith(PREFIX + "/");
    }

    /** Answers a GET or HEAD under {@link #PREFIX}; the caller checked the method. */
    void handle(HttpServerExchange exchange, String path) throws IOException {
        String rest = path.substring(PREFIX.length());
        exchange.getResponseHeaders().put(new HttpString("Content-Security-Policy"), CSP);
        exchange.getResponseHeaders().put(new HttpString("X-Content-Type-Options"), "nosniff");
        exchange.getResponseHeaders().put(new HttpString("Referrer-Policy"), "no-referrer");
        Asset asset = ASSETS.get(rest);
        if (asset != null) {
            exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-cache");
            send(exchange, asset.contentType(), asset.bytes());
            return;
        }
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
        Authenticator.Caller caller = auth.authenticate(exchange.getRequestHeaders());
        String callerId = auth.enabled() ? caller.id() : null;
        if (rest.equals("/api/overview")) {
            writer.json(exchange, 200, overview(callerId));
        } else if (rest.startsWith(CALLS)) {
            writer.json(exchange, 200, call(callerId, rest.substring(CALLS.length())));
        } else if (rest.equals("/charts/calls.svg")) {
            send(exchange, "image/svg+xml; charset=utf-8", callsChart().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } else if (rest.equals("/charts/latency.svg")) {
            send(exchange, "image/svg+xml; charset=utf-8", latencyChart().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } else {
            throw HttpError.of(404, "not-found", "no such part of the dashboard");
        }
    }

    private Map<String, Object> overview(String caller) {
        long nowMs = clock.millis();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("node", node);
        json.put("now", Json.time(nowMs));
        json.put("caller", caller);
        json.put("inFlight", calls.inFlight());
        json.put("peers", peers.get());
        List<Summary> latest = store.inTransaction(tx -> calls.requests().latest(tx, caller, LATEST_CALLS));
        List<Map<String, Object>> calls = new ArrayList<>(latest.size());
        for (Summary call : latest) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("id", call.id());
            c.put("method", call.method());
            c.put("target", call.target());
            c.put("status", call.state().wire);
            c.put("responseStatus", call.responseStatus());
            c.put("accepted", Json.time(call.acceptedMs()));
            c.put("finished", time(call.finishedMs()));
            if (call.attempt() > 1) {
                c.put("attempt", call.attempt());
            }
            calls.add(c);
        }
        json.put("calls", calls);
        json.put("callbacks", callbacks(caller));
        Map<String, Object> files = new LinkedHashMap<>();
        files.put("enabled", share != null);
        if (share != null) {
            files.put("total", share.catalogSize());
            files.put("files", share.catalog(CATALOG_FILES).stream().map(f -> {
                Map<String, Object> file = new LinkedHashMap<>();
                file.put("path", f.path());
                file.put("size", f.size());
                file.put("modified", Json.time(f.modifiedMs()));
                file.put("peer", f.peer());
                return file;
            }).toList());
        }
        json.put("share", files);
        return json;
    }

    private List<Map<String, Object>> callbacks(String caller) {
        if (!callbacksKept) {
            return List.of();
        }
        List<CallbackHistory> jobs = CallbackDispatcher.unfinished(store, CALLBACKS);
        if (caller != null) {
            Set<String> ids = jobs.stream().map(CallbackHistory::requestId).collect(Collectors.toSet());
            Set<String> own = store.inTransaction(tx -> calls.requests().ownedBy(tx, caller, ids));
            jobs = jobs.stream().filter(job -> own.contains(job.requestId())).toList();
        }
        List<Map<String, Object>> list = new ArrayList<>(jobs.size());
        for (CallbackHistory job : jobs) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("requestId", job.requestId());
            c.put("kind", job.kind());
            c.put("event", job.eventStatus());
            c.put("url", job.url());
            c.put("state", job.state().equals("pending") && job.attemptCount() > 0 ? "failing" : job.state());
            c.put("attempts", job.attemptCount());
            c.put("lastError", job.lastError());
            c.put("failure", job.failure());
            c.put("nextAttempt", time(job.nextAttemptMs()));
            c.put("ended", time(job.endedMs()));
            list.add(c);
        }
        return list;
    }

    private Map<String, Object> call(String caller, String id) {
        if (!MessageId.isValid(id)) {
            throw HttpError.of(404, "not-found", "no such call");
        }
        Optional<Row> found = store.inTransaction(tx -> calls.requests().find(tx, id));
        if (found.isEmpty() || (caller != null && !caller.equals(found.get().routing().caller()))) {
            throw HttpError.of(404, "not-found", "no such call");
        }
        Map<String, Object> json = OpsHandler.describe(found.get());
        List<Map<String, Object>> callbacks = new ArrayList<>();
        if (callbacksKept) {
            for (CallbackHistory job : CallbackDispatcher.history(store, id)) {
                Map<String, Object> c = new LinkedHashMap<>();
                c.put("kind", job.kind());
                c.put("event", job.eventStatus());
                c.put("url", job.url());
                c.put("state", job.state());
                c.put("created", Json.time(job.createdMs()));
                List<Map<String, Object>> attempts = new ArrayList<>();
                for (CallbackHistory.Attempt attempt : job.attempts()) {
                    Map<String, Object> a = new LinkedHashMap<>();
                    a.put("number", attempt.number());
                    a.put("started", Json.time(attempt.startedMs()));
                    a.put("durationMs", attempt.durationMs());
                    a.put("httpStatus", attempt.httpStatus());
                    a.put("outcome", attempt.outcome());
                    a.put("error", attempt.error());
                    attempts.add(a);
                }
                c.put("attempts", attempts);
                callbacks.add(c);
            }
        }
        json.put("callbacks", callbacks);
        return json;
    }

    private String callsChart() {
        MinuteHistory.Snapshot hour = metrics.minutes.snapshot(clock.millis());
        List<SvgChart.Series> series = new ArrayList<>();
        series.add(new SvgChart.Series("accepted", "#4e79a7", doubles(hour.accepted())));
        series.add(new SvgChart.Series("responded", "#59a14f", doubles(hour.finished().get("responded"))));
        series.add(new SvgChart.Series("failed", "#e15759", doubles(hour.finished().get("failed"))));
        series.add(new SvgChart.Series("expired", "#f28e2b", doubles(hour.finished().get("expired"))));
        return SvgChart.render("Calls per minute", series, SvgChart::count, true);
    }

    private String latencyChart() {
        MinuteHistory.Snapshot hour = metrics.minutes.snapshot(clock.millis());
        return SvgChart.render("Latency", List.of(new SvgChart.Series("p50", "#4e79a7", hour.p50Seconds()),
                new SvgChart.Series("p99", "#b07aa1", hour.p99Seconds())), SvgChart::seconds);
    }

    private static String time(Long ms) {
        return ms == null ? null : Json.time(ms);
    }

    private static List<Double> doubles(long[] values) {
        List<Double> list = new ArrayList<>(values.length);
        for (long value : values) {
            list.add((double) value);
        }
        return list;
    }

    private static void send(HttpServerExchange exchange, String contentType, byte[] bytes) {
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, contentType);
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, bytes.length);
        if (exchange.getRequestMethod().equalToString("HEAD")) {
            exchange.endExchange();
        } else {
            exchange.getResponseSender().send(ByteBuffer.wrap(bytes));
        }
    }

    private record Asset(String contentType, byte[] bytes) {
        static Asset of(String name, String contentType) {
            try (InputStream in = DashboardHandler.class.getResourceAsStream("/io/hoft/front/ui/" + name)) {
                if (in == null) {
                    throw new IllegalStateException("the dashboard's " + name + " is missing from the jar");
                }
                return new Asset(contentType, in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
