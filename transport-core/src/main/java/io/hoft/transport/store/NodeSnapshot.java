package io.hoft.transport.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteOpenMode;

/**
 * A node's database ({@code STATE/node.db}) opened for reading only, beside a running node if
 * there is one: {@code query_only} refuses every write (a write through {@link #tx} fails with a
 * {@link StoreException}), the file is never created, and WAL mode lets the node keep writing
 * while this reads. Every read through one snapshot runs in one read transaction, so it sees
 * one consistent state. Closing leaves the folder as it was (SQLite removes its {@code -wal}
 * and {@code -shm} files when the last connection closes).
 *
 * <p>The tables' owners (the channel, the front's and the back's request stores, the callback
 * jobs) offer read-only views that take {@link #tx()}; nothing else reads their tables.
 */
public final class NodeSnapshot implements AutoCloseable {
    private final Path file;
    private final Connection connection;
    private final Statements statements;
    private final StoreTx tx;

    private NodeSnapshot(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
        this.statements = new Statements(connection);
        this.tx = new StoreTx(statements);
    }

    /** The node's database, or empty if the node never ran (there is no {@code node.db}). */
    public static Optional<NodeSnapshot> open(Path stateDir) {
        Path file = stateDir.resolve(NodeStore.FILE_NAME);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setOpenMode(SQLiteOpenMode.READWRITE); // not CREATE; READONLY would leave -wal and -shm behind
        config.setBusyTimeout(10_000);
        try {
            Connection connection = config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement statement = connection.createStatement()) {
                statement.execute("PRAGMA query_only = 1");
            }
            connection.setAutoCommit(false); // one read transaction: a consistent snapshot
            return Optional.of(new NodeSnapshot(file, connection));
        } catch (SQLException e) {
            throw new StoreException("cannot open " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    /** The snapshot's one read transaction; it never commits. */
    public StoreTx tx() {
        return tx;
    }

    /** Whether the node has created {@code table} (a node of an older version may not have). */
    public boolean hasTable(String table) {
        return tx.queryLong("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", table) > 0;
    }

    @Override
    public void close() {
        statements.close();
        try {
            connection.rollback();
            connection.close();
        } catch (SQLException e) {
            // nothing was written; closing a reader cannot lose anything
        }
    }
}
