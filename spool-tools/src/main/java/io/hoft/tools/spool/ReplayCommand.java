package io.hoft.tools.spool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.front.SameIdAttempt;
import io.hoft.tools.Human;
import io.hoft.tools.Json;
import io.hoft.tools.Main;
import io.hoft.tools.spool.Calls.Call;
import io.hoft.tools.spool.Calls.Side;
import io.hoft.transport.channel.NodeLock;
import io.hoft.transport.config.NodeConfig;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.NodeSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code hoft spool replay ID}: do a call again.
 *
 * <p>Four replays, each first planned from the database (read-only; {@code --dry-run} stops
 * there and changes nothing):
 * <ul>
 *   <li>attempt (the default for a failed or expired call): the call is sent again under the
 *       same id, as its next attempt, through the running front's admin endpoint, if nothing
 *       says its callee was reached: it expired before the back reported calling, or it failed
 *       with an error the back makes only without calling ({@code upstream-unreachable},
 *       {@code expired}, {@code upstream-forbidden}). The back has the last word: it calls the
 *       callee only if its own record shows it never did, else it answers from that record. A
 *       call that timed out or was interrupted (the callee may have acted) is refused here, with
 *       a pointer to {@code --new-id};
 *   <li>resend ({@code --new-id}): a failed or expired call of a front goes out again as a new
 *       call with a new id, through the running front's admin endpoint, so the front's lock,
 *       transactions and channel stay the only writers;
 *   <li>redeliver ({@code --callback}, or by default for a responded call with a callback): the
 *       call's final callback is delivered again, through the same endpoint;
 *   <li>{@code --to URL}: the captured request (front or back store) is sent to URL from here,
 *       for debugging; nothing of the node changes.
 * </ul>
 * The admin endpoint takes only loopback clients holding the token the running front wrote to
 * {@code STATE/admin.json}. A front that is not running is not changed: replay says so (exit 2).
 */
@Command(name = "replay",
        mixinStandardHelpOptions = true,
        description = {
            "Do a call again. A failed or expired call on a front is sent again under the SAME id, as its next attempt,"
                + " when its callee was provably never reached: it expired before the back started calling, or the back"
                + " answered upstream-unreachable (connection refused, no route, DNS), expired or upstream-forbidden. The"
                + " back decides: it calls the callee for the new attempt only if its own record of the id says the callee"
                + " was never called, and otherwise answers the attempt from that record, so a callee is never called twice"
                + " for one id. A call that timed out (504 upstream-timeout), broke off after the request was sent"
                + " (upstream-failed) or was interrupted (upstream-interrupted) may have been acted on: replay refuses it"
                + " under the same id; --new-id sends it again as a new call with a new id (same route, method, target,"
                + " header fields, body and callbacks; the new call records which it replays), which the callee gets"
                + " again. The callbacks of attempt N (2, 3, ...) are new events with webhook-ids of their own: the final"
                + " one is ID-result-N, status events ID-status-STATUS-N.",
            "A responded call with a callback, or --callback: its final callback is delivered again (same webhook-id)."
                + " --to URL: the captured request is sent to URL from here, for debugging, and the response shown; the"
                + " node is not touched.",
            "Attempts, resends and redeliveries go through the running front (its admin endpoint, reached on loopback"
                + " with the token the front writes to STATE/admin.json), never around it; if the front is not running,"
                + " nothing is changed (exit 2).",
            "--dry-run shows what would be done and changes nothing."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done (or, with --dry-run, possible)",
            "1:the call cannot be replayed that way (unknown, still open, may have reached its callee and no --new-id,"
                + " request not kept, no callback, refused, or --to got no response)",
            "2:usage or environment error (no --config, the front is not running)"},
        footer = {"", "Examples:",
            "  hoft spool replay 01JD4X8Y9Z... --config front.yaml --dry-run",
            "  hoft spool replay 01JD4X8Y9Z... --config front.yaml --new-id",
            "  hoft spool replay 01JD4X8Y9Z... --config front.yaml --callback",
            "  hoft spool replay 01JD4X8Y9Z... --config front.yaml --to http://127.0.0.1:9000"})
