package io.hoft.transport.channel;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.keys.NodeId;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeLockTest {
    @TempDir
    Path state;

    @Test
    void aSecondNodeOnTheSameStateIsRefusedUntilTheFirstCloses() throws Exception {
        assertFalse(NodeLock.isHeld(state));
        try (NodeLock first = NodeLock.acquire(state, NodeId.of("front"))) {
            assertTrue(NodeLock.isHeld(state));
            IllegalStateException refused = assertThrows(IllegalStateException.class, () -> NodeLock.acquire(state, NodeId.of("front")));
            assertTrue(refused.getMessage().contains("already running"), refused.getMessage());
        }
        assertFalse(NodeLock.isHeld(state));
        NodeLock.acquire(state, NodeId.of("front")).close();
    }
}
