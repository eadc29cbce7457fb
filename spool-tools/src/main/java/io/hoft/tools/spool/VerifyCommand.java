package io.hoft.tools.spool;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.tools.Human;
import io.hoft.tools.Json;
import io.hoft.tools.Main;
import io.hoft.tools.Progress;
import io.hoft.tools.Table;
import io.hoft.tools.spool.Inspection.Check;
import io.hoft.tools.spool.SpoolContext.Role;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code hoft spool verify}: check spool files as their recipient would, and say which are bad and why. */
@Command(name = "verify",
        mixinStandardHelpOptions = true,
        description = {
            "Check spool files: signature, integrity (every frame decoded and its digest checked, bodies not kept),"
                + " truncation, expiry and addressing. Prints one line per file, OK or the reason it fails, then a summary.",
            "Files addressed to the node are checked completely with its keys. Files the node sent are checked with"
                + " its public keys: signature, length and payload digest (their content is encrypted for the peer)."
                + " Files neither from nor to the node are foreign. With only --trust, signatures and digests are"
                + " checked; with no keys at all only structure, length and digest, which proves nothing about origin.",
            "Without DIR|FILE, checks the node's inboxes, outboxes and sent store (leaving alone other nodes' files in"
                + " shared folders). A file still arriving (short and changed within the settle time) is reported as"
                + " incomplete but does not count as bad."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every file passed", "1:at least one file is bad", "2:usage or environment error"},
        footer = {"", "Examples:",
            "  hoft spool verify --config back.yaml",
            "  hoft spool verify --config back.yaml link/back-in/FILE.hoft",
            "  hoft spool verify --keys back.jwks --trust front.public.jwks incoming/"})
final class VerifyCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR|FILE", arity = "0..*", description = "folders (their spool files) and files to check")
    List<Path> paths = new ArrayList<>();

    @Mixin
    NodeOptions node;

    @Option(names = "--json", description = "print the results as JSON")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        SpoolContext context = node.load();
        List<Targets.Group> groups = Targets.collect(context, paths,
                EnumSet.of(Role.INBOX, Role.OUTBOX, Role.SENT), "verify");
        int othersFiles = 0;
        if (paths.isEmpty()) {
            // The node's own folders may be shared with other nodes: their files are theirs, not bad files of this node.
            var self = context.self().orElseThrow();
            List<Targets.Group> own = new ArrayList<>();
            for (Targets.Group group : groups) {
                List<SpoolEntry> mine = group.entries().stream()
                        .filter(e -> e.name().sender().equals(self) || e.name().recipient().equals(self)).toList();
                othersFiles += group.entries().size() - mine.size();
                own.add(new Targets.Group(group.folder(), mine));
            }
            groups = own;
        }
        Inspector inspector = new Inspector(context);
        Progress progress = Progress.onTerminal(spec.commandLine().getErr());
        int total = Targets.count(groups);
        List<Inspection> results = new ArrayList<>();
        long bytes = 0;
        for (Targets.Group group : groups) {
            for (SpoolEntry entry : group.entries()) {
                progress.report("verifying " + (results.size() + 1) + "/" + total + " files (" + Human.size(bytes) + " read) "
                        + entry.path().getFileName());
                Inspection inspection = inspector.full(entry, null);
                results.add(inspection);
                bytes += inspection.size();
            }
        }
        progress.done();

        long bad = results.stream().filter(VerifyCommand::isBad).count();
        long arriving = results.stream().filter(r -> "incomplete".equals(r.problem())).count();
        Map<String, Long> reasons = results.stream().filter(VerifyCommand::isBad)
                .collect(Collectors.groupingBy(Inspection::problem, TreeMap::new, Collectors.counting()));
        List<String> notes = notes(context, results);
        if (othersFiles > 0) {
            notes.add(Human.count(othersFiles, "file") + " of other nodes in shared folders left alone (name them to check them)");
        }
        if (json) {
            ObjectNode document = Json.object();
            document.put("node", context.self().map(Object::toString).orElse(null));
            ArrayNode files = document.putArray("files");
            results.forEach(r -> files.add(Render.inspection(r)));
            ObjectNode summary = document.putObject("summary");
            summary.put("files", results.size());
            summary.put("ok", results.stream().filter(Inspection::passed).count());
            summary.put("bad", bad);
            summary.put("incomplete", arriving);
            summary.put("otherNodesFiles", othersFiles);
            ObjectNode byReason = summary.putObject("byReason");
            reasons.forEach(byReason::put);
            ArrayNode noteArray = document.putArray("notes");
            notes.forEach(noteArray::add);
            Json.print(spec.commandLine().getOut(), document);
        } else {
            PrintWriter out = spec.commandLine().getOut();
            Table table = new Table("RESULT", "FILE", "DETAIL");
            for (Inspection r : results) {
                table.row(r.passed() ? "ok" : r.problem(), r.path(), detail(r));
            }
            if (!results.isEmpty()) {
                table.print(out);
            }
            StringBuilder summary = new StringBuilder(Human.count(results.size(), "file") + ": "
                    + (results.size() - bad - arriving) + " ok, " + bad + " bad");
            if (!reasons.isEmpty()) {
                summary.append(" (").append(reasons.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                        .collect(Collectors.joining(", "))).append(')');
            }
            if (arriving > 0) {
                summary.append(", ").append(arriving).append(" still arriving");
            }
            out.println(summary);
            notes.forEach(note -> out.println("note: " + note));
        }
        return bad > 0 ? Main.FOUND_WRONG : Main.OK;
    }

    static boolean isBad(Inspection inspection) {
        return !inspection.passed() && !"incomplete".equals(inspection.problem());
    }

    private static String detail(Inspection r) {
        if (!r.passed()) {
            return r.detail();
        }
        String frames = r.header() == null ? "" : r.header().frames().size() + (r.header().frames().size() == 1 ? " frame" : " frames");
        return r.checked() == Check.CONTENT ? frames : frames + (frames.isEmpty() ? "" : "; ") + r.checked().description;
    }

    /** What the user should know about how far the checks went. */
    private static List<String> notes(SpoolContext context, List<Inspection> results) {
        List<String> notes = new ArrayList<>();
        if (!context.hasKeys()) {
            notes.add("no keys given: signatures were not checked, so nothing here proves who wrote the files"
                    + " (give --config, or --keys and --trust)");
        }
        long notDecrypted = results.stream().filter(r -> r.passed() && r.checked() == Check.HEADER_AND_DIGEST).count();
        if (notDecrypted > 0) {
            notes.add(notDecrypted + (notDecrypted == 1 ? " file was" : " files were") + " checked without decrypting the"
                    + " content, which is encrypted for another node: signature, length and payload digest only");
        }
        long sessionOnly = results.stream().filter(r -> r.passed() && (r.checked() == Check.SESSION
                || r.checked() == Check.SESSION_AND_DIGEST)).count();
        if (sessionOnly > 0) {
            notes.add(sessionOnly + (sessionOnly == 1 ? " file is" : " files are") + " keyed by a session (format version 2 or 4):"
                    + " its ticket, length and payload digest were checked, but its own signature needs the recipient's keys"
                    + " (check it on the recipient, or send with keys: per-file)");
        }
        if (context.self().isPresent() && context.config().isEmpty() && context.hasKeys()
                && results.stream().anyMatch(r -> "spoofed".equals(r.problem()))) {
            notes.add("spoofed: no key in the trust list verifies the file, or its mode is not accepted from its sender;"
                    + " is the sender's public key set among --trust?");
        }
        return notes;
    }
}