final class ReplayCommand implements Callable<Integer> {
    /** Fields Java's HTTP client sets itself and refuses from callers; --to sends everything else. */
    private static final Set<String> CLIENT_OWNED = Set.of("connection", "content-length", "expect", "host", "upgrade",
            "transfer-encoding", "keep-alive", "te", "trailer", "proxy-connection", "http2-settings");

    @Parameters(paramLabel = "ID", description = "the call's id")
    String id;

    @Mixin
    ConfigOption node;

    static final class Mode {
        @Option(names = "--new-id", description = "send a failed or expired call again as a new call with a new id, even"
                + " if its callee may have been reached")
        boolean newId;

        @Option(names = "--callback", description = "deliver the call's final callback again")
        boolean callback;

        @Option(names = "--to", paramLabel = "URL", description = "send the captured request to URL (scheme and authority;"
                + " the call's path and query are kept) and show the response")
        URI to;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Mode mode = new Mode();

    @Option(names = "--dry-run", description = "show what would be done; change nothing, send nothing")
    boolean dryRun;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = io.hoft.tools.DurationConverter.class,
            defaultValue = "30s", description = "how long --to and the admin call may take (default ${DEFAULT-VALUE})")
    Duration timeout;

    @Option(names = "--json", description = "print the plan and the outcome as JSON")
    boolean json;

    @Spec
    CommandSpec spec;

    /** What replay will do or refuses to do. */
    private record Plan(String action, String description, String refusal) {}

    @Override
    public Integer call() throws IOException, InterruptedException {
        SpoolContext context = node.load();
        NodeConfig config = context.requireConfig("replay");
        if (!MessageId.isValid(id)) {
            throw new Main.UsageException("'" + id + "' is not a request id");
        }
        if (mode.to != null && (mode.to.getScheme() == null || !mode.to.getScheme().matches("https?") || mode.to.getHost() == null)) {
            throw new Main.UsageException("--to must be an http or https URL like http://127.0.0.1:9000, not " + mode.to);
        }
        Optional<NodeSnapshot> opened = context.openDatabase();
        if (opened.isEmpty()) {
            throw new Main.UsageException("hoft spool replay: " + config.state() + " has no database yet: the node has never run");
        }
        Call call;
        byte[] body = null;
        try (NodeSnapshot db = opened.get()) {
            Side side = Calls.requireSide(db, "replay");
            Optional<Call> found = Calls.find(db, side, id);
            if (found.isEmpty()) {
                return refuse(null, "no call " + id + " in the " + side.wireName + " " + config.id() + "'s store");
            }
            call = found.get();
            if (mode.to != null && call.request().headers() != null) {
                body = call.request().body().read(config.state()).orElse(null);
            }
        }
        Plan plan = plan(call, body);
        ObjectNode document = Json.object();
        document.put("id", id);
        document.put("side", call.side().wireName);
        document.put("action", plan.action());
        document.put("dryRun", dryRun);
        document.put("plan", plan.description());
        if (plan.refusal() != null) {
            return refuse(document, plan.refusal());
        }
        if (dryRun) {
            document.put("done", false);
            return finish(document, "would " + plan.description() + " (dry run: nothing changed)");
        }
        if (mode.to != null) {
            return sendTo(document, call, body);
        }
        return viaAdmin(document, config, plan);
    }

