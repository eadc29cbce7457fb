package io.hoft.tools.spool;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.tools.Human;
import io.hoft.tools.Json;
import io.hoft.tools.Main;
import io.hoft.tools.spool.Calls.Call;
import io.hoft.tools.spool.Calls.Side;
import io.hoft.transport.config.NodeConfig;
import io.hoft.transport.store.NodeSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hoft spool export --har FILE}: a node's calls as HAR 1.2, oldest first, for browser
 * devtools and HAR viewers.
 *
 * <p>What each entry holds: the request as the node kept it (method, an absolute URL made from
 * the Host field and the target, the header fields sent on, the query string, the body as
 * {@code postData} when kept: UTF-8 text as it is, other bytes base64 with
 * {@code "encoding": "base64"}, an extension HAR readers accept); the response (status, reason,
 * fields, content as text or base64) once there is one, else status 0 as browsers record a
 * call that got none. {@code timings.wait} is the time from acceptance to response; send and
 * receive are 0 (the node does not measure them). Sizes of header blocks are -1 (unknown).
 * Each entry carries {@code _hoft} with the id, state and error. Read-only; the file is
 * written whole or not at all.
 */
@Command(name = "export",
        mixinStandardHelpOptions = true,
        description = {
            "Export a node's calls with their requests and responses as HAR 1.2 (HTTP Archive), oldest first, for browser"
                + " devtools and HAR viewers. A call without a response has status 0; a body the node no longer keeps is"
                + " left out and its size kept. On a back, the requests as received and the callee's answers.",
            "Reads the database and body files without changing them, beside a running node; FILE is written whole"
                + " (through a temporary file), or - for stdout."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:written", "2:usage or environment error (no --config, no request store, FILE not writable)"},
        footer = {"", "Example: hoft spool export --har calls.har --config front.yaml --status failed --since 1d"})
final class ExportCommand implements Callable<Integer> {
    @Mixin
    ConfigOption node;

    @Option(names = "--har", paramLabel = "FILE", required = true, description = "write HAR 1.2 to FILE (- for stdout)")
    Path har;

    @Option(names = "--status", paramLabel = "S", split = ",", description = "only calls in these states")
    List<String> statuses = new ArrayList<>();

    @Option(names = "--since", paramLabel = "T", converter = Since.Converter.class,
            description = "only calls accepted since T: a time (2026-11-22T12:00:00Z, epoch ms) or a duration ago (1h)")
    Since since;

    @Option(names = "--json", description = "print a summary as JSON (file, entries, bodies left out)")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        SpoolContext context = node.load();
        NodeConfig config = context.requireConfig("export");
        Instant now = context.now();
        List<String> states = statuses.stream().map(s -> s.trim().toLowerCase(Locale.ROOT)).toList();
        Long sinceMs = since == null ? null : since.resolve(now).toEpochMilli();
        Optional<NodeSnapshot> opened = context.openDatabase();
        if (opened.isEmpty()) {
            throw new Main.UsageException("hoft spool export: " + config.state() + " has no database yet: the node has never run");
        }
        ObjectNode document = Json.object();
        ObjectNode log = document.putObject("log");
        log.put("version", "1.2");
        ObjectNode creator = log.putObject("creator");
        creator.put("name", "hoft");
        String version = Main.class.getPackage().getImplementationVersion();
        creator.put("version", version == null ? "development" : version);
        log.put("comment", "calls of node " + config.id());
        ArrayNode entries = log.putArray("entries");
        int[] leftOut = {0};
        try (NodeSnapshot db = opened.get()) {
            Side side = Calls.requireSide(db, "export");
            List<Call> calls = new ArrayList<>(Calls.list(db, side, states, sinceMs, 0));
            java.util.Collections.reverse(calls); // oldest first, as a HAR viewer plays them
            for (Call call : calls) {
                entries.add(entry(call, config.state(), leftOut));
            }
        }
        String text = Json.MAPPER.writeValueAsString(document);
        String where;
        if (har.toString().equals("-")) {
            spec.commandLine().getOut().println(text);
            spec.commandLine().getOut().flush();
            where = "-";
        } else {
            write(har, text);
            where = har.toString();
        }
        if (json && !where.equals("-")) {
            ObjectNode summary = Json.object();
            summary.put("file", where);
            summary.put("entries", entries.size());
            summary.put("bodiesNotKept", leftOut[0]);
            Json.print(spec.commandLine().getOut(), summary);
        } else if (!where.equals("-")) {
            PrintWriter out = spec.commandLine().getOut();
            out.println("wrote " + Human.count(entries.size(), "call") + " to " + where + " (HAR 1.2)"
                    + (leftOut[0] > 0 ? "; " + Human.count(leftOut[0], "body") + " no longer kept, left out" : ""));
        }
        return Main.OK;
    }

    private static void write(Path file, String text) {
        Path parent = file.toAbsolutePath().getParent();
        try {
            Path temp = Files.createTempFile(parent, "." + file.getFileName(), ".tmp");
            try {
                Files.writeString(temp, text, StandardCharsets.UTF_8);
                try {
                    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new Main.UsageException("cannot write " + file + ": " + e.getMessage());
        }
    }

    static ObjectNode entry(Call call, Path stateDir, int[] leftOut) throws IOException {
        ObjectNode entry = Json.object();
        entry.put("startedDateTime", Instant.ofEpochMilli(call.steps().acceptedMs()).toString());
        long waitMs = call.steps().respondedMs() == null ? 0 : Math.max(0, call.steps().respondedMs() - call.steps().acceptedMs());
        entry.put("time", waitMs);

        ObjectNode request = entry.putObject("request");
        request.put("method", call.routing().method());
        request.put("url", url(call));
        request.put("httpVersion", "HTTP/1.1");
        request.set("cookies", Json.array());
        request.set("headers", headers(call.request().headers()));
        request.set("queryString", query(call.routing().target()));
        request.put("headersSize", -1);
        request.put("bodySize", call.request().body().length());
        if (call.request().body().length() > 0) {
            Optional<byte[]> body = call.request().body().read(stateDir);
            if (body.isPresent()) {
                ObjectNode post = request.putObject("postData");
                post.put("mimeType", Calls.header(call.request().headers(), "Content-Type").orElse("application/octet-stream"));
                post.set("params", Json.array());
                putText(post, body.get());
            } else {
                leftOut[0]++;
            }
        }

        ObjectNode response = entry.putObject("response");
        boolean answered = call.response().status() != null;
        response.put("status", answered ? call.response().status() : 0);
        response.put("statusText", answered && call.response().reason() != null ? call.response().reason() : "");
        response.put("httpVersion", "HTTP/1.1");
        response.set("cookies", Json.array());
        response.set("headers", headers(answered ? call.response().headers() : null));
        ObjectNode content = response.putObject("content");
        long size = answered && call.response().body() != null ? call.response().body().length() : 0;
        content.put("size", size);
        content.put("mimeType", answered ? Calls.header(call.response().headers(), "Content-Type").orElse("") : "");
        if (size > 0) {
            Optional<byte[]> body = call.response().body().read(stateDir);
            if (body.isPresent()) {
                putText(content, body.get());
            } else {
                leftOut[0]++;
            }
        }
        response.put("redirectURL", answered ? Calls.header(call.response().headers(), "Location").orElse("") : "");
        response.put("headersSize", -1);
        response.put("bodySize", answered ? size : -1);

        entry.putObject("cache");
        ObjectNode timings = entry.putObject("timings");
        timings.put("send", 0);
        timings.put("wait", waitMs);
        timings.put("receive", 0);
        ObjectNode hoft = entry.putObject("_hoft");
        hoft.put("id", call.id());
        hoft.put("side", call.side().wireName);
        hoft.put("state", call.state());
        hoft.put("error", call.problem());
        hoft.put("upstream", call.routing().upstream());
        if (call.replayOf() != null) {
            hoft.put("replayOf", call.replayOf());
        }
        return entry;
    }

    /** Text as it is when it is printable UTF-8, else base64 with {@code encoding}. */
    private static void putText(ObjectNode node, byte[] body) {
        String text = Human.printableUtf8(body, false);
        if (text != null) {
            node.put("text", text);
        } else {
            node.put("text", Base64.getEncoder().encodeToString(body));
            node.put("encoding", "base64");
        }
    }

    /** An absolute URL: the target if it is one, else http:// with the Host field (or localhost) and the target. */
    static String url(Call call) {
        String target = call.routing().target();
        if (target.startsWith("http://") || target.startsWith("https://")) {
            return target;
        }
        String host = Calls.header(call.request().headers(), "Host").orElse("localhost");
        return "http://" + host + (target.startsWith("/") ? target : "/" + target);
    }

    private static ArrayNode headers(List<String[]> fields) {
        ArrayNode array = Json.array();
        if (fields != null) {
            for (String[] field : fields) {
                ObjectNode header = array.addObject();
                header.put("name", field[0]);
                header.put("value", field[1]);
            }
        }
        return array;
    }

    private static ArrayNode query(String target) {
        ArrayNode array = Json.array();
        String raw;
        try {
            raw = URI.create(target).getRawQuery();
        } catch (IllegalArgumentException e) {
            int q = target.indexOf('?');
            raw = q < 0 ? null : target.substring(q + 1);
        }
        if (raw == null || raw.isEmpty()) {
            return array;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            ObjectNode param = array.addObject();
            param.put("name", decode(eq < 0 ? pair : pair.substring(0, eq)));
            param.put("value", eq < 0 ? "" : decode(pair.substring(eq + 1)));
        }
        return array;
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return text; // a malformed escape: show it as written
        }
    }
}
