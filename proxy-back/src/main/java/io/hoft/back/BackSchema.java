package io.hoft.back;

import java.util.List;

/**
 * The back's tables in the node database (module {@code back}); steps are append-only.
 *
 * <ul>
 *   <li>{@code back_request}: one row per request id ever delivered, until its expiry plus the
 *       retention period. {@code state} moves {@code queued -> calling -> responded} (or
 *       straight {@code queued -> responded} when the back answers without calling) and never
 *       back, except for a later attempt as step 2 says. The request body is kept (inline up to 64 KiB, else a body file owned by
 *       {@code back:request:ID}) until the answer is recorded; the answer (status, reason,
 *       headers as {@code [[name, value], ...]} JSON, error, body inline or in a file owned by
 *       {@code back:response:ID}) is kept until the row is purged, so a repeated request id gets
 *       it again.
 *   <li>step 2: {@code attempt} and {@code message_id}: the newest attempt of the request
 *       received and its message id (null for a first attempt, whose message id is the request
 *       id); answers and status events name that message. A later attempt of a request answered
 *       without any byte sent to the callee ({@code calling_ms} null, error {@code
 *       upstream-unreachable}, {@code expired} or {@code upstream-forbidden}) replaces the
 *       record and is queued again: the one way a row goes back to {@code queued}.
 *   <li>step 3: queued requests only are indexed by upstream and arrival
 *       ({@code back_request_queued}), so a call's later steps move no index entry.
 *   <li>{@code back_reply}: answers owed to a peer and not yet handed to the channel: a duplicate
 *       of an answered request, a duplicate from a second peer, or an answer the channel could
 *       not take at once (its queue was full).
 * </ul>
 */
final class BackSchema {
    static final String MODULE = "back";

    static final List<String> STEPS = List.of(
            "CREATE TABLE back_request ("
                    + " id TEXT PRIMARY KEY,"
                    + " peer TEXT NOT NULL,"
                    + " state TEXT NOT NULL CHECK (state IN ('queued', 'calling', 'responded')),"
                    + " upstream TEXT NOT NULL,"
                    + " method TEXT NOT NULL,"
                    + " target TEXT NOT NULL,"
                    + " headers TEXT NOT NULL,"
                    + " body_inline BLOB,"
                    + " body_name TEXT,"
                    + " body_length INTEGER NOT NULL,"
                    + " created_ms INTEGER NOT NULL,"
                    + " expires_ms INTEGER NOT NULL,"
                    + " received_ms INTEGER NOT NULL,"
                    + " calling_ms INTEGER,"
                    + " responded_ms INTEGER,"
                    + " connect_attempts INTEGER NOT NULL DEFAULT 0,"
                    + " duplicates INTEGER NOT NULL DEFAULT 0,"
                    + " replies INTEGER NOT NULL DEFAULT 0,"
                    + " status INTEGER,"
                    + " reason TEXT,"
                    + " response_headers TEXT,"
                    + " error TEXT,"
                    + " response_inline BLOB,"
                    + " response_name TEXT,"
                    + " response_length INTEGER,"
                    + " purge_after_ms INTEGER NOT NULL);"
                    + "CREATE INDEX back_request_queue ON back_request (state, upstream, received_ms);"
                    + "CREATE INDEX back_request_purge ON back_request (purge_after_ms);"
                    + "CREATE TABLE back_reply ("
                    + " request_id TEXT NOT NULL REFERENCES back_request (id) ON DELETE CASCADE,"
                    + " peer TEXT NOT NULL,"
                    + " due_ms INTEGER NOT NULL,"
                    + " tries INTEGER NOT NULL DEFAULT 0,"
                    + " PRIMARY KEY (request_id, peer))",
            "ALTER TABLE back_request ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;"
                    + "ALTER TABLE back_request ADD COLUMN message_id TEXT",
            // Only queued requests are looked up by upstream and age. Indexing every state made
            // each step of a call (calling, responded) move an index entry: a WAL page more per
            // transaction. The few 'calling' rows are read once, at start, by a scan.
            "DROP INDEX back_request_queue;"
                    + "CREATE INDEX back_request_queued ON back_request (upstream, received_ms) WHERE state = 'queued'");

    private BackSchema() {}
}