    private Plan plan(Call call, byte[] body) {
        String state = call.state();
        if (mode.to != null) {
            if (call.request().headers() == null) {
                return new Plan("to", "send " + call.routing().method() + " " + call.routing().target() + " to " + mode.to,
                        "the front did not keep the request of " + id + " (accepted by an older version)");
            }
            if (body == null) {
                return new Plan("to", "send " + call.routing().method() + " " + call.routing().target() + " to " + mode.to,
                        "the request body of " + id + " (" + call.request().body().length() + " bytes) is no longer kept");
            }
            return new Plan("to", "send " + call.routing().method() + " " + target(mode.to, call.routing().target()) + " with "
                    + Human.count(call.request().headers().size(), "header field") + " and " + Human.size(body.length)
                    + " of body, from here", null);
        }
        if (call.side() == Side.BACK) {
            return new Plan("none", "nothing", "a back's calls are replayed from the front (or with --to URL)");
        }
        boolean finished = state.equals("responded") || state.equals("failed") || state.equals("expired");
        boolean failed = state.equals("failed") || state.equals("expired");
        if (!finished) {
            return new Plan("none", "nothing", "call " + id + " is still " + state + "; replay a call once it has ended");
        }
        if (mode.callback || (!mode.newId && state.equals("responded"))) {
            if (call.callbacks().url() == null) {
                return new Plan("redeliver", "deliver the final callback again", "call " + id + " has no callback URL"
                        + (state.equals("responded") ? " (use --to URL to replay it to a URL)" : ""));
            }
            return new Plan("redeliver", "deliver the " + (failed ? state + " notice" : "result") + " of " + id + " again to "
                    + call.callbacks().url() + " through the running front", null);
        }
        if (!failed) {
            return new Plan("resend", "send " + id + " again", "call " + id + " responded; only a failed or expired call is sent"
                    + " again (use --callback to re-deliver its result, or --to URL)");
        }
        String action = mode.newId ? "resend" : "attempt";
        if (call.request().headers() == null) {
            return new Plan(action, "send " + id + " again", "the front did not keep the request of " + id
                    + " (accepted by an older version)");
        }
        if (!mode.newId) {
            String unsafe = SameIdAttempt.refusal(state, call.steps().deliveredMs() != null, call.response().error());
            if (unsafe != null) {
                return new Plan(action, "send " + id + " again under the same id", "call " + id + " is not sent again under the"
                        + " same id: " + unsafe + ". To send it anyway as a new call with a new id (the callee gets it"
                        + " again), add --new-id");
            }
            return new Plan(action, "send " + call.routing().method() + " " + call.routing().target() + " (" + state + ", "
                    + (call.problem() == null ? "" : call.problem() + ", ") + Human.size(call.request().body().length())
                    + " of body) again under the same id " + id + " as attempt " + (call.attempt() + 1) + " to " + call.peer()
                    + " through the running front (the back calls the callee only if its record shows it never did)", null);
        }
        return new Plan("resend", "send " + call.routing().method() + " " + call.routing().target() + " (" + state + ", "
                + (call.problem() == null ? "" : call.problem() + ", ") + Human.size(call.request().body().length())
                + " of body) again as a new call to " + call.peer() + " through the running front", null);
    }

