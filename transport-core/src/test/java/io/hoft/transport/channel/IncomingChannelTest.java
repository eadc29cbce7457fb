package io.hoft.transport.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.keys.NodeId;
import io.hoft.transport.store.NodeStore;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IncomingChannelTest {
    @TempDir
    Path dir;

    @Test
    void aFileThatChangesWhatWasReceivedAlsoRecordsWhenThePeerWasHeard() throws Exception {
        try (NodeStore store = NodeStore.open(dir)) {
            store.migrate(ChannelSchema.MODULE, ChannelSchema.STEPS);
            IncomingChannel in = new IncomingChannel(NodeId.of("back"), ChannelConfig.DEFAULT);
            store.inTransaction(tx -> {
                ChannelTable.createIfAbsent(tx, "back", 1);
                in.load(tx, 0);
                return null;
            });

            in.heard(5_000);
            boolean recorded = store.inTransaction(tx -> in.recordReceived(tx, 7, 1, 5_000));
            in.heard(4_000); // an older time never moves it back
            store.inTransaction(tx -> in.recordReceived(tx, 7, 2, 4_000));

            assertTrue(recorded);
            long lastHeard = store.inTransaction(tx -> ChannelTable.lastHeardMs(tx, "back"));
            assertEquals(5_000L, lastHeard);
        }
    }
}
