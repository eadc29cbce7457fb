package io.hoft.transport.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.store.NodeStore;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rule of {@link OutgoingTables}' class comment: a settled file never changes again. */
class OutgoingTablesTest {
    @TempDir
    Path dir;

    @Test
    void aFileAckedAfterItWasReadAsExpiredStaysAcked() throws Exception {
        try (NodeStore store = NodeStore.open(dir)) {
            store.migrate(ChannelSchema.MODULE, ChannelSchema.STEPS);
            OutgoingTables tables = new OutgoingTables("back");
            tables.epoch(1);
            store.inTransaction(tx -> {
                tables.insertWriting(tx, 7, OutgoingChannel.SMALL, 1_000);
                tables.markSent(tx, 7, "file-7", 10, 100, 200, null);
                return null;
            });
            // the resend step read file 7 as expired; the receiving thread's ack commits first
            store.inTransaction(tx -> {
                tables.ackFile(tx, 7, 300);
                return null;
            });

            boolean abandoned = store.inTransaction(tx -> tables.abandonFile(tx, 7, 400));
            assertFalse(abandoned);
            assertEquals("acked", stateOf(store, 7));
        }
    }

    @Test
    void aFileStillSentIsAbandoned() throws Exception {
        try (NodeStore store = NodeStore.open(dir)) {
            store.migrate(ChannelSchema.MODULE, ChannelSchema.STEPS);
            OutgoingTables tables = new OutgoingTables("back");
            tables.epoch(1);
            store.inTransaction(tx -> {
                tables.insertWriting(tx, 8, OutgoingChannel.SMALL, 1_000);
                tables.markSent(tx, 8, "file-8", 10, 100, 200, null);
                return null;
            });

            boolean abandoned = store.inTransaction(tx -> tables.abandonFile(tx, 8, 400));
            assertTrue(abandoned);
            assertEquals("abandoned", stateOf(store, 8));
        }
    }

    private static String stateOf(NodeStore store, long seq) {
        return store.inTransaction(tx -> tx.queryOne("SELECT state FROM out_file WHERE peer = 'back' AND seq = ?",
                row -> row.getString(1), seq).orElseThrow());
    }
}
