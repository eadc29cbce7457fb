package io.hoft.tools.spool;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.tools.DurationConverter;
import io.hoft.tools.Human;
import io.hoft.tools.Json;
import io.hoft.tools.Main;
import io.hoft.tools.Table;
import io.hoft.tools.spool.SpoolContext.Role;
import io.hoft.transport.spool.SpoolFileName;
import io.hoft.transport.store.NodeSnapshot;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code hoft spool ls}: every spool file, who it is between, and where it stands. */
@Command(name = "ls",
        mixinStandardHelpOptions = true,
        description = {
            "List spool files: sender, recipient, kind, epoch, seq, message count, size, age and state, one table per"
                + " folder. Without DIR, lists the node's outboxes, inboxes, sent store and quarantine.",
            "Headers are verified with the node's keys when they allow it; a message count marked ? comes from a"
                + " header that could not be verified (no keys). Only headers are read: use verify to check content.",
            "States: pending (complete, waiting in an outbox or inbox), unacked (sent, not yet acknowledged), acked,"
                + " abandoned (expired unacknowledged), received (already taken; a leftover copy), quarantined (with"
                + " the reason), incomplete (short, may still be arriving), truncated (short for good), expired,"
                + " invalid (fails a check: see the reason), foreign (neither from nor to this node), stray (in the sent"
                + " store without a database row)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:listed (whatever the states)", "2:usage or environment error"},
        footer = {"", "Examples:",
            "  hoft spool ls --config front.yaml",
            "  hoft spool ls --config back.yaml --state quarantined,truncated --older-than 1h",
            "  hoft spool ls link/back-in --json"})
