package io.hoft.tools.spool;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.tools.DurationConverter;
import io.hoft.tools.Human;
import io.hoft.tools.Json;
import io.hoft.tools.Main;
import io.hoft.tools.Table;
import io.hoft.tools.spool.SpoolContext.Perspective;
import io.hoft.transport.channel.ChannelView;
import io.hoft.transport.channel.NodeLock;
import io.hoft.transport.config.NodeConfig;
import io.hoft.transport.config.QuarantineSettings;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.spool.SpoolFileName;
import io.hoft.transport.store.NodeSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hoft spool gc}: removes what a node no longer needs, and never what it still might.
 *
 * <p><b>Beside a running node.</b> gc first tries to take the node's lock ({@code STATE/node.lock});
 * holding it, the node cannot start until gc is done, so what only a stopped node may lose
 * (temporary files, sent-store files without a row, expired files in the inbox) is safe to remove.
 * If the node runs, gc does only what cannot race with it:
 * <ul>
 *   <li>quarantined files: the node never looks at them again;
 *   <li>inbox copies of files the node already received (verified, and the seq is in the
 *       database's receive state, which only grows within an epoch, or of an older epoch): the
 *       node drops them as duplicates itself, and a file gone under its feet is "taken by
 *       someone else" to it;
 *   <li>sent-store and outbox copies of files whose row says acked or abandoned: the node
 *       deletes those itself after the commit that settles them, and never reads them again;
 *   <li>database rows: settled rows older than the age are deleted, and with {@code --force}
 *       unacknowledged messages and files are made to expire, each in one SQLite transaction,
 *       which SQLite serialises with the node's. Expiring (rather than deleting) lets the node
 *       settle them by its own rules: it abandons the files, tells the layer above the messages
 *       expired, deletes the stored copies, and moves the floor so the peer stops waiting.
 * </ul>
 * With {@code --dry-run} nothing is changed: no lock is taken and the database is opened
 * read-only. The database rows are read and changed only through the channel's own view and
 * operations ({@link GcRows}).
 */
@Command(name = "gc",
        mixinStandardHelpOptions = true,
        description = {
            "Remove what the node no longer needs: quarantined files older than the age or beyond the node's quarantine"
                + " caps (node.quarantine.maxAge, .maxSize; oldest first, with their .reason files),"
                + " inbox copies of files already received, expired files in the inbox, sent-store and outbox copies of"
                + " acknowledged files, stale temporary files, and settled database rows older than the age.",
            "Never anything unacknowledged, unless --force: then unacknowledged messages and files older than the age"
                + " are listed and made to expire, and the node settles them as expired (it tells the layer above and"
                + " the peer) when it next runs. That loses them: the listing says exactly what.",
            "Safe beside a running node: what could race with it (temporary files, expired inbox files, store files"
                + " without a row) is skipped while it runs, and gc holds the node's lock while it removes them, so the"
                + " node cannot start meanwhile. --dry-run changes nothing."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done (or, with --dry-run, listed)", "1:something could not be removed",
            "2:usage or environment error"},
        footer = {"", "Examples:",
            "  hoft spool gc --config back.yaml --dry-run",
            "  hoft spool gc --config back.yaml --older-than 2d",
            "  hoft spool gc --config front.yaml --peer old-back --force --dry-run"})
final class GcCommand implements Callable<Integer> {
    @Mixin
    ConfigOption node;

    @Option(names = "--older-than", paramLabel = "DURATION", defaultValue = "7d", converter = DurationConverter.class,
            description = "age past which quarantined files and settled rows go, and --force takes unacknowledged ones"
                    + " (default: ${DEFAULT-VALUE})")
    Duration olderThan;

    @Option(names = "--peer", paramLabel = "ID", description = "only what is from or to this peer")
    String peer;

    @Option(names = "--dry-run", description = "list what would be removed, change nothing")
    boolean dryRun;

    @Option(names = "--force", description = "also expire unacknowledged messages and files older than the age (they are lost)")
    boolean force;

    @Option(names = "--json", description = "print what was (or would be) done as JSON")
    boolean json;

    @Spec
    CommandSpec spec;

    /** A file to remove (with the files that go with it) and why. */
    record Removal(String what, Path path, List<Path> with, long bytes, String why) {}

    /** What was skipped because the node runs. */
    record Skipped(String what, String why) {}

    /** An unacknowledged message or file --force gives up. */
    record Lost(String type, String peer, String id, String kind, String state, long bytes, long ageMs, int attempts) {}

    @Override
    public Integer call() throws IOException {
        SpoolContext context = node.load();
        NodeConfig config = context.requireConfig("gc");
        if (olderThan.isNegative()) {
            throw new Main.UsageException("--older-than cannot be negative");
        }
        Instant now = context.now();
        long cutoffMs = now.minus(olderThan).toEpochMilli();
        Path stateDir = config.state();
        NodeLock lock = null;
        boolean running;
        if (dryRun || !Files.isDirectory(stateDir)) {
            running = Files.isDirectory(stateDir) && NodeLock.isHeld(stateDir);
        } else {
            try {
                lock = NodeLock.acquire(stateDir, config.nodeId());
                running = false;
            } catch (IllegalStateException e) {
                running = true;
            }
        }
        try {
            List<Removal> removals = new ArrayList<>();
            List<Skipped> skipped = new ArrayList<>();
            Map<String, Long> rows = new LinkedHashMap<>();
            List<Lost> lost = new ArrayList<>();
            long[] kept;
            Optional<NodeSnapshot> db = context.openDatabase();
            try {
                ChannelRows channel = ChannelRows.load(db);
                planQuarantine(context, cutoffMs, removals);
                planInbox(context, channel, running, removals, skipped);
                planSentCopies(context, channel, running, removals, skipped);
                planTemporary(context, running, removals, skipped);
                if (db.isPresent() && ChannelView.exists(db.get().tx())) {
                    GcRows.putRows(rows, ChannelView.settledRows(db.get().tx(), cutoffMs, peer));
                    kept = GcRows.unacked(db.get().tx(), peer, cutoffMs, force ? lost : null, now);
                } else {
                    kept = new long[] {0, 0};
                }
            } finally {
                db.ifPresent(NodeSnapshot::close);
            }

            List<String> failures = new ArrayList<>();
            long expired = 0;
            if (!dryRun) {
                for (Removal removal : removals) {
                    remove(removal, failures);
                }
                if (!rows.isEmpty() || !lost.isEmpty()) { // else there is nothing to write: the database is left alone
                    long[] changed = GcRows.change(stateDir, peer, cutoffMs, lost, now, rows);
                    expired = changed[0];
                }
            }
            report(config, running, removals, skipped, rows, lost, kept, failures, expired);
            return failures.isEmpty() ? Main.OK : Main.FOUND_WRONG;
        } finally {
            if (lock != null) {
                lock.close();
            }
        }
    }

    private boolean forPeer(SpoolFileName name) {
        return peer == null || name.sender().value().equals(peer) || name.recipient().value().equals(peer);
    }

    private void planQuarantine(SpoolContext context, long cutoffMs, List<Removal> removals) throws IOException {
        Path dir = context.quarantineDir();
        Set<Path> spoken = new LinkedHashSet<>();
        // The node's own caps (node.quarantine) apply too: age, and beyond the size cap the oldest first.
        QuarantineSettings caps = context.config().orElseThrow().quarantine();
        long capCutoffMs = context.now().minus(caps.maxAge()).toEpochMilli();
        List<SpoolEntry> entries = new ArrayList<>(SpoolEntry.scanQuarantine(dir));
        entries.sort(Comparator.comparing(SpoolEntry::quarantinedAt).reversed());
        long kept = 0;
        boolean overSize = false; // from the first file that does not fit on, every older one goes too
        for (SpoolEntry entry : entries) {
            spoken.add(entry.reasonFile());
            Path reason = entry.reasonFile();
            long bytes = size(entry.path()) + size(reason);
            overSize = overSize || kept + bytes > caps.maxSize().bytes();
            long at = entry.quarantinedAt().toEpochMilli();
            if (!forPeer(entry.name()) || (at >= cutoffMs && at >= capCutoffMs && !overSize)) {
                kept += bytes;
                continue;
            }
            String why = at < cutoffMs || at < capCutoffMs ? "" : " (beyond node.quarantine.maxSize " + Human.size(caps.maxSize().bytes()) + ")";
            removals.add(new Removal("quarantined", entry.path(), Files.exists(reason) ? List.of(reason) : List.of(),
                    bytes, "quarantined " + Human.relative(entry.quarantinedAt(), context.now()) + why + ": "
                            + Optional.ofNullable(entry.quarantineReason()).orElse("no reason recorded")));
        }
        if (!Files.isDirectory(dir) || peer != null) {
            return;
        }
        // .reason files whose spool file is gone (a gc interrupted between the two deletions)
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SpoolEntry.REASON_SUFFIX)) {
            for (Path file : files) {
                if (!spoken.contains(file) && Files.getLastModifiedTime(file).toMillis() < cutoffMs) {
                    removals.add(new Removal("quarantined", file, List.of(), size(file), "a reason without its file"));
                }
            }
        }
    }

    private void planInbox(SpoolContext context, ChannelRows channel, boolean running, List<Removal> removals,
            List<Skipped> skipped) throws IOException {
        Inspector inspector = new Inspector(context);
        NodeId self = context.self().orElseThrow();
        int expiredLeft = 0;
        for (SpoolContext.Folder folder : context.folders()) {
            if (folder.role() != SpoolContext.Role.INBOX) {
                continue;
            }
            for (SpoolEntry entry : SpoolEntry.scan(folder.dir())) {
                SpoolFileName name = entry.name();
                if (!name.recipient().equals(self) || !forPeer(name)) {
                    continue; // another node's file in a shared folder: never ours to remove
                }
                Inspection inspection = inspector.header(entry);
                if (inspection.perspective() != Perspective.RECIPIENT) {
                    continue;
                }
                if (inspection.passed() && !"ctl".equals(name.kind())
                        && channel.received(name.sender().value(), name.epoch(), name.seq())) {
                    removals.add(new Removal("received", entry.path(), List.of(), inspection.size(),
                            "already received (epoch " + name.epoch() + ", seq " + name.seq() + ")"));
                } else if ("expired".equals(inspection.problem()) && inspection.verified()) {
                    if (running) {
                        expiredLeft++;
                    } else {
                        removals.add(new Removal("expired", entry.path(), List.of(), inspection.size(), inspection.detail()));
                    }
                }
            }
        }
        if (expiredLeft > 0) {
            skipped.add(new Skipped("expired", Human.count(expiredLeft, "expired file") + " in the inbox: the running node records and"
                    + " removes them itself"));
        }
    }

    private void planSentCopies(SpoolContext context, ChannelRows channel, boolean running, List<Removal> removals,
            List<Skipped> skipped) throws IOException {
        NodeId self = context.self().orElseThrow();
        int strays = 0;
        for (SpoolContext.Folder folder : context.folders()) {
            if (folder.role() != SpoolContext.Role.SENT && folder.role() != SpoolContext.Role.OUTBOX) {
                continue;
            }
            for (SpoolEntry entry : SpoolEntry.scan(folder.dir())) {
                SpoolFileName name = entry.name();
                if (!name.sender().equals(self) || "ctl".equals(name.kind()) || !forPeer(name)) {
                    continue;
                }
                Optional<ChannelView.SentFile> row = channel.outFile(name.recipient().value(), name.epoch(), name.seq());
                if (row.isPresent() && (row.get().state().equals("acked") || row.get().state().equals("abandoned"))) {
                    removals.add(new Removal(folder.role() == SpoolContext.Role.SENT ? "sent-copy" : "outbox-copy",
                            entry.path(), List.of(), size(entry.path()), row.get().state() + " by the peer's channel state"));
                } else if (row.isEmpty() && folder.role() == SpoolContext.Role.SENT && !channel.isEmpty()) {
                    if (running) {
                        strays++;
                    } else {
                        removals.add(new Removal("stray", entry.path(), List.of(), size(entry.path()),
                                "in the sent store without a database row (the node deletes these when it starts)"));
                    }
                }
            }
        }
        if (strays > 0) {
            skipped.add(new Skipped("stray", Human.count(strays, "sent-store file") + " without a database row: the running node may be"
                    + " publishing them right now"));
        }
    }

    private void planTemporary(SpoolContext context, boolean running, List<Removal> removals, List<Skipped> skipped)
            throws IOException {
        if (peer != null) {
            return;
        }
        NodeConfig config = context.config().orElseThrow();
        Set<Path> dirs = new LinkedHashSet<>();
        dirs.add(config.state().resolve("tmp"));
        // the dial-out link's temporary folders: {state}/dialout/{peer or dialed}/tmp
        Path dialout = config.state().resolve("dialout");
        if (Files.isDirectory(dialout)) {
            try (DirectoryStream<Path> links = Files.newDirectoryStream(dialout, Files::isDirectory)) {
                links.forEach(link -> dirs.add(link.resolve("tmp")));
            }
        }
        for (NodeConfig.PeerConfig p : config.peers()) {
            if (p.link().isFolder()) {
                dirs.add(p.link().tempOrDefault(config.nodeId()));
            }
        }
        int found = 0;
        for (Path dir : dirs) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, ".*.tmp")) {
                for (Path file : files) {
                    if (!Files.isRegularFile(file)) {
                        continue;
                    }
                    found++;
                    if (!running) {
                        removals.add(new Removal("temporary", file, List.of(), size(file), "left by an interrupted write"));
                    }
                }
            }
        }
        if (running && found > 0) {
            skipped.add(new Skipped("temporary", Human.count(found, "temporary file") + ": the running node may be writing them"));
        }
    }

    private static void remove(Removal removal, List<String> failures) {
        try {
            Files.deleteIfExists(removal.path());
            for (Path other : removal.with()) {
                Files.deleteIfExists(other);
            }
        } catch (IOException e) {
            failures.add("cannot remove " + removal.path() + ": " + e.getMessage());
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    private void report(NodeConfig config, boolean running, List<Removal> removals, List<Skipped> skipped,
            Map<String, Long> rows, List<Lost> lost, long[] kept, List<String> failures, long expired) {
        long bytes = removals.stream().mapToLong(Removal::bytes).sum();
        long rowCount = rows.values().stream().mapToLong(Long::longValue).sum();
        if (json) {
            ObjectNode document = Json.object();
            document.put("node", config.id());
            document.put("dryRun", dryRun);
            document.put("running", running);
            document.put("olderThanMs", olderThan.toMillis());
            ArrayNode list = document.putArray("removals");
            for (Removal r : removals) {
                ObjectNode item = list.addObject();
                item.put("what", r.what());
                item.put("path", r.path().toString());
                ArrayNode with = item.putArray("with");
                r.with().forEach(p -> with.add(p.toString()));
                item.put("bytes", r.bytes());
                item.put("why", r.why());
            }
            document.put("bytes", bytes);
            ObjectNode rowNode = document.putObject("rows");
            rows.forEach(rowNode::put);
            ArrayNode skippedNode = document.putArray("skipped");
            skipped.forEach(s -> skippedNode.addObject().put("what", s.what()).put("why", s.why()));
            ObjectNode keptNode = document.putObject("keptUnacked");
            keptNode.put("files", kept[0]);
            keptNode.put("messages", kept[1]);
            if (force) {
                ArrayNode lostNode = document.putArray("lost");
                for (Lost l : lost) {
                    lostNode.addObject().put("type", l.type()).put("peer", l.peer()).put("id", l.id()).put("kind", l.kind())
                            .put("state", l.state()).put("bytes", l.bytes()).put("ageMs", l.ageMs()).put("attempts", l.attempts());
                }
                document.put("expired", expired);
            } else {
                document.putNull("lost");
            }
            ArrayNode failureNode = document.putArray("failures");
            failures.forEach(failureNode::add);
            Json.print(spec.commandLine().getOut(), document);
        } else {
            PrintWriter out = spec.commandLine().getOut();
            out.println("node " + config.id() + (running ? ": running; gc does only what cannot race with it"
                    : dryRun ? ": not running" : ": not running; gc holds its lock while it works"));
            String verb = dryRun ? "would remove" : "removed";
            if (!removals.isEmpty()) {
                Table table = new Table("ACTION", "WHAT", "FILE", "SIZE", "WHY");
                for (Removal r : removals) {
                    table.row(verb, r.what(), r.path() + (r.with().isEmpty() ? "" : " (+ .reason)"), Human.size(r.bytes()), r.why());
                }
                table.print(out);
            }
            out.println(verb + " " + Human.count(removals.size(), "file") + " (" + Human.size(bytes)
                    + ") and " + Human.count(rowCount, "settled database row") + " older than " + Human.duration(olderThan));
            for (Skipped s : skipped) {
                out.println("skipped " + s.why());
            }
            if (force) {
                if (lost.isEmpty()) {
                    out.println("--force: nothing unacknowledged is older than " + Human.duration(olderThan));
                } else {
                    out.println((dryRun ? "--force would give up" : "--force gave up") + " (these are lost: the node settles them"
                            + " as expired" + (running ? "" : " when it next runs") + "):");
                    Table table = new Table("TYPE", "PEER", "ID/FILE", "KIND", "STATE", "SIZE", "AGE", "ATTEMPTS");
                    for (Lost l : lost) {
                        table.row(l.type(), l.peer(), l.id(), l.kind(), l.state(), Human.size(l.bytes()),
                                Human.duration(Duration.ofMillis(l.ageMs())), l.type().equals("file") ? l.attempts() : null);
                    }
                    table.print(out);
                }
            } else if (kept[0] + kept[1] > 0) {
                out.println("kept " + Human.count(kept[0], "unacknowledged file") + " and " + Human.count(kept[1], "unsettled message")
                        + " (only --force gives them up)");
            }
            if (dryRun) {
                out.println("dry run: nothing was changed");
            }
            PrintWriter err = spec.commandLine().getErr();
            failures.forEach(f -> err.println("hoft: " + f));
        }
    }
}
