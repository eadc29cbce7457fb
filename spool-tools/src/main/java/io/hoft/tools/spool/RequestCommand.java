package io.hoft.tools.spool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.tools.Human;
import io.hoft.tools.Json;
import io.hoft.tools.Main;
import io.hoft.tools.spool.Calls.Call;
import io.hoft.tools.spool.Calls.Side;
import io.hoft.transport.channel.ChannelView;
import io.hoft.transport.config.NodeConfig;
import io.hoft.transport.message.MessageId;
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
        Optional<NodeDatabase> opened = context.openDatabase();
        if (opened.isEmpty()) {
            throw new Main.UsageException("hoft spool request: " + config.state() + " has no database yet: the node has never run");
        }
        ObjectNode document;
        try (NodeDatabase db = opened.get()) {
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

    static ObjectNode describe(NodeDatabase db, Call call, NodeConfig config, Instant now) {
        ObjectNode d = Json.object();
        d.put("node", config.id());
        d.put("side", call.side().wireName);
        Json.putMs(d, "atMs", now);
        ObjectNode request = Calls.summary(call);
        request.put("caller", call.caller());
        request.put("requestBodyLength", call.requestBody().length());
        request.put("requestKept", call.requestHeaders() != null && call.requestBody().kept());
        request.put("callbackUrl", call.callbackUrl());
        request.put("statusCallbackUrl", call.statusCallbackUrl());
        d.set("request", request);

        List<ObjectNode> events = new ArrayList<>();
        ArrayNode files = Json.array();
        ArrayNode callbacks = Json.array();
        if (call.side() == Side.FRONT) {
            event(events, "accepted", call.acceptedMs(), "from " + (call.caller() == null ? "an anonymous caller" : call.caller())
                    + " on route " + call.route() + " to " + call.peer() + " (upstream " + call.upstream() + ")");
            channel(db, call, events, files);
            event(events, "transferred", call.transferredMs(), "the back acknowledged the request");
            event(events, "delivered", call.deliveredMs(), "the back started calling the callee");
            if (call.respondedMs() != null) {
                event(events, "failed".equals(call.state()) ? "failed" : "responded", call.respondedMs(),
                        "status " + call.responseStatus() + (call.error() == null ? "" : ", Hoft-Error " + call.error()));
            }
            event(events, "expired", call.expiredMs(), "no response before the TTL (or the request was never acknowledged)");
            callbacks(db, call.id(), events, callbacks);
            ArrayNode replays = d.putArray("replays");
            if (db.hasTable(Calls.FRONT_TABLE) && hasReplayColumn(db)) {
                for (String replay : db.query("SELECT id FROM front_request WHERE replay_of = ? ORDER BY accepted_ms",
                        row -> row.getString(1), call.id())) {
                    replays.add(replay);
                }
            }
        } else {
            event(events, "received", call.acceptedMs(), "from " + call.peer() + " for upstream " + call.upstream());
            event(events, "calling", call.callingMs(), "connected to the callee after "
                    + Human.count(call.connectAttempts(), "attempt"));
            if (call.respondedMs() != null) {
                event(events, "answered", call.respondedMs(),
                        "status " + call.responseStatus() + (call.error() == null ? "" : ", Hoft-Error " + call.error()));
            }
            if (call.duplicates() > 0) {
                d.put("duplicates", call.duplicates());
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
        expiry.put("expiresMs", call.expiresMs());
        expiry.put("passed", call.expiresMs() < now.toEpochMilli());
        return d;
    }

    private static boolean hasReplayColumn(NodeDatabase db) {
        return db.queryLong("SELECT COUNT(*) FROM pragma_table_info('front_request') WHERE name = 'replay_of'") > 0;
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
    private static void channel(NodeDatabase db, Call call, List<ObjectNode> events, ArrayNode files) {
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

    /** The callback jobs and attempts ({@code CallbackDispatcher.history} reads the same, through a writable store). */
    private static void callbacks(NodeDatabase db, String id, List<ObjectNode> events, ArrayNode callbacks) {
        if (!db.hasTable("callback_job")) {
            return;
        }
        db.query("SELECT id, webhook_id, kind, url, event_status, state, failure, attempts, created_ms, expires_ms,"
                + " next_attempt_ms, ended_ms, last_error FROM callback_job WHERE request_id = ? ORDER BY id", row -> {
                    ObjectNode job = Json.object();
                    long jobId = row.getLong(1);
                    job.put("webhookId", row.getString(2));
                    job.put("kind", row.getString(3));
                    job.put("url", row.getString(4));
                    job.put("eventStatus", row.getString(5));
                    job.put("state", row.getString(6));
                    job.put("failure", row.getString(7));
                    job.put("attemptCount", row.getInt(8));
                    job.put("createdMs", row.getLong(9));
                    job.put("expiresMs", row.getLong(10));
                    if ("pending".equals(row.getString(6))) {
                        putLong(job, "nextAttemptMs", row, 11);
                    } else {
                        job.putNull("nextAttemptMs");
                    }
                    putLong(job, "endedMs", row, 12);
                    job.put("lastError", row.getString(13));
                    job.set("attempts", Json.array());
                    callbacks.add(job);
                    return jobId;
                }, id);
        for (JsonNode job : callbacks) {
            ArrayNode attempts = (ArrayNode) job.get("attempts");
            String label = job.get("kind").asText() + " callback (" + job.get("eventStatus").asText() + ")";
            db.query("SELECT a.attempt, a.started_ms, a.duration_ms, a.http_status, a.outcome, a.error FROM callback_attempt a"
                    + " JOIN callback_job j ON j.id = a.job_id WHERE j.webhook_id = ? ORDER BY a.attempt", row -> {
                        ObjectNode attempt = Json.object();
                        attempt.put("number", row.getInt(1));
                        attempt.put("startedMs", row.getLong(2));
                        attempt.put("durationMs", row.getLong(3));
                        int status = row.getInt(4);
                        if (row.wasNull()) {
                            attempt.putNull("httpStatus");
                        } else {
                            attempt.put("httpStatus", status);
                        }
                        attempt.put("outcome", row.getString(5));
                        attempt.put("error", row.getString(6));
                        attempts.add(attempt);
                        event(events, "callback", row.getLong(2), label + " attempt " + row.getInt(1) + " to "
                                + job.get("url").asText() + ": " + row.getString(5)
                                + (row.wasNull() ? "" : "") + (attempt.get("httpStatus").isNull() ? "" : " (HTTP " + status + ")")
                                + (row.getString(6) == null ? "" : ", " + row.getString(6)));
                        return null;
                    }, job.get("webhookId").asText());
            if (attempts.isEmpty()) {
                event(events, "callback", job.get("createdMs").asLong(), label + " to " + job.get("url").asText()
                        + " scheduled, not tried yet");
            }
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