    private Integer viaAdmin(ObjectNode document, NodeConfig config, Plan plan) throws IOException, InterruptedException {
        Path state = config.state();
        if (!NodeLock.isHeld(state)) {
            throw new Main.UsageException("the front " + config.id() + " is not running: replay changes calls only through the"
                    + " running front, so nothing was changed; start it (hoft front --config ...) and run replay again");
        }
        JsonNode admin;
        try {
            admin = Json.MAPPER.readTree(Files.readString(state.resolve("admin.json")));
        } catch (NoSuchFileException e) {
            throw new Main.UsageException(state.resolve("admin.json") + " does not exist: the running node is not a front of this"
                    + " version, or it has not finished starting");
        }
        URI url = URI.create(admin.path("url").asText() + "requests/" + id + "/" + plan.action());
        HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
        HttpResponse<String> response;
        try {
            response = client.send(HttpRequest.newBuilder(url).timeout(timeout)
                    .header("Authorization", "Bearer " + admin.path("token").asText())
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new Main.UsageException("cannot reach the front's admin endpoint " + url + ": " + e.getMessage());
        }
        if (response.statusCode() != 200) {
            String why = response.headers().firstValue("Hoft-Error").orElse("HTTP " + response.statusCode());
            String message = Json.MAPPER.readTree(response.body().isBlank() ? "{}" : response.body()).path("message").asText("");
            return refuse(document, "the front refused: " + why + ": " + (message.isEmpty() ? response.body().trim() : message)
                    + (why.equals("not-safe") ? " (add --new-id to send it as a new call with a new id)" : ""));
        }
        JsonNode result = Json.MAPPER.readTree(response.body());
        document.put("done", true);
        document.set("result", result);
        return finish(document, plan.action().equals("resend")
                ? "sent " + id + " again as " + result.path("id").asText() + " (now queued; follow it with hoft spool request "
                        + result.path("id").asText() + ")"
                : plan.action().equals("attempt")
                ? "sent " + id + " again under the same id as attempt " + result.path("attempt").asInt() + " (now queued; follow"
                        + " it with hoft spool request " + id + ")"
                : "the callback of " + id + " is delivered again to " + result.path("callback").asText()
                        + (result.path("reopened").asBoolean() ? " (its job reopened)" : " (scheduled anew)"));
    }

    private Integer sendTo(ObjectNode document, Call call, byte[] body) throws InterruptedException {
        URI url = target(mode.to, call.routing().target());
        HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(timeout)
                .method(call.routing().method(),
                        body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        List<String> skipped = new ArrayList<>();
        for (String[] field : call.request().headers()) {
            if (CLIENT_OWNED.contains(field[0].toLowerCase(Locale.ROOT))) {
                skipped.add(field[0]);
                continue;
            }
            try {
                request.header(field[0], field[1]);
            } catch (IllegalArgumentException e) {
                skipped.add(field[0]);
            }
        }
        ArrayNode skippedJson = document.putArray("headersNotSent");
        skipped.forEach(skippedJson::add);
        HttpResponse<byte[]> response;
        try {
            response = HttpClient.newBuilder().connectTimeout(timeout).build()
                    .send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            return refuse(document, "no response from " + url + ": " + e);
        }
        document.put("done", true);
        ObjectNode result = document.putObject("result");
        result.put("url", url.toString());
        result.put("status", response.statusCode());
        ArrayNode headers = result.putArray("headers");
        response.headers().map().forEach((name, values) -> values.forEach(v -> headers.addArray().add(name).add(v)));
        String text = Human.printableUtf8(response.body(), false);
        result.put("bodyLength", response.body().length);
        result.put("body", text != null ? text : java.util.Base64.getEncoder().encodeToString(response.body()));
        result.put("bodyEncoding", text != null ? "utf-8" : "base64");
        String preview = text == null ? Human.size(response.body().length) + " of binary body"
                : text.length() > 2000 ? text.substring(0, 2000) + "..." : text;
        return finish(document, "sent " + call.routing().method() + " " + url + ": HTTP " + response.statusCode()
                + (skipped.isEmpty() ? "" : " (not sent, the client sets them itself: " + String.join(", ", skipped) + ")")
                + (preview.isEmpty() ? "" : "\n" + preview));
    }

    /** URL's scheme and authority with the call's path and query (the target's own, if it is absolute). */
    static URI target(URI base, String target) {
        String pathAndQuery = target;
        if (target.startsWith("http://") || target.startsWith("https://")) {
            URI absolute = URI.create(target);
            pathAndQuery = (absolute.getRawPath() == null || absolute.getRawPath().isEmpty() ? "/" : absolute.getRawPath())
                    + (absolute.getRawQuery() == null ? "" : "?" + absolute.getRawQuery());
        }
        String prefix = base.getRawPath() == null ? "" : base.getRawPath().replaceAll("/+$", "");
        return URI.create(base.getScheme() + "://" + base.getRawAuthority() + prefix + pathAndQuery);
    }

    private Integer refuse(ObjectNode document, String why) {
        if (json) {
            ObjectNode d = document == null ? Json.object() : document;
            d.put("id", id);
            d.put("done", false);
            d.put("error", why);
            Json.print(spec.commandLine().getOut(), d);
        }
        PrintWriter err = spec.commandLine().getErr();
        err.println("hoft: " + why);
        err.flush();
        return Main.FOUND_WRONG;
    }

    private Integer finish(ObjectNode document, String message) {
        if (json) {
            Json.print(spec.commandLine().getOut(), document);
        } else {
            spec.commandLine().getOut().println(message);
        }
        return Main.OK;
    }
}
