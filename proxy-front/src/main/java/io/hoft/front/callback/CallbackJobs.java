package io.hoft.front.callback;

import io.hoft.front.CallbackFormat;
import io.hoft.transport.store.StoreTx;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The dispatcher's two tables in the node database, and every statement on them.
 *
 * <pre>
 * callback_job          one row per delivery job
 *   id                  INTEGER  scheduling order (AUTOINCREMENT: never reused)
 *   webhook_id          TEXT     UNIQUE; a second job with the same id is ignored
 *   request_id, kind    TEXT     kind: result | failure | status
 *   url, format         TEXT     format: json | raw
 *   event_status        TEXT     the "status" field: responded | failed | expired | queued | ...
 *   error               TEXT     failure: the "error" field
 *   at_ms               INTEGER  status: the "at" field
 *   http_status, headers_json, content_type, inline_body, body_name
 *                                result: the callee's status, headers as the JSON array,
 *                                Content-Type, and body inline or as a body file (not owned)
 *   body_encoding       TEXT     result in JSON: utf-8 | base64, null until the first attempt decides
 *   created_ms, expires_ms       when scheduled; when retries stop
 *   state               TEXT     pending | delivered | failed
 *   failure             TEXT     failed: expired | gone | forbidden | body-missing
 *   attempts, next_attempt_ms, last_error, ended_ms
 *
 * callback_attempt      one row per attempt, for operators ("callback attempts with their results")
 *   job_id, attempt              PRIMARY KEY; deleted with the job
 *   started_ms, duration_ms      wall clock
 *   webhook_timestamp            the signed timestamp (seconds)
 *   http_status         INTEGER  null when no response came
 *   outcome             TEXT     delivered | gone | redirect | rate-limited | http-error | timeout |
 *                                connect-error | io-error | forbidden-address | forbidden-url |
 *                                body-missing | shutdown
 *   error               TEXT     what went wrong, for people
 *   next_attempt_ms     INTEGER  when the job retries after it, null if it ended
 * </pre>
 */
final class CallbackJobs {
    static final String MODULE = "front-callbacks";
    static final List<String> SCHEMA = List.of(
            "CREATE TABLE callback_job (id INTEGER PRIMARY KEY AUTOINCREMENT, webhook_id TEXT NOT NULL UNIQUE,"
                    + " request_id TEXT NOT NULL, kind TEXT NOT NULL, url TEXT NOT NULL, format TEXT NOT NULL,"
                    + " event_status TEXT NOT NULL, error TEXT, at_ms INTEGER, http_status INTEGER, headers_json TEXT,"
                    + " content_type TEXT, inline_body BLOB, body_name TEXT, body_encoding TEXT,"
                    + " created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL, state TEXT NOT NULL, failure TEXT,"
                    + " attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL, last_error TEXT,"
                    + " ended_ms INTEGER);"
                    + "CREATE INDEX callback_job_due ON callback_job (next_attempt_ms) WHERE state = 'pending';"
                    + "CREATE INDEX callback_job_expiry ON callback_job (expires_ms) WHERE state = 'pending';"
                    + "CREATE INDEX callback_job_request ON callback_job (request_id, id);"
                    + "CREATE INDEX callback_job_ended ON callback_job (ended_ms) WHERE state <> 'pending';"
                    + "CREATE TABLE callback_attempt (job_id INTEGER NOT NULL REFERENCES callback_job (id) ON DELETE CASCADE,"
                    + " attempt INTEGER NOT NULL, started_ms INTEGER NOT NULL, duration_ms INTEGER NOT NULL,"
                    + " webhook_timestamp INTEGER NOT NULL, http_status INTEGER, outcome TEXT NOT NULL, error TEXT,"
                    + " next_attempt_ms INTEGER, PRIMARY KEY (job_id, attempt))");

    static final String PENDING = "pending";
    static final String DELIVERED = "delivered";
    static final String FAILED = "failed";

    private static final String JOB_COLUMNS = "id, webhook_id, request_id, kind, url, format, event_status, error, at_ms,"
            + " http_status, headers_json, content_type, inline_body, body_name, body_encoding, expires_ms, attempts";

    private CallbackJobs() {}

    /** Inserts a pending job due at once; false if a job with this webhook id already exists. */
    static boolean insert(StoreTx tx, CallbackJob job, long nowMs) {
        return tx.update("INSERT OR IGNORE INTO callback_job (webhook_id, request_id, kind, url, format, event_status, error,"
                        + " at_ms, http_status, headers_json, content_type, inline_body, body_name, body_encoding,"
                        + " created_ms, expires_ms, state, next_attempt_ms)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                job.webhookId(), job.requestId(), job.kind().column, job.url(), job.format().headerValue(),
                job.event().status(), job.event().error(), job.kind() == CallbackJob.Kind.STATUS ? job.event().atMs() : null,
                job.kind() == CallbackJob.Kind.RESULT ? job.response().httpStatus() : null, job.response().headersJson(),
                job.response().contentType(), job.response().inlineBody(), job.response().bodyName(), job.response().bodyEncoding(),
                nowMs, job.expiresMs(), nowMs) == 1;
    }

