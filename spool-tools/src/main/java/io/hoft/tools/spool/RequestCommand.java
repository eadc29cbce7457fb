package io.hoft.tools.spool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.front.callback.CallbackDispatcher;
import io.hoft.front.callback.CallbackHistory;
import io.hoft.front.internal.RequestStore;
import io.hoft.tools.Human;
import io.hoft.tools.Json;
import io.hoft.tools.Main;
import io.hoft.tools.spool.Calls.Call;
import io.hoft.tools.spool.Calls.Side;
import io.hoft.transport.channel.ChannelView;
import io.hoft.transport.config.NodeConfig;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.NodeSnapshot;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code hoft spool request ID}: the life of one call, from the node's stores: the request
 * table, the channel's tables (which data file carried it, with its sequence number, attempts
 * and acknowledgement, while the channel still remembers them: an hour after the
 * acknowledgement) and, on a front, the callback jobs and their attempts.
 */
@Command(name = "request",
        mixinStandardHelpOptions = true,
        description = {
            "Show the life of one call. On a front: accepted; queued in the channel and sent in which spool file (epoch,"
                + " sequence, attempts; the channel forgets files an hour after their acknowledgement); transferred (the"
                + " back acknowledged it); delivered (the back started calling the callee); responded or failed, with the"
                + " response status and error; expired; when it expires; callback jobs with every attempt and its result;"
                + " replays made of it. On a back: received, calling (connect attempts), answered, duplicates.",
            "Reads the database without changing it, beside a running node."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:shown", "1:no such call in the node's store", "2:usage or environment error"},
        footer = {"", "Example: hoft spool request 01JD4X8Y9Z... --config front.yaml --json"})
final class RequestCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID", description = "the call's id (the Hoft-Request-Id the front answered with)")
    String id;

    @Mixin
    ConfigOption node;

    @Option(names = "--json", description = "print the call's life as JSON")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        SpoolContext context = node.load();
        NodeConfig config = context.requireConfig("request");
        if (!MessageId.isValid(id)) {
            throw new Main.UsageException("'" + id + "' is not a request id");
        }
        Instant now = context.now();
        Optional<NodeSnapshot> opened = context.openDatabase();
        if (opened.isEmpty()) {
            throw new Main.UsageException("hoft spool request: " + config.state() + " has no database yet: the node has never run");
        }
        ObjectNode document;
        try (NodeSnapshot db = opened.get()) {
            Side side = Calls.requireSide(db, "request");
            Optional<Call> found = Calls.find(db, side, id);
            if (found.isEmpty()) {
                spec.commandLine().getErr().println("hoft: no call " + id + " in the " + side.wireName + " " + config.id()
                        + "'s store (finished calls are removed after their TTL plus the retention)");
                return Main.FOUND_WRONG;
            }
            document = describe(db, found.get(), config, now);
        }
        if (json) {
            Json.print(spec.commandLine().getOut(), document);
        } else {
            print(spec.commandLine().getOut(), document, now);
        }
        return Main.OK;
    }

    static ObjectNode describe(NodeSnapshot db, Call call, NodeConfig config, Instant now) {
        ObjectNode d = Json.object();
        d.put("node", config.id());
        d.put("side", call.side().wireName);
        Json.putMs(d, "atMs", now);
        ObjectNode request = Calls.summary(call);
        request.put("caller", call.routing().caller());
        request.put("requestBodyLength", call.request().body().length());
        request.put("requestKept", call.request().headers() != null && call.request().body().kept());
        request.put("callbackUrl", call.callbacks().url());
        request.put("statusCallbackUrl", call.callbacks().statusUrl());
        d.set("request", request);

        List<ObjectNode> events = new ArrayList<>();
        ArrayNode files = Json.array();
        ArrayNode callbacks = Json.array();
        if (call.side() == Side.FRONT) {
            String caller = call.routing().caller();
            event(events, "accepted", call.steps().acceptedMs(), "from " + (caller == null ? "an anonymous caller" : caller)
                    + " on route " + call.routing().route() + " to " + call.peer() + " (upstream " + call.routing().upstream() + ")");
            channel(db, call, events, files);
            event(events, "transferred", call.steps().transferredMs(), "the back acknowledged the request");
            event(events, "delivered", call.steps().deliveredMs(), "the back started calling the callee");
            if (call.steps().respondedMs() != null) {
                event(events, "failed".equals(call.state()) ? "failed" : "responded", call.steps().respondedMs(),
                        outcome(call));
            }
            event(events, "expired", call.steps().expiredMs(), "no response before the TTL (or the request was never acknowledged)");
            callbacks(db, call.id(), events, callbacks);
            ArrayNode replays = d.putArray("replays");
            RequestStore.replaysOf(db.tx(), call.id()).forEach(replays::add);
        } else {
            event(events, "received", call.steps().acceptedMs(), "from " + call.peer() + " for upstream " + call.routing().upstream());
            event(events, "calling", call.steps().callingMs(), "connected to the callee after "
                    + Human.count(call.counts().connectAttempts(), "attempt"));
            if (call.steps().respondedMs() != null) {
                event(events, "answered", call.steps().respondedMs(),
                        outcome(call));
            }
            if (call.counts().duplicates() > 0) {
                d.put("duplicates", call.counts().duplicates());
            }
        }
        events.sort(Comparator.comparingLong(e -> e.get("atMs").asLong()));
        ArrayNode array = d.putArray("events");
        events.forEach(array::add);
        d.set("files", files);
        if (call.side() == Side.FRONT) {
            d.set("callbacks", callbacks);
        }
        ObjectNode expiry = d.putObject("expiry");
        expiry.put("expiresMs", call.steps().expiresMs());
        expiry.put("passed", call.steps().expiresMs() < now.toEpochMilli());
        return d;
    }

    /** The response's status and Hoft-Error, as an event tells them. */
    private static String outcome(Call call) {
        String error = call.response().error();
        return "status " + call.response().status() + (error == null ? "" : ", Hoft-Error " + error);
    }

    private static void event(List<ObjectNode> events, String name, Long atMs, String detail) {
        if (atMs == null) {
            return;
        }
        ObjectNode e = Json.object();
        e.put("event", name);
        e.put("atMs", atMs);
        e.put("detail", detail);
        events.add(e);
    }

    /** The channel's memory of the REQUEST message and the files that carried it. */
    private static void channel(NodeSnapshot db, Call call, List<ObjectNode> events, ArrayNode files) {
        if (!ChannelView.exists(db.tx())) {
            return;
        }
        ChannelView.sentMessage(db.tx(), call.peer(), call.id()).ifPresent(message -> event(events, "queued",
                message.enqueuedMs(), "in the channel to " + call.peer() + " (" + (message.lane() == 0 ? "small" : "bulk")
                        + " lane" + (message.fragmentCount() > 1 ? ", " + message.fragmentCount() + " fragments" : "")
                        + "); message now " + message.state()));
        for (ChannelView.MessageFile sent : ChannelView.filesOf(db.tx(), call.peer(), call.id())) {
            ObjectNode file = files.addObject();
            file.put("name", sent.name());
            file.put("epoch", sent.epoch());
            file.put("seq", sent.seq());
            file.put("state", sent.state());
            file.put("attempts", sent.attempts());
            file.put("firstSentMs", sent.firstSentMs());
            file.put("lastSentMs", sent.lastSentMs());
            file.put("settledMs", sent.settledMs());
            file.put("size", sent.size());
            file.put("fragment", sent.fragment());
            if (sent.firstSentMs() != null) {
                event(events, "sent", sent.firstSentMs(), "in " + sent.name() + " (epoch " + sent.epoch()
                        + ", seq " + sent.seq() + ", " + Human.count(sent.attempts(), "attempt") + ")");
            }
            if (sent.settledMs() != null) {
                event(events, "file " + sent.state(), sent.settledMs(), "seq " + sent.seq());
            }
        }
    }

    private static void putLong(ObjectNode node, String name, java.sql.ResultSet row, int column) throws java.sql.SQLException {
        long value = row.getLong(column);
        if (row.wasNull()) {
            node.putNull(name);
        } else {
            node.put(name, value);
        }
    }

    /** The callback jobs and attempts, through the callback store's read-only view. */
    private static void callbacks(NodeSnapshot db, String id, List<ObjectNode> events, ArrayNode callbacks) {
        if (!db.hasTable(CallbackDispatcher.JOBS_TABLE)) {
            return;
        }
        for (CallbackHistory history : CallbackDispatcher.history(db.tx(), id)) {
            ObjectNode job = callbacks.addObject();
            job.put("webhookId", history.webhookId());
            job.put("kind", history.kind());
            job.put("url", history.url());
            job.put("eventStatus", history.eventStatus());
            job.put("state", history.state());
            job.put("failure", history.failure());
            job.put("attemptCount", history.attemptCount());
            job.put("createdMs", history.createdMs());
            job.put("expiresMs", history.expiresMs());
            putLong(job, "nextAttemptMs", history.nextAttemptMs());
            putLong(job, "endedMs", history.endedMs());
            job.put("lastError", history.lastError());
            ArrayNode attempts = job.putArray("attempts");
            String label = history.kind() + " callback (" + history.eventStatus() + ")";
            for (CallbackHistory.Attempt tried : history.attempts()) {
                ObjectNode attempt = attempts.addObject();
                attempt.put("number", tried.number());
                attempt.put("startedMs", tried.startedMs());
                attempt.put("durationMs", tried.durationMs());
                putLong(attempt, "httpStatus", tried.httpStatus() == null ? null : tried.httpStatus().longValue());
                attempt.put("outcome", tried.outcome());
                attempt.put("error", tried.error());
                event(events, "callback", tried.startedMs(), label + " attempt " + tried.number() + " to " + history.url() + ": "
                        + tried.outcome() + (tried.httpStatus() == null ? "" : " (HTTP " + tried.httpStatus() + ")")
                        + (tried.error() == null ? "" : ", " + tried.error()));
            }
            if (attempts.isEmpty()) {
                event(events, "callback", history.createdMs(), label + " to " + history.url() + " scheduled, not tried yet");
            }
        }
    }

    private static void putLong(ObjectNode node, String name, Long value) {
        if (value == null) {
            node.putNull(name);
        } else {
            node.put(name, value);
        }
    }

    private static void print(PrintWriter out, ObjectNode d, Instant now) {
        JsonNode r = d.get("request");
        out.println("call " + r.get("id").asText() + " on " + d.get("side").asText() + " " + d.get("node").asText() + ": "
                + r.get("status").asText() + (r.get("error").isNull() ? "" : " (" + r.get("error").asText() + ")"));
        out.println("  " + r.get("method").asText() + " " + Human.escapeBytes(r.get("target").asText())
                + "  upstream " + r.get("upstream").asText()
                + (r.get("responseStatus").isNull() ? "" : "  response " + r.get("responseStatus").asInt()));
        if (!r.path("replayOf").isNull() && r.has("replayOf")) {
            out.println("  a replay of " + r.get("replayOf").asText());
        }
        out.println();
        for (JsonNode e : d.get("events")) {
            Instant at = Instant.ofEpochMilli(e.get("atMs").asLong());
            out.println("  " + Human.instant(at) + "  " + pad(e.get("event").asText(), 12) + e.get("detail").asText());
        }
        JsonNode expiry = d.get("expiry");
        Instant expires = Instant.ofEpochMilli(expiry.get("expiresMs").asLong());
        out.println("  " + Human.instant(expires) + "  " + pad("ttl", 12) + (expiry.get("passed").asBoolean() ? "passed "
                + Human.relative(expires, now) : "ends " + Human.relative(expires, now)));
        if (d.has("replays") && !d.get("replays").isEmpty()) {
            List<String> ids = new ArrayList<>();
            d.get("replays").forEach(x -> ids.add(x.asText()));
            out.println();
            out.println("  replayed as " + String.join(", ", ids));
        }
    }

    private static String pad(String text, int width) {
        return text.length() >= width ? text + " " : text + " ".repeat(width - text.length());
    }
}