final class LsCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", arity = "0..*", description = "folders to list (default: the node's folders)")
    List<Path> paths = new ArrayList<>();

    @Mixin
    NodeOptions node;

    @Option(names = "--peer", paramLabel = "ID", description = "only files from or to this node")
    String peer;

    @Option(names = "--kind", paramLabel = "KIND", split = ",",
            description = "only these kinds: req, res, sts, mix, ctl (request, response, status also work)")
    List<String> kinds = new ArrayList<>();

    @Option(names = "--state", paramLabel = "STATE", split = ",", description = "only files in these states (see above)")
    List<FileState> states = new ArrayList<>();

    @Option(names = "--older-than", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "only files older than this (e.g. 1h); a quarantined file's age counts from its quarantine")
    Duration olderThan;

    @Option(names = "--newer-than", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "only files newer than this")
    Duration newerThan;

    @Option(names = "--json", description = "print the files as JSON")
    boolean json;

    @Spec
    CommandSpec spec;

    /** One listed file. */
    record Row(SpoolContext.Folder folder, Inspection inspection, FileState state, Instant since) {}

    @Override
    public Integer call() {
        Set<String> kindTokens = kinds.stream().map(LsCommand::kindToken).collect(Collectors.toSet());
        SpoolContext context = node.load();
        List<Targets.Group> groups = Targets.collect(context, paths, EnumSet.allOf(Role.class), "list");
        Instant now = context.now();
        Inspector inspector = new Inspector(context);
        List<Row> rows = new ArrayList<>();
        Optional<NodeSnapshot> db = context.openDatabase();
        try {
            ChannelRows channel = ChannelRows.load(db);
            for (Targets.Group group : groups) {
                for (SpoolEntry entry : group.entries()) {
                    SpoolFileName name = entry.name();
                    if (name != null && !kindTokens.isEmpty() && !kindTokens.contains(name.kind())) {
                        continue;
                    }
                    if (name != null && peer != null && !peer.equals(name.sender().value()) && !peer.equals(name.recipient().value())) {
                        continue;
                    }
                    Inspection inspection = inspector.header(entry);
                    Instant since = entry.isQuarantined() ? entry.quarantinedAt()
                            : inspection.modified() != null ? inspection.modified() : now;
                    Duration age = Duration.between(since, now);
                    if ((olderThan != null && age.compareTo(olderThan) < 0) || (newerThan != null && age.compareTo(newerThan) >= 0)) {
                        continue;
                    }
                    FileState state = FileState.of(inspection, group.folder().role(), channel);
                    if (!states.isEmpty() && !states.contains(state)) {
                        continue;
                    }
                    rows.add(new Row(group.folder(), inspection, state, since));
                }
            }
        } finally {
            db.ifPresent(NodeSnapshot::close);
        }
        if (json) {
            printJson(context, rows, now);
        } else {
            printTables(context, groups, rows, now);
        }
        return Main.OK;
    }

    private void printJson(SpoolContext context, List<Row> rows, Instant now) {
        ObjectNode document = Json.object();
        document.put("node", context.self().map(Object::toString).orElse(null));
        Json.putMs(document, "atMs", now);
        ArrayNode files = document.putArray("files");
        for (Row row : rows) {
            ObjectNode file = Render.inspection(row.inspection());
            file.put("folder", row.folder().dir().toString());
            file.put("location", row.folder().role().wireName);
            file.put("state", row.state().wireName());
            file.put("reason", reason(row));
            file.put("ageMs", Duration.between(row.since(), now).toMillis());
            files.add(file);
        }
        Map<String, Long> byState = rows.stream().collect(Collectors.groupingBy(r -> r.state().wireName(), TreeMap::new,
                Collectors.counting()));
        ObjectNode summary = document.putObject("summary");
        summary.put("files", rows.size());
        summary.put("bytes", rows.stream().mapToLong(r -> r.inspection().size()).sum());
        ObjectNode states = summary.putObject("byState");
        byState.forEach(states::put);
        Json.print(spec.commandLine().getOut(), document);
    }

    private void printTables(SpoolContext context, List<Targets.Group> groups, List<Row> rows, Instant now) {
        PrintWriter out = spec.commandLine().getOut();
        boolean unverified = false;
        for (Targets.Group group : groups) {
            List<Row> mine = rows.stream().filter(r -> r.folder().equals(group.folder())).toList();
            out.println(group.folder().dir() + "  (" + Targets.describe(group.folder()) + ", " + Human.count(mine.size(), "file") + ")");
            if (mine.isEmpty()) {
                continue;
            }
            boolean reasons = mine.stream().anyMatch(r -> reason(r) != null);
            Table table = reasons
                    ? new Table("STATE", "FROM", "TO", "KIND", "EPOCH", "SEQ", "MSGS", "SIZE", "AGE", "FILE", "REASON")
                    : new Table("STATE", "FROM", "TO", "KIND", "EPOCH", "SEQ", "MSGS", "SIZE", "AGE", "FILE");
            for (Row row : mine) {
                Inspection i = row.inspection();
                SpoolFileName name = i.name();
                String messages = i.header() == null ? null : i.header().frames().size() + (i.verified() ? "" : "?");
                unverified |= i.header() != null && !i.verified();
                List<Object> cells = new ArrayList<>();
                cells.add(row.state());
                if (name == null) {
                    cells.addAll(List.of("-", "-", "-", "-", "-"));
                } else {
                    cells.addAll(List.of(name.sender(), name.recipient(),
                            name.kind() + (name.isFragment() ? " " + name.part() + "/" + name.parts() : ""), name.epoch(), name.seq()));
                }
                cells.addAll(List.of(messages == null ? "-" : messages, Human.size(i.size()), Human.age(row.since(), now),
                        i.path().getFileName()));
                if (reasons) {
                    cells.add(reason(row) == null ? "-" : reason(row));
                }
                table.row(cells.toArray());
            }
            table.print(out);
        }
        Map<FileState, Long> byState = rows.stream().collect(Collectors.groupingBy(Row::state, TreeMap::new, Collectors.counting()));
        out.println(Human.count(rows.size(), "file") + ", "
                + Human.size(rows.stream().mapToLong(r -> r.inspection().size()).sum())
                + (byState.isEmpty() ? "" : ": " + byState.entrySet().stream().map(e -> e.getValue() + " " + e.getKey())
                        .collect(Collectors.joining(", "))));
        if (unverified) {
            out.println("? = from a header that could not be verified"
                    + (context.hasKeys() ? "" : " (no keys: give --config, or --keys and --trust)"));
        }
    }

    /** Why a file is in its state, when there is a why. */
    private static String reason(Row row) {
        Inspection i = row.inspection();
        if (row.state() == FileState.QUARANTINED) {
            String recorded = i.entry().quarantineReason();
            return recorded != null ? recorded : i.problem() != null ? i.problem() + ": " + i.detail() : null;
        }
        return i.problem() == null ? null : i.problem() + ": " + i.detail();
    }

    private static String kindToken(String kind) {
        switch (kind.toLowerCase(Locale.ROOT)) {
            case "request":
            case "req":
                return "req";
            case "response":
            case "res":
                return "res";
            case "status":
            case "sts":
                return "sts";
            case "mix":
            case "ctl":
                return kind.toLowerCase(Locale.ROOT);
            default:
                throw new Main.UsageException("--kind: '" + kind + "' is not one of req, res, sts, mix, ctl");
        }
    }
}
