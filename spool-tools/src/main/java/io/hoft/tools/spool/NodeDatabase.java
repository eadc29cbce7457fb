package io.hoft.tools.spool;

import io.hoft.transport.store.NodeStore;
import io.hoft.transport.store.StoreException;
import io.hoft.transport.store.StoreTx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteOpenMode;

/**
 * A node's database ({@code STATE/node.db}) opened for reading only, beside a running node if
 * there is one: {@code query_only} refuses every write, the file is never created, and WAL
 * mode lets the node keep writing while this reads. All reads of one command run in one read
 * transaction, so they see one consistent state. Closing leaves the folder as it was (SQLite
 * removes its {@code -wal} and {@code -shm} files when the last connection closes).
 */
final class NodeDatabase implements AutoCloseable {
    private final Path file;
    private final Connection connection;

    private NodeDatabase(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
    }

    /** The node's database, or empty if the node never ran (there is no {@code node.db}). */
    static Optional<NodeDatabase> openReadOnly(Path stateDir) {
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
            return Optional.of(new NodeDatabase(file, connection));
        } catch (SQLException e) {
            throw new StoreException("cannot open " + file + ": " + e.getMessage(), e);
        }
    }

    Path file() {
        return file;
    }

    boolean hasTable(String table) {
        return queryLong("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", table) > 0;
    }

    <T> List<T> query(String sql, StoreTx.RowMapper<T> mapper, Object... args) {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                statement.setObject(i + 1, args[i]);
            }
            try (ResultSet rows = statement.executeQuery()) {
                List<T> result = new ArrayList<>();
                while (rows.next()) {
                    result.add(mapper.map(rows));
                }
                return result;
            }
        } catch (SQLException e) {
            throw new StoreException("query failed: " + sql + ": " + e.getMessage(), e);
        }
    }

    long queryLong(String sql, Object... args) {
        List<Long> rows = query(sql, row -> row.getLong(1), args);
        return rows.isEmpty() ? 0 : rows.get(0);
    }

    @Override
    public void close() {
        try {
            connection.rollback();
            connection.close();
        } catch (SQLException e) {
            // nothing was written; closing a reader cannot lose anything
        }
    }
}
