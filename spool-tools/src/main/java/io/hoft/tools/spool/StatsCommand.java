package io.hoft.tools.spool;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.tools.Human;
import io.hoft.tools.Json;
import io.hoft.tools.Main;
import io.hoft.transport.channel.ChannelConfig;
import io.hoft.transport.channel.ChannelView;
import io.hoft.transport.channel.LinkState;
import io.hoft.transport.channel.NodeLock;
import io.hoft.transport.config.NodeConfig;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.SeqRange;
import io.hoft.transport.store.NodeSnapshot;
import io.hoft.transport.store.StoreTx;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code hoft spool stats}: the state of a node's channels, read from its database and folders. */
@Command(name = "stats",
        mixinStandardHelpOptions = true,
        description = {
            "Show a node's channels, per peer: the link state (up, late or down, from when the peer was last heard, with"
                + " the thresholds of the node's channel settings), the backlog out (queued messages, unacknowledged"
                + " files and bytes, the oldest one's age, resends) and in (the receive state: epoch, up to, ranges and"
                + " gaps; files waiting in the inbox; fragmented messages being put together), plus the quarantine and"
                + " whether the node is running.",
            "Reads the database without changing it, beside a running node. A running node writes down when it last"
                + " heard a peer every minute and on every received message, so last heard may lag by up to a minute."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:shown", "2:usage or environment error (no --config, unreadable config or keys)"},
        footer = {"", "Example: hoft spool stats --config front.yaml --json"})
final class StatsCommand implements Callable<Integer> {
    @Mixin
    ConfigOption node;

    @Option(names = "--json", description = "print the stats as JSON")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        SpoolContext context = node.load();
        NodeConfig config = context.requireConfig("stats");
        ChannelConfig channel = config.channel().toChannelConfig(config.fileMode());
        Instant now = context.now();
        ObjectNode document = Json.object();
        document.put("node", config.id());
        document.put("state", config.state().toString());
        boolean running = NodeLock.isHeld(config.state());
        document.put("running", running);
        document.put("pid", running ? pid(config.state()) : null);
        Json.putMs(document, "atMs", now);
        ObjectNode thresholds = document.putObject("link");
        thresholds.put("lateAfterMs", channel.lateAfter().toMillis());
        thresholds.put("downAfterMs", channel.downAfter().toMillis());

        Optional<NodeSnapshot> db = context.openDatabase();
        try {
            document.put("database", db.isPresent() ? db.get().file().toString() : null);
            ChannelRows rows = ChannelRows.load(db);
            ArrayNode peers = document.putArray("peers");
            for (NodeConfig.PeerConfig peer : config.peers()) {
                peers.add(peer(context, channel, db, rows, peer, now));
            }
            document.set("quarantine", quarantine(context.quarantineDir(), now));
            ObjectNode sections = document.putObject("sections");
            for (StatsSection section : StatsSection.ALL) {
                sections.set(section.name(), db.isPresent() ? section.collect(db.get(), now) : unavailable());
            }
        } finally {
            db.ifPresent(NodeSnapshot::close);
        }
        if (json) {
            Json.print(spec.commandLine().getOut(), document);
        } else {
            print(spec.commandLine().getOut(), document, now);
        }
        return Main.OK;
    }

    private static ObjectNode unavailable() {
        ObjectNode section = Json.object();
        section.put("available", false);
        section.put("note", "the node has no database yet");
        return section;
    }

    private static Long pid(Path stateDir) {
        try {
            String text = Files.readString(stateDir.resolve(NodeLock.FILE_NAME), StandardCharsets.US_ASCII).trim();
            return text.matches("\\d{1,19}") ? Long.parseLong(text) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static ObjectNode peer(SpoolContext context, ChannelConfig channel, Optional<NodeSnapshot> database,
            ChannelRows rows, NodeConfig.PeerConfig peerConfig, Instant now) throws IOException {
        NodeId peer = peerConfig.nodeId();
        NodeId self = context.self().orElseThrow();
        String id = peer.value();
        ObjectNode node = Json.object();
        node.put("peer", id);

        Optional<ChannelView.PeerChannel> in = rows.incoming(id);
        long heard = in.map(ChannelView.PeerChannel::lastHeardMs).orElse(0L);
        Optional<StoreTx> tx = database.map(NodeSnapshot::tx).filter(ChannelView::exists);
        if (tx.isPresent()) {
            heard = Math.max(heard, ChannelView.lastReceivedMs(tx.get(), id));
        }
        long silence = now.toEpochMilli() - heard;
        LinkState state = heard <= 0 ? LinkState.DOWN
                : silence <= channel.lateAfter().toMillis() ? LinkState.UP
                : silence <= channel.downAfter().toMillis() ? LinkState.LATE : LinkState.DOWN;
        ObjectNode link = node.putObject("link");
        link.put("state", state.wireName());
        if (heard > 0) {
            link.put("lastHeardMs", heard);
            link.put("silenceMs", silence);
        } else {
            link.putNull("lastHeardMs");
            link.putNull("silenceMs");
        }

        ObjectNode out = node.putObject("out");
        long outboxFiles = SpoolEntry.scan(context.requireConfig("stats").linkOutbox(peerConfig)).stream()
                .filter(e -> e.name().sender().equals(self) && e.name().recipient().equals(peer)).count();
        out.put("outboxFiles", outboxFiles);
        if (tx.isPresent()) {
            in.ifPresent(row -> {
                out.put("epoch", row.outEpoch());
                out.put("lastSeq", row.outNextSeq() - 1);
            });
            ChannelView.SendingStats sending = ChannelView.sending(tx.get(), id);
            out.put("queuedMessages", sending.queuedMessages());
            out.put("backlogMessages", sending.backlogMessages());
            out.put("backlogBytes", sending.backlogBytes());
            out.put("unackedFiles", sending.unackedFiles());
            out.put("unackedBytes", sending.unackedBytes());
            out.put("writingFiles", sending.writingFiles());
            long oldest = sending.oldestUnackedMs();
            if (oldest > 0) {
                out.put("oldestUnackedMs", oldest);
                out.put("oldestUnackedAgeMs", now.toEpochMilli() - oldest);
            } else {
                out.putNull("oldestUnackedMs");
                out.putNull("oldestUnackedAgeMs");
            }
            out.put("resends", sending.resends());
            out.put("maxAttempts", sending.maxAttempts());
            long nextResend = sending.nextResendMs();
            if (nextResend > 0) {
                out.put("nextResendMs", nextResend);
            } else {
                out.putNull("nextResendMs");
            }
        }

        ObjectNode incoming = node.putObject("in");
        long inboxFiles = SpoolEntry.scan(context.requireConfig("stats").linkInbox(peerConfig)).stream()
                .filter(e -> e.name().sender().equals(peer) && e.name().recipient().equals(self)).count();
        incoming.put("inboxFiles", inboxFiles);
        in.ifPresent(row -> {
            if (row.inEpoch() < 0) {
                incoming.putNull("epoch");
                return;
            }
            incoming.put("epoch", row.inEpoch());
            incoming.put("upTo", row.received().upTo());
            incoming.set("ranges", ranges(row.received().ranges()));
            incoming.put("lastSeq", row.inLastSeq());
            incoming.set("gaps", ranges(row.received().gaps(Math.max(row.received().highest(), row.inLastSeq()))));
        });
        if (tx.isPresent()) {
            ArrayNode partial = incoming.putArray("reassemblies");
            for (ChannelView.Reassembly r : ChannelView.reassemblies(tx.get(), id)) {
                ObjectNode item = partial.addObject();
                item.put("id", r.id());
                item.put("kind", r.kind());
                item.put("fragments", r.fragments());
                item.put("count", r.count());
                item.put("totalLength", r.totalLength());
                item.put("expiresMs", r.expiresMs());
            }
            incoming.put("rememberedIds", ChannelView.rememberedIds(tx.get(), id));
        }
        return node;
    }

    private static ArrayNode ranges(List<SeqRange> ranges) {
        ArrayNode array = Json.array();
        ranges.forEach(r -> array.addArray().add(r.first()).add(r.last()));
        return array;
    }

    private static ObjectNode quarantine(Path dir, Instant now) throws IOException {
        List<SpoolEntry> entries = SpoolEntry.scanQuarantine(dir);
        ObjectNode node = Json.object();
        node.put("folder", dir.toString());
        node.put("files", entries.size());
        long bytes = 0;
        for (SpoolEntry entry : entries) {
            bytes += Files.exists(entry.path()) ? Files.size(entry.path()) : 0;
        }
        node.put("bytes", bytes);
        Map<String, Long> byReason = entries.stream().collect(Collectors.groupingBy(
                e -> e.quarantineReason() == null ? "unknown" : e.quarantineReason().split(":", 2)[0].trim(),
                TreeMap::new, Collectors.counting()));
        ObjectNode reasons = node.putObject("byReason");
        byReason.forEach(reasons::put);
        Optional<Instant> newest = entries.stream().map(SpoolEntry::quarantinedAt).filter(t -> t != null).max(Instant::compareTo);
        if (newest.isPresent()) {
            node.put("newestMs", newest.get().toEpochMilli());
        } else {
            node.putNull("newestMs");
        }
        return node;
    }

    private static void print(PrintWriter out, ObjectNode d, Instant now) {
        out.println("node " + d.get("node").asText() + ": " + (d.get("running").asBoolean()
                ? "running" + (d.get("pid").isNull() ? "" : " (pid " + d.get("pid").asLong() + ")") : "not running")
                + ", state " + d.get("state").asText());
        if (d.get("database").isNull()) {
            out.println("  no database yet: the node has never run");
        }
        for (var p : d.get("peers")) {
            ObjectNode link = (ObjectNode) p.get("link");
            out.println();
            out.println("peer " + p.get("peer").asText() + ": link " + link.get("state").asText()
                    + (link.get("lastHeardMs").isNull() ? " (never heard)"
                    : " (last heard " + Human.duration(Duration.ofMillis(link.get("silenceMs").asLong())) + " ago)")
                    + "  [late after " + Human.duration(Duration.ofMillis(d.get("link").get("lateAfterMs").asLong()))
                    + ", down after " + Human.duration(Duration.ofMillis(d.get("link").get("downAfterMs").asLong())) + "]");
            var o = p.get("out");
            StringBuilder line = new StringBuilder("  out  ");
            if (o.has("queuedMessages")) {
                line.append(o.get("queuedMessages").asLong()).append(" queued, ")
                        .append(Human.count(o.get("unackedFiles").asLong(), "unacked file")).append(" (")
                        .append(Human.size(o.get("unackedBytes").asLong())).append(")");
                if (!o.get("oldestUnackedAgeMs").isNull()) {
                    line.append(", oldest ").append(Human.duration(Duration.ofMillis(o.get("oldestUnackedAgeMs").asLong())));
                }
                line.append(", ").append(Human.count(o.get("resends").asLong(), "resend"));
                if (o.get("maxAttempts").asLong() > 1) {
                    line.append(" (up to ").append(o.get("maxAttempts").asLong()).append(" attempts)");
                }
                line.append("; ");
            }
            line.append(o.get("outboxFiles").asLong()).append(" in the outbox");
            if (o.has("epoch")) {
                line.append("; epoch ").append(o.get("epoch").asLong()).append(", last seq ").append(o.get("lastSeq").asLong());
            }
            out.println(line);
            var i = p.get("in");
            line = new StringBuilder("  in   ");
            if (i.has("epoch") && !i.get("epoch").isNull()) {
                line.append("epoch ").append(i.get("epoch").asLong()).append(": received up to ").append(i.get("upTo").asLong());
                if (i.get("ranges").size() > 0) {
                    line.append(" and ").append(rangesText(i.get("ranges")));
                }
                if (i.get("gaps").size() > 0) {
                    line.append(", missing ").append(rangesText(i.get("gaps")));
                }
                line.append(" (peer's last seq ").append(i.get("lastSeq").asLong()).append("); ");
            } else {
                line.append("nothing received yet; ");
            }
            line.append(i.get("inboxFiles").asLong()).append(" in the inbox");
            if (i.has("reassemblies") && i.get("reassemblies").size() > 0) {
                line.append("; reassembling ");
                line.append(java.util.stream.StreamSupport.stream(i.get("reassemblies").spliterator(), false)
                        .map(r -> r.get("id").asText() + " (" + r.get("fragments").asLong() + "/" + r.get("count").asLong() + ")")
                        .collect(Collectors.joining(", ")));
            }
            out.println(line);
        }
        var q = d.get("quarantine");
        out.println();
        out.println("quarantine: " + Human.count(q.get("files").asLong(), "file") + " (" + Human.size(q.get("bytes").asLong()) + ")"
                + (q.get("byReason").size() == 0 ? "" : ": " + q.get("byReason").toString().replaceAll("[{}\"]", "").replace(":", " ")
                        .replace(",", ", ")));
        d.get("sections").properties().forEach(section -> {
            for (StatsSection s : StatsSection.ALL) {
                if (s.name().equals(section.getKey())) {
                    out.println(section.getKey() + ": " + String.join("; ", s.describe((ObjectNode) section.getValue())));
                }
            }
        });
    }

    private static String rangesText(com.fasterxml.jackson.databind.JsonNode ranges) {
        return java.util.stream.StreamSupport.stream(ranges.spliterator(), false)
                .map(r -> r.get(0).asLong() == r.get(1).asLong() ? r.get(0).asText() : r.get(0).asText() + "-" + r.get(1).asText())
                .collect(Collectors.joining(", "));
    }
}
