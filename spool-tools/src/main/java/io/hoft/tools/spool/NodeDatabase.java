package io.hoft.tools.spool;

import io.hoft.transport.store.NodeSnapshot;
import io.hoft.transport.store.StoreTx;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A node's database opened for reading only ({@link NodeSnapshot}): what the read-only
 * commands look at, through the read-only views of the tables' owners.
 */
final class NodeDatabase implements AutoCloseable {
    private final NodeSnapshot snapshot;

    private NodeDatabase(NodeSnapshot snapshot) {
        this.snapshot = snapshot;
    }

    /** The node's database, or empty if the node never ran (there is no {@code node.db}). */
    static Optional<NodeDatabase> openReadOnly(Path stateDir) {
        return NodeSnapshot.open(stateDir).map(NodeDatabase::new);
    }

    Path file() {
        return snapshot.file();
    }

    /** The snapshot's read transaction, for the owners' read-only views. */
    StoreTx tx() {
        return snapshot.tx();
    }

    boolean hasTable(String table) {
        return snapshot.hasTable(table);
    }

    <T> List<T> query(String sql, StoreTx.RowMapper<T> mapper, Object... args) {
        return snapshot.tx().query(sql, mapper, args);
    }

    long queryLong(String sql, Object... args) {
        return snapshot.tx().queryLong(sql, args);
    }

    @Override
    public void close() {
        snapshot.close();
    }
}
