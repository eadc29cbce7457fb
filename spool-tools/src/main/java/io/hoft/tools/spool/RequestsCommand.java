package io.hoft.tools.spool;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.tools.Human;
import io.hoft.tools.Json;
import io.hoft.tools.Main;
import io.hoft.tools.Table;
import io.hoft.tools.spool.Calls.Call;
import io.hoft.tools.spool.Calls.Side;
import io.hoft.transport.config.NodeConfig;
import io.hoft.transport.store.NodeSnapshot;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code hoft spool requests}: the calls a node's request store keeps, newest first. */
@Command(name = "requests",
        mixinStandardHelpOptions = true,
        description = {
            "List the calls in a node's request store, newest first. On a front: id, status, method, target, route,"
                + " when accepted and when it last moved, the response status and the error (the Hoft-Error of a failed"
                + " call, or expired). On a back: id, the peer it came from, upstream, state (queued, calling, responded),"
                + " response status and error.",
            "Front states: queued, transferred (the back acknowledged it), delivered (the back is calling the callee),"
                + " responded, failed, expired. A finished call stays listed until its TTL plus the front's retention.",
            "Reads the database without changing it, beside a running node."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:listed (also when none match)", "2:usage or environment error (no --config, no request store)"},
        footer = {"", "Examples:",
            "  hoft spool requests --config front.yaml --status failed,expired --since 1h",
            "  hoft spool requests --config back.yaml --json"})
final class RequestsCommand implements Callable<Integer> {
    @Mixin
    ConfigOption node;

    @Option(names = "--status", paramLabel = "S", split = ",",
            description = "only calls in these states (front: queued, transferred, delivered, responded, failed, expired;"
                    + " back: queued, calling, responded)")
    List<String> statuses = new ArrayList<>();

    @Option(names = "--since", paramLabel = "T", converter = Since.Converter.class,
            description = "only calls accepted since T: a time (2026-11-22T12:00:00Z, epoch ms) or a duration ago (1h)")
    Since since;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
            description = "show at most N calls, the newest (default ${DEFAULT-VALUE}; 0 for all)")
    int limit;

    @Option(names = "--json", description = "print the calls as JSON")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (limit < 0) {
            throw new Main.UsageException("--limit must be 0 or more");
        }
        SpoolContext context = node.load();
        NodeConfig config = context.requireConfig("requests");
        Instant now = context.now();
        List<String> states = statuses.stream().map(s -> s.trim().toLowerCase(Locale.ROOT)).toList();
        Long sinceMs = since == null ? null : since.resolve(now).toEpochMilli();
        Optional<NodeSnapshot> opened = context.openDatabase();
        if (opened.isEmpty()) {
            throw new Main.UsageException("hoft spool requests: " + config.state() + " has no database yet: the node has never run");
        }
        Side side;
        List<Call> calls;
        long total;
        try (NodeSnapshot db = opened.get()) {
            side = Calls.requireSide(db, "requests");
            check(side, states);
            calls = Calls.list(db, side, states, sinceMs, limit);
            total = limit == 0 || calls.size() < limit ? calls.size() : Calls.count(db, side, states, sinceMs);
        }
        if (json) {
            ObjectNode document = Json.object();
            document.put("node", config.id());
            document.put("side", side.wireName);
            Json.putMs(document, "atMs", now);
            document.put("total", total);
            ArrayNode array = document.putArray("requests");
            calls.forEach(c -> array.add(Calls.summary(c)));
            Json.print(spec.commandLine().getOut(), document);
        } else {
            print(spec.commandLine().getOut(), config.id(), side, calls, total, now);
        }
        return Main.OK;
    }

    private static void check(Side side, List<String> states) {
        List<String> known = side == Side.FRONT
                ? List.of("queued", "transferred", "delivered", "responded", "failed", "expired")
                : List.of("queued", "calling", "responded");
        for (String state : states) {
            if (!known.contains(state)) {
                throw new Main.UsageException("--status: '" + state + "' is not a state of a " + side.wireName + "'s calls ("
                        + String.join(", ", known) + ")");
            }
        }
    }

    private static void print(PrintWriter out, String node, Side side, List<Call> calls, long total, Instant now) {
        out.println(side.wireName + " " + node + ": " + Human.count(total, "call")
                + (calls.size() < total ? ", the newest " + calls.size() + " shown (--limit)" : ""));
        if (calls.isEmpty()) {
            return;
        }
        Table table = side == Side.FRONT
                ? new Table("ID", "STATUS", "METHOD", "TARGET", "ROUTE", "RESP", "ACCEPTED", "CHANGED", "ERROR")
                : new Table("ID", "STATE", "FROM", "METHOD", "TARGET", "UPSTREAM", "RESP", "RECEIVED", "CHANGED", "ERROR");
        for (Call c : calls) {
            String accepted = Human.relative(Instant.ofEpochMilli(c.steps().acceptedMs()), now);
            String changed = Human.relative(Instant.ofEpochMilli(c.lastChangeMs()), now);
            if (side == Side.FRONT) {
                table.row(c.id(), c.state(), c.routing().method(), Human.escapeBytes(c.routing().target()), c.routing().route(),
                        c.response().status(), accepted, changed, c.problem());
            } else {
                table.row(c.id(), c.state(), c.peer(), c.routing().method(), Human.escapeBytes(c.routing().target()),
                        c.routing().upstream(), c.response().status(), accepted, changed, c.problem());
            }
        }
        table.print(out);
    }
}
