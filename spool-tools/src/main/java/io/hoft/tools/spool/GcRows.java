package io.hoft.tools.spool;

import io.hoft.tools.Main;
import io.hoft.tools.spool.GcCommand.Lost;
import io.hoft.transport.channel.ChannelHousekeeping;
import io.hoft.transport.channel.ChannelView;
import io.hoft.transport.store.NodeStore;
import io.hoft.transport.store.StoreTx;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The database part of {@code hoft spool gc}, through the channel's own view and operations
 * ({@link ChannelView}, {@link ChannelHousekeeping}): what the plan lists is read from the
 * read-only snapshot; the change runs in one transaction on the node's store, which SQLite
 * serialises with a running node's, and judges every row again, so a row that settled or
 * changed since the plan is counted as it really is. {@code peer} null means every peer.
 */
final class GcRows {
    private GcRows() {
    }

    /** Lists the settled rows per table, if there are any. */
    static void putRows(Map<String, Long> rows, ChannelHousekeeping.SettledRows settled) {
        if (settled.total() > 0) {
            rows.put("out_file", settled.files());
            rows.put("out_file_frame", settled.frames());
            rows.put("out_message", settled.messages());
        }
    }

    /**
     * The unacknowledged backlog: counts of what gc keeps, and with {@code lost} non-null, the
     * messages and files --force would give up (older than the cutoff, plus everything that
     * shares a file with them).
     */
    static long[] unacked(StoreTx tx, String peer, long cutoffMs, List<Lost> lost, Instant now) {
        ChannelView.Unacked unacked = ChannelView.unacked(tx, peer);
        if (lost != null) {
            long nowMs = now.toEpochMilli();
            for (ChannelView.LostFile file : ChannelView.lostFiles(tx, cutoffMs, peer)) {
                lost.add(new Lost("file", file.peer(), file.name(), null, file.state(), file.size(), nowMs - file.firstSentMs(),
                        file.attempts()));
            }
            for (ChannelView.LostMessage message : ChannelView.lostMessages(tx, cutoffMs, peer)) {
                lost.add(new Lost("message", message.peer(), message.id(), message.kind(), message.state(),
                        message.bodyLength(), nowMs - message.enqueuedMs(), 0));
            }
        }
        return new long[] {unacked.files(), unacked.messages()};
    }

    /**
     * Deletes the settled rows and expires the lost backlog, in one transaction the node's own
     * transactions are serialised with; {@code rows} becomes what was really deleted. Returns
     * {expired messages + files}.
     */
    static long[] change(Path stateDir, String peer, long cutoffMs, List<Lost> lost, Instant now, Map<String, Long> rows) {
        try (NodeStore store = NodeStore.open(stateDir)) {
            return store.inTransaction(tx -> {
                ChannelHousekeeping.SettledRows deleted = ChannelHousekeeping.deleteSettled(tx, cutoffMs, peer);
                rows.clear(); // rows may have settled since the plan
                putRows(rows, deleted);
                long nowMs = now.toEpochMilli();
                long expired = 0;
                for (Lost item : lost) {
                    expired += item.type().equals("file") ? ChannelHousekeeping.expireFile(tx, item.peer(), item.id(), nowMs)
                            : ChannelHousekeeping.expireMessage(tx, item.peer(), item.id(), nowMs);
                }
                return new long[] {expired};
            });
        } catch (IOException e) {
            throw new Main.UsageException("cannot open the node's database: " + e.getMessage());
        }
    }
}