    /**
     * Pending jobs due at {@code nowMs}, earliest first, that head their stream: no earlier
     * pending job of the same request to the same URL exists, so the jobs of one stream go out
     * one at a time in scheduling order.
     */
    static List<CallbackJob> due(StoreTx tx, long nowMs, int limit) {
        return tx.query("SELECT " + JOB_COLUMNS + " FROM callback_job j WHERE state = 'pending' AND next_attempt_ms <= ?"
                        + " AND NOT EXISTS (SELECT 1 FROM callback_job e WHERE e.request_id = j.request_id"
                        + " AND e.url = j.url AND e.state = 'pending' AND e.id < j.id)"
                        + " ORDER BY next_attempt_ms, id LIMIT ?",
                CallbackJobs::job, nowMs, limit);
    }

    /** Pending jobs whose expiry has passed and that were attempted at least once: id to kind. */
    static Map<Long, String> overdue(StoreTx tx, long nowMs) {
        Map<Long, String> jobs = new LinkedHashMap<>();
        tx.query("SELECT id, kind FROM callback_job WHERE state = 'pending' AND expires_ms <= ? AND attempts > 0",
                row -> jobs.put(row.getLong(1), row.getString(2)), nowMs);
        return jobs;
    }

    /**
     * Makes the job with this webhook id pending again, due at once, retrying until
     * {@code expiresMs} (an operator's re-delivery); its past attempts stay and numbering goes on.
     * False if there is no such job.
     */
    static boolean reopen(StoreTx tx, String webhookId, long expiresMs, long nowMs) {
        return tx.update("UPDATE callback_job SET state = 'pending', failure = NULL, ended_ms = NULL, next_attempt_ms = ?,"
                + " expires_ms = ? WHERE webhook_id = ?", nowMs, expiresMs, webhookId) == 1;
    }

    static long pendingCount(StoreTx tx) {
        return tx.queryLong("SELECT COUNT(*) FROM callback_job WHERE state = 'pending'");
    }

    static void setBodyEncoding(StoreTx tx, long jobId, String encoding) {
        tx.update("UPDATE callback_job SET body_encoding = ? WHERE id = ?", encoding, jobId);
    }

    /**
     * Records one attempt and moves the job on: {@code nextAttemptMs} null ends it in
     * {@code endState} (with {@code failure} if failed), otherwise it stays pending until then.
     * Returns false if the job no longer exists (forgotten meanwhile); nothing is written then.
     */
    static boolean recordAttempt(StoreTx tx, CallbackJob job, AttemptResult attempt, Long nextAttemptMs, String endState,
            String failure, long nowMs) {
        int attemptNumber = job.attempts() + 1;
        String lastError = attempt.describe();
        int updated = nextAttemptMs != null
                ? tx.update("UPDATE callback_job SET attempts = ?, next_attempt_ms = ?, last_error = ?"
                        + " WHERE id = ? AND state = 'pending'", attemptNumber, nextAttemptMs, lastError, job.id())
                : tx.update("UPDATE callback_job SET attempts = ?, state = ?, failure = ?, last_error = ?, ended_ms = ?"
                        + " WHERE id = ? AND state = 'pending'", attemptNumber, endState, failure, lastError, nowMs, job.id());
        if (updated == 0) {
            return false;
        }
        tx.update("INSERT INTO callback_attempt (job_id, attempt, started_ms, duration_ms, webhook_timestamp, http_status,"
                        + " outcome, error, next_attempt_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                job.id(), attemptNumber, attempt.startedMs(), attempt.durationMs(), attempt.webhookTimestamp(),
                attempt.httpStatus(), attempt.outcome().label, attempt.error(), nextAttemptMs);
        return true;
    }

    /** Ends a pending job without an attempt (expired before it could be tried again). */
    static boolean fail(StoreTx tx, long jobId, String failure, long nowMs) {
        return tx.update("UPDATE callback_job SET state = 'failed', failure = ?, ended_ms = ? WHERE id = ? AND state = 'pending'",
                failure, nowMs, jobId) == 1;
    }

