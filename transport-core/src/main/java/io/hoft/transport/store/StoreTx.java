package io.hoft.transport.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One transaction on the node's database. Everything done through it commits together or not
 * at all; {@link #afterCommit} actions (deleting files, answering callers) run only once the
 * commit is durable, {@link #onCommit} actions (waking a thread that will force before it acts)
 * as soon as it has committed; each kind in registration order, and never if it rolled back.
 */
public final class StoreTx {
    private final Statements statements;
    private final List<Runnable> onCommit = new ArrayList<>();
    private final List<Runnable> afterCommit = new ArrayList<>();
    private boolean wrote;

    StoreTx(Statements statements) {
        this.statements = statements;
    }

    /** Maps one row of a result. */
    @FunctionalInterface
    public interface RowMapper<T> {
        T map(ResultSet row) throws SQLException;
    }

    public int update(String sql, Object... args) {
        wrote = true;
        PreparedStatement statement = null;
        try {
            statement = statements.take(sql, args);
            return statement.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("update failed: " + sql, e);
        } finally {
            if (statement != null) {
                statements.release(sql, statement);
            }
        }
    }

    public <T> List<T> query(String sql, RowMapper<T> mapper, Object... args) {
        PreparedStatement statement = null;
        try {
            statement = statements.take(sql, args);
            try (ResultSet rows = statement.executeQuery()) {
                List<T> result = new ArrayList<>();
                while (rows.next()) {
                    result.add(mapper.map(rows));
                }
                return result;
            }
        } catch (SQLException e) {
            throw new StoreException("query failed: " + sql, e);
        } finally {
            if (statement != null) {
                statements.release(sql, statement);
            }
        }
    }

    public <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... args) {
        List<T> rows = query(sql, mapper, args);
        if (rows.size() > 1) {
            throw new StoreException("expected at most one row: " + sql, null);
        }
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    public long queryLong(String sql, Object... args) {
        return queryOne(sql, row -> row.getLong(1), args).orElse(0L);
    }

    /** Runs {@code action} after this transaction has committed durably. */
    public void afterCommit(Runnable action) {
        afterCommit.add(action);
    }

    /**
     * Runs {@code action} as soon as this transaction has committed, before it is durable: for
     * work that does not act on the commit outside this node before a force of its own, such as
     * waking a thread. Runs before any {@link #afterCommit} action.
     */
    public void onCommit(Runnable action) {
        onCommit.add(action);
    }

    /** Whether this transaction ran any statement that may have changed the database. */
    boolean wrote() {
        return wrote;
    }

    List<Runnable> onCommitActions() {
        return onCommit;
    }

    List<Runnable> afterCommitActions() {
        return afterCommit;
    }

}
