package io.hoft.tools.spool;

import com.fasterxml.jackson.databind.JsonNode;
import io.hoft.tools.Json;
import io.hoft.transport.channel.ReceiveState;
import io.hoft.transport.message.SeqRange;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A snapshot of the channel's tables in a node's database (see {@code ChannelSchema} in
 * transport-core): per peer what was received from it, and every data file sent to it that
 * the database still has a row for. Empty when the node never ran.
 */
final class ChannelRows {
    /** The receiving side of one peer's channel to this node. */
    record Incoming(String peer, long epoch, ReceiveState received, long lastSeq, long lastHeardMs, long outEpoch,
            long outNextSeq) {}

    /** A data file sent to a peer. */
    record OutFile(String peer, long epoch, long seq, String name, String state, long size, int attempts, Long firstSentMs,
            Long lastSentMs, Long settledMs, long expiresMs) {}

    private final Map<String, Incoming> incoming = new LinkedHashMap<>();
    private final Map<List<Object>, OutFile> outFiles = new HashMap<>();

    static ChannelRows load(Optional<NodeDatabase> database) {
        ChannelRows rows = new ChannelRows();
        if (database.isEmpty() || !database.get().hasTable("channel")) {
            return rows;
        }
        NodeDatabase db = database.get();
        for (Incoming in : db.query("SELECT peer, in_epoch, in_up_to, in_ranges, in_last_seq, last_heard_ms, out_epoch,"
                + " out_next_seq FROM channel ORDER BY peer", row -> new Incoming(row.getString(1), row.getLong(2),
                new ReceiveState(row.getLong(3), parseRanges(row.getString(4))), row.getLong(5), row.getLong(6),
                row.getLong(7), row.getLong(8)))) {
            rows.incoming.put(in.peer(), in);
        }
        for (OutFile file : db.query("SELECT peer, epoch, seq, name, state, size, attempts, first_sent_ms, last_sent_ms,"
                + " settled_ms, expires_ms FROM out_file", row -> new OutFile(row.getString(1), row.getLong(2), row.getLong(3),
                row.getString(4), row.getString(5), row.getLong(6), row.getInt(7), longOrNull(row.getObject(8)),
                longOrNull(row.getObject(9)), longOrNull(row.getObject(10)), row.getLong(11)))) {
            rows.outFiles.put(List.of(file.peer(), file.epoch(), file.seq()), file);
        }
        return rows;
    }

    private static Long longOrNull(Object value) {
        return value == null ? null : ((Number) value).longValue();
    }

    /** The {@code in_ranges} column: {@code [[first, last], ...]}. */
    static List<SeqRange> parseRanges(String json) {
        List<SeqRange> ranges = new ArrayList<>();
        try {
            for (JsonNode pair : Json.MAPPER.readTree(json)) {
                ranges.add(new SeqRange(pair.get(0).asLong(), pair.get(1).asLong()));
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("unreadable receive ranges in the node database: " + json, e);
        }
        return ranges;
    }

    boolean isEmpty() {
        return incoming.isEmpty();
    }

    Optional<Incoming> incoming(String peer) {
        return Optional.ofNullable(incoming.get(peer));
    }

    Optional<OutFile> outFile(String peer, long epoch, long seq) {
        return Optional.ofNullable(outFiles.get(List.of(peer, epoch, seq)));
    }

    /**
     * True if this node already received the data file {@code seq} of {@code epoch} from
     * {@code peer}, or will never take it (an older epoch): a copy still in the inbox is a
     * leftover the node drops as a duplicate.
     */
    boolean received(String peer, long epoch, long seq) {
        Incoming in = incoming.get(peer);
        if (in == null || in.epoch() < 0) {
            return false;
        }
        return epoch < in.epoch() || (epoch == in.epoch() && in.received().contains(seq));
    }
}
