package io.hoft.transport.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node database's prepared statements, kept for reuse: SQLite compiles a statement's SQL
 * each time it is prepared, which for the channel's short statements costs more than running
 * them. Used only under the store's writer lock, by one transaction at a time. A statement that
 * is still in use (a query run while another's rows are read) gets a fresh one.
 */
final class Statements implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Statements.class);
    private static final int MAX_CACHED = 256;

    private final Connection connection;
    private final Map<String, PreparedStatement> cached = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, PreparedStatement> eldest) {
            if (size() <= MAX_CACHED) {
                return false;
            }
            closeQuietly(eldest.getValue());
            return true;
        }
    };
    private final Map<PreparedStatement, Boolean> inUse = new java.util.IdentityHashMap<>();

    Statements(Connection connection) {
        this.connection = connection;
    }

    /** A statement for {@code sql} with {@code args} bound; give it back with {@link #release}. */
    PreparedStatement take(String sql, Object... args) throws SQLException {
        PreparedStatement statement = cached.get(sql);
        if (statement == null || inUse.containsKey(statement)) {
            PreparedStatement fresh = connection.prepareStatement(sql);
            if (statement == null) {
                cached.put(sql, fresh);
            }
            statement = fresh;
        }
        inUse.put(statement, Boolean.TRUE);
        statement.clearParameters();
        for (int i = 0; i < args.length; i++) {
            statement.setObject(i + 1, args[i]);
        }
        return statement;
    }

    /** Gives a statement back; one that is not (or no longer) cached is closed. */
    void release(String sql, PreparedStatement statement) {
        inUse.remove(statement);
        if (cached.get(sql) != statement) {
            closeQuietly(statement);
        }
    }

    private static void closeQuietly(PreparedStatement statement) {
        try {
            statement.close();
        } catch (SQLException e) {
            log.debug("closing a statement failed: {}", e.toString());
        }
    }

    @Override
    public void close() {
        cached.values().forEach(Statements::closeQuietly);
        cached.clear();
    }
}
