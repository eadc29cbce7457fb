package io.hoft.transport.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's durable state: one SQLite database ({@code node.db}) in write-ahead-log mode with
 * {@code synchronous=FULL}, so a committed transaction survives {@code kill -9} and power
 * loss. The channel and the proxy above it keep their tables here, which is what lets "the
 * channel received file N" and "the proxy stored the request in it" commit as one.
 *
 * <p>Writers are serialised through one connection (SQLite allows one writer at a time
 * anyway); a transaction should do only local work and never wait on the network. Each module
 * creates its tables with {@link #migrate}; {@code hoft spool} and the {@code sqlite3} CLI
 * read the same file.
 */
public final class NodeStore implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(NodeStore.class);
    public static final String FILE_NAME = "node.db";

    /** A unit of work inside one transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(StoreTx tx) throws Exception;
    }

    /** A test seam: called just before every commit; throwing aborts the transaction. */
    @FunctionalInterface
    public interface CommitGate {
        void beforeCommit() throws SQLException;
    }

    private final Path file;
    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile CommitGate commitGate = () -> { };

    private NodeStore(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
    }

    /** Opens (creating if needed) {@code dir/node.db}. */
    public static NodeStore open(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(FILE_NAME);
        try {
            SQLiteConfig sqlite = new SQLiteConfig();
            sqlite.setBusyTimeout(10_000);
            Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath(), sqlite.toProperties());
            try (Statement statement = connection.createStatement()) {
                statement.execute("PRAGMA journal_mode=WAL");
                statement.execute("PRAGMA synchronous=FULL");
                statement.execute("PRAGMA foreign_keys=ON");
                statement.execute("CREATE TABLE IF NOT EXISTS schema_migration ("
                        + "module TEXT NOT NULL, step INTEGER NOT NULL, PRIMARY KEY (module, step))");
            }
            // Autocommit stays on and transactions are begun explicitly (see inTransaction): the
            // driver would otherwise begin the next transaction as soon as one commits.
            return new NodeStore(file, connection);
        } catch (SQLException e) {
            throw new IOException("cannot open node database " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    /**
     * Applies a module's schema steps that have not been applied yet, each step in its own
     * transaction. Steps are append-only: a released step is never edited.
     */
    public void migrate(String module, List<String> steps) {
        for (int i = 0; i < steps.size(); i++) {
            int step = i + 1;
            String sql = steps.get(i);
            inTransaction(tx -> {
                if (tx.queryLong("SELECT COUNT(*) FROM schema_migration WHERE module = ? AND step = ?", module, step) == 0) {
                    for (String statement : sql.split(";")) {
                        if (!statement.isBlank()) {
                            tx.update(statement);
                        }
                    }
                    tx.update("INSERT INTO schema_migration (module, step) VALUES (?, ?)", module, step);
                }
                return null;
            });
        }
    }

    /**
     * Runs {@code work} in one transaction: all of it commits, or none of it. Transactions do
     * not nest: work that needs to join one takes the {@link StoreTx} as a parameter.
     */
    public <T> T inTransaction(Work<T> work) {
        if (lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("transactions do not nest; pass the StoreTx instead");
        }
        lock.lock();
        StoreTx tx = new StoreTx(connection);
        T result;
        try {
            try {
                // IMMEDIATE takes the write lock at the start, so a writer in another process
                // (a CLI tool) makes this wait up to the busy timeout instead of failing with
                // SQLITE_BUSY when a read would have to upgrade to a write.
                execute("BEGIN IMMEDIATE");
            } catch (SQLException e) {
                throw new StoreException("cannot begin a transaction: " + e.getMessage(), e);
            }
            try {
                result = work.run(tx);
                commitGate.beforeCommit();
                execute("COMMIT");
            } catch (Exception e) {
                rollback();
                if (e instanceof StoreException) {
                    throw (StoreException) e;
                }
                if (e instanceof RuntimeException) {
                    throw (RuntimeException) e;
                }
                throw new StoreException("transaction failed: " + e.getMessage(), e);
            } catch (Error e) {
                rollback();
                throw e;
            }
        } finally {
            lock.unlock();
        }
        for (Runnable action : tx.afterCommitActions()) {
            try {
                action.run();
            } catch (RuntimeException e) {
                log.warn("after-commit action failed: {}", e.toString());
            }
        }
        return result;
    }

    /** Installs a gate called before each commit (tests fail the commit point with it). */
    public void setCommitGate(CommitGate gate) {
        this.commitGate = Objects.requireNonNull(gate, "gate");
    }

    private void rollback() {
        try {
            execute("ROLLBACK");
        } catch (SQLException e) {
            log.error("rollback failed: {}", e.toString());
        }
    }

    private void execute(String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            connection.close();
        } catch (SQLException e) {
            log.warn("closing {} failed: {}", file, e.toString());
        } finally {
            lock.unlock();
        }
    }
}
