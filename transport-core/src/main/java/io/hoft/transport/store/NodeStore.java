package io.hoft.transport.store;

import io.hoft.transport.fs.OwnerOnly;
import io.hoft.transport.fs.Disk;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's durable state: one SQLite database ({@code node.db}) in write-ahead-log mode, where
 * a committed transaction survives {@code kill -9} and power loss. The channel and the proxy
 * above it keep their tables here, which is what lets "the channel received file N" and "the
 * proxy stored the request in it" commit as one.
 *
 * <p>Writers are serialised through one connection (SQLite allows one writer at a time
 * anyway); a transaction should do only local work and never wait on the network. Each module
 * creates its tables with {@link #migrate}; {@code hoft spool} and the {@code sqlite3} CLI
 * read the same file.
 *
 * <p><b>Group commit.</b> SQLite runs with {@code synchronous=NORMAL}: a {@code COMMIT} appends
 * the transaction to the write-ahead log ({@code node.db-wal}) without an fsync, so it is safe
 * from a process crash at once but not yet from power loss. Before {@link #inTransaction}
 * returns, and before any of its {@link StoreTx#afterCommit} actions run, the WAL file itself is
 * forced to disk ({@link FileChannel#force}), outside the writer lock: transactions that commit
 * while one force is in flight are all covered by the next one, so many concurrent commits share
 * one fsync instead of taking one each in turn under the lock. The log is append-only between
 * checkpoints, and a checkpoint (SQLite's own, which syncs the log before and the database after
 * copying) never discards a transaction that was not synced, so "forced after my commit" means
 * "my commit is on disk". The first force of a new WAL file also syncs the folder, so the file's
 * name survives too. A transaction that only read waits until everything committed before it
 * began is on disk, so no caller is ever shown state that power loss could take back. A failed
 * force leaves the store refusing every further transaction: the node must restart (and SQLite
 * then recovers what reached the disk).
 *
 * <p><b>Durable later.</b> Work that nothing outside the node sees before a later force (a read
 * for the node's own use, a received file whose acknowledgement waits for a force) commits with
 * {@link #inTransactionDurableLater} and costs no force of its own; whoever then acts outside the
 * node on it calls {@link #sync} first, or commits its own next step with a force, which covers
 * it (the log is forced in commit order).
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
    private final Path wal;
    private final Connection connection;
    private final Statements statements;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile CommitGate commitGate = () -> { };

    // Group commit (see the class comment). Commits are numbered in commit order under the
    // writer lock; durableSeq is the highest number known to be on disk.
    private final Object syncMonitor = new Object();
    private volatile long committedSeq;
    private long durableSeq;
    private boolean syncing;
    private Object walFileKey;
    private IOException syncFailure;
    private final AtomicLong syncs = new AtomicLong();
    private volatile Runnable beforeSync = () -> { };

    private NodeStore(Path file, Connection connection) {
        this.file = file;
        this.wal = file.resolveSibling(file.getFileName() + "-wal");
        this.connection = connection;
        this.statements = new Statements(connection);
    }

    /** Opens (creating if needed) {@code dir/node.db}. */
    public static NodeStore open(Path dir) throws IOException {
        OwnerOnly.createDirectories(dir);
        Path file = dir.resolve(FILE_NAME);
        // 600 before SQLite opens it: SQLite creates the -wal and -shm files with the database's mode.
        OwnerOnly.createFileIfMissing(file);
        try {
            SQLiteConfig sqlite = new SQLiteConfig();
            sqlite.setBusyTimeout(10_000);
            Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath(), sqlite.toProperties());
            try (Statement statement = connection.createStatement()) {
                statement.execute("PRAGMA journal_mode=WAL");
                // NORMAL: COMMIT does not fsync the log; inTransaction forces it itself, shared
                // between concurrent commits (group commit, see the class comment).
                statement.execute("PRAGMA synchronous=NORMAL");
                statement.execute("PRAGMA foreign_keys=ON");
                // Pages read through a memory map and a larger cache: a read then costs no system
                // call, which on a virtual machine is a good part of a small call's CPU.
                statement.execute("PRAGMA mmap_size=268435456");
                statement.execute("PRAGMA cache_size=-16384");
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
        return run(work, true);
    }

    /**
     * Like {@link #inTransaction}, but returns once the transaction has committed, without
     * waiting for it to reach the disk: it gets there with the next force (the log is written in
     * commit order, so forcing a later commit forces this one too, see {@link #sync}), and a
     * process crash never loses it. Only for work whose effects nothing outside this node sees
     * before a later force: a read that feeds the node's own work, reserving a sequence number
     * before writing the file that will carry it, recording a received file whose
     * acknowledgement goes out only after a {@link #sync}. After power loss the work may be
     * gone, and recovery must cope with that as if it had never run.
     *
     * <p>{@link StoreTx#onCommit} actions run at once; if the work registered
     * {@link StoreTx#afterCommit} actions, the transaction is forced after all and they run
     * once it is durable, as with {@link #inTransaction}.
     */
    public <T> T inTransactionDurableLater(Work<T> work) {
        return run(work, false);
    }

    /**
     * Returns once every transaction committed so far is on disk: at once if it is, else after
     * a force (shared with any force in flight that covers it). What a node announces to the
     * outside on the strength of {@link #inTransactionDurableLater} work (an acknowledgement,
     * a published file) goes out only after this.
     */
    public void sync() {
        awaitDurable(committedSeq);
    }

    /** The number of the last commit so far, for {@link #sync(long)}. */
    public long lastCommit() {
        return committedSeq;
    }

    /**
     * Returns once every transaction up to the commit numbered {@code commit} (from {@link
     * #lastCommit}) is on disk: for a thread that read state, then did other work, and must not
     * wait for commits made meanwhile.
     */
    public void sync(long commit) {
        awaitDurable(commit);
    }

    private <T> T run(Work<T> work, boolean waitDurable) {
        if (lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("transactions do not nest; pass the StoreTx instead");
        }
        lock.lock();
        StoreTx tx = new StoreTx(statements);
        T result;
        long mustBeDurable;
        try {
            checkNotFailed();
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
                // A writer waits for its own commit; a reader for everything it may have seen.
                mustBeDurable = tx.wrote() ? ++committedSeq : committedSeq;
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
        runActions(tx.onCommitActions());
        if (waitDurable || !tx.afterCommitActions().isEmpty()) {
            awaitDurable(mustBeDurable);
        }
        runActions(tx.afterCommitActions());
        return result;
    }

    private static void runActions(List<Runnable> actions) {
        for (Runnable action : actions) {
            try {
                action.run();
            } catch (RuntimeException e) {
                log.warn("after-commit action failed: {}", e.toString());
            }
        }
    }

    /**
     * Returns once every transaction numbered up to {@code seq} is on disk: forces the WAL file
     * itself, or waits for a force in flight that started after {@code seq} committed. Not
     * interruptible: the commit has happened and can only be reported durable or failed, so an
     * interrupt is kept for the caller to see afterwards.
     */
    private void awaitDurable(long seq) {
        boolean interrupted = Thread.interrupted(); // a force must not be cut short by an interrupt
        try {
            while (true) {
                long target;
                synchronized (syncMonitor) {
                    while (durableSeq < seq && syncing) {
                        try {
                            syncMonitor.wait();
                        } catch (InterruptedException e) {
                            interrupted = true;
                        }
                    }
                    if (durableSeq >= seq) {
                        return;
                    }
                    checkNotFailed();
                    syncing = true;
                    target = committedSeq; // every commit numbered so far is in the log now
                }
                // Outside the monitor: commits that happen meanwhile queue up for the next force.
                IOException failure = null;
                try {
                    while (true) {
                        try {
                            beforeSync.run();
                            forceLog();
                            break;
                        } catch (ClosedByInterruptException e) {
                            // An interrupt closed the channel mid-force: keep it for the caller
                            // and force again; the commit is not lost, nor is the store broken.
                            interrupted = true;
                            Thread.interrupted();
                        }
                    }
                } catch (IOException e) {
                    failure = e;
                } catch (RuntimeException e) {
                    failure = new IOException(e.getMessage(), e);
                } finally {
                    synchronized (syncMonitor) {
                        syncing = false;
                        if (failure == null) {
                            durableSeq = Math.max(durableSeq, target);
                        } else {
                            syncFailure = failure;
                            log.error("forcing {} to disk failed; the store refuses further transactions: {}", wal,
                                    failure.toString());
                        }
                        syncMonitor.notifyAll();
                    }
                }
                if (Thread.interrupted()) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** fsyncs the WAL file, and the folder too the first time a (new) WAL file is seen. */
    private void forceLog() throws IOException {
        try (FileChannel channel = FileChannel.open(wal, StandardOpenOption.READ)) {
            channel.force(false);
            Object key = Files.readAttributes(wal, BasicFileAttributes.class).fileKey();
            if (key == null || !key.equals(walFileKey)) {
                Disk.REAL.forceDirectory(wal.getParent());
                walFileKey = key;
            }
            syncs.incrementAndGet();
        } catch (NoSuchFileException e) {
            // No log file: nothing was ever written through this connection (or SQLite removed it
            // after a checkpoint, which synced the database first).
            syncs.incrementAndGet();
        }
    }

    private void checkNotFailed() {
        IOException failure;
        synchronized (syncMonitor) {
            failure = syncFailure;
        }
        if (failure != null) {
            throw new StoreException("the node database could not be forced to disk earlier ("
                    + failure.getMessage() + "); restart the node", failure);
        }
    }

    /** How many times the write-ahead log has been forced to disk (tests count shared syncs). */
    long syncCount() {
        return syncs.get();
    }

    /** A test seam: runs on the syncing thread just before each force of the log. */
    public void setBeforeSync(Runnable hook) {
        this.beforeSync = Objects.requireNonNull(hook, "hook");
    }

    /** How many writing transactions have committed (tests wait on it). */
    long committedCount() {
        return committedSeq;
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
            statements.close();
            connection.close();
        } catch (SQLException e) {
            log.warn("closing {} failed: {}", file, e.toString());
        } finally {
            lock.unlock();
        }
    }
}