    /** Ends every other pending job of the stream (request and URL) of {@code job}; returns their kinds. */
    static List<String> failRestOfStream(StoreTx tx, CallbackJob job, String failure, long nowMs) {
        List<String> kinds = tx.query("SELECT kind FROM callback_job WHERE request_id = ? AND url = ? AND state = 'pending'"
                + " AND id <> ?", row -> row.getString(1), job.requestId(), job.url(), job.id());
        tx.update("UPDATE callback_job SET state = 'failed', failure = ?, ended_ms = ?"
                + " WHERE request_id = ? AND url = ? AND state = 'pending' AND id <> ?",
                failure, nowMs, job.requestId(), job.url(), job.id());
        return kinds;
    }

    /** Deletes ended jobs (and their attempts) that ended before {@code cutoffMs}. */
    static int deleteEndedBefore(StoreTx tx, long cutoffMs) {
        return tx.update("DELETE FROM callback_job WHERE state <> 'pending' AND ended_ms < ?", cutoffMs);
    }

    /** Deletes every job of a request, pending or not, with its attempts. */
    static int forget(StoreTx tx, String requestId) {
        return tx.update("DELETE FROM callback_job WHERE request_id = ?", requestId);
    }

    static List<CallbackHistory> history(StoreTx tx, String requestId) {
        List<CallbackHistory> jobs = new ArrayList<>();
        tx.query("SELECT id, webhook_id, kind, url, event_status, state, failure, attempts, created_ms, expires_ms,"
                        + " next_attempt_ms, ended_ms, last_error FROM callback_job WHERE request_id = ? ORDER BY id",
                row -> {
                    jobs.add(new CallbackHistory(row.getLong(1), row.getString(2), row.getString(3), row.getString(4),
                            row.getString(5), row.getString(6), row.getString(7), row.getInt(8), row.getLong(9),
                            row.getLong(10), row.getString(6).equals(PENDING) ? row.getLong(11) : null,
                            nullableLong(row, 12), row.getString(13), List.of(), requestId));
                    return null;
                }, requestId);
        List<CallbackHistory> withAttempts = new ArrayList<>(jobs.size());
        for (CallbackHistory job : jobs) {
            List<CallbackHistory.Attempt> attempts = tx.query("SELECT attempt, started_ms, duration_ms, webhook_timestamp,"
                            + " http_status, outcome, error, next_attempt_ms FROM callback_attempt WHERE job_id = ?"
                            + " ORDER BY attempt",
                    row -> new CallbackHistory.Attempt(row.getInt(1), row.getLong(2), row.getLong(3), row.getLong(4),
                            nullableInt(row, 5), row.getString(6), row.getString(7), nullableLong(row, 8)),
                    job.jobId());
            withAttempts.add(job.withAttempts(attempts));
        }
        return withAttempts;
    }

    /**
     * Jobs still pending (the ones retrying first) and jobs that ended failed (the latest
     * first), at most {@code limit} of each, without their attempts.
     */
    static List<CallbackHistory> unfinished(StoreTx tx, int limit) {
        String columns = "SELECT id, webhook_id, kind, url, event_status, state, failure, attempts, created_ms, expires_ms,"
                + " next_attempt_ms, ended_ms, last_error, request_id FROM callback_job";
        List<CallbackHistory> jobs = new ArrayList<>(tx.query(columns + " WHERE state = 'pending'"
                + " ORDER BY attempts DESC, next_attempt_ms LIMIT ?", CallbackJobs::summary, limit));
        jobs.addAll(tx.query(columns + " WHERE state = 'failed' ORDER BY ended_ms DESC LIMIT ?", CallbackJobs::summary, limit));
        return jobs;
    }

    private static CallbackHistory summary(ResultSet row) throws SQLException {
        boolean pending = row.getString(6).equals(PENDING);
        return new CallbackHistory(row.getLong(1), row.getString(2), row.getString(3), row.getString(4), row.getString(5),
                row.getString(6), row.getString(7), row.getInt(8), row.getLong(9), row.getLong(10),
                pending ? row.getLong(11) : null, nullableLong(row, 12), row.getString(13), List.of(), row.getString(14));
    }

    private static Long nullableLong(ResultSet row, int column) throws SQLException {
        long value = row.getLong(column);
        return row.wasNull() ? null : value;
    }

    private static Integer nullableInt(ResultSet row, int column) throws SQLException {
        int value = row.getInt(column);
        return row.wasNull() ? null : value;
    }

    private static CallbackJob job(ResultSet row) throws SQLException {
        return new CallbackJob(row.getLong(1), row.getString(2), row.getString(3),
                CallbackJob.Kind.fromColumn(row.getString(4)), row.getString(5),
                CallbackFormat.fromHeader(row.getString(6)).orElseThrow(),
                new CallbackJob.Event(row.getString(7), row.getString(8), row.getLong(9)),
                new CallbackJob.Response(row.getInt(10), row.getString(11), row.getString(12), row.getBytes(13), row.getString(14),
                        row.getString(15)),
                row.getLong(16), row.getInt(17));
    }
}
