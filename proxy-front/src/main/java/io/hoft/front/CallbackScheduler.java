package io.hoft.front;

import io.hoft.transport.store.StoreTx;
import java.net.URI;

/**
 * Durable delivery of callbacks (Standard Webhooks signed), as the front's request handling
 * needs it. Each method records a delivery job inside the caller's transaction, so the job
 * exists if and only if the state change that caused it committed; delivery, retries and
 * backoff happen later on the scheduler's own threads, until a 2xx answer or {@code expiresMs}.
 * The {@code webhook-id} of every job of one request is derived from the request id, so it is
 * stable across retries.
 */
public interface CallbackScheduler {

    /** The response arrived: deliver it to {@code url} in {@code format}. The response body must stay until the job ends. */
    void scheduleResult(StoreTx tx, String requestId, URI url, CallbackFormat format, StoredResponse response, long expiresMs);

    /** The call ended without a response: {@code status} is {@code failed} or {@code expired}, {@code error} says why. */
    void scheduleFailure(StoreTx tx, String requestId, URI url, String status, String error, long expiresMs);

    /** An opt-in status event: {@code {"id", "status", "at"}} to {@code url}. */
    void scheduleStatus(StoreTx tx, String requestId, URI url, String status, long atMs, long expiresMs);

    /**
     * An operator asked for the request's final callback (result, failure or expiry notice) to
     * be delivered again: its job, whatever state it ended in, is made pending and due at once,
     * with retries until {@code expiresMs}; the {@code webhook-id} stays the same. False if the
     * request has no such job (never scheduled, or already pruned).
     */
    default boolean redeliver(StoreTx tx, String requestId, long expiresMs) {
        return false;
    }

    /*
     * Attempts: a call sent again under the same id (a new attempt) is a new event stream for
     * receivers, so the jobs of attempt 2 and later get webhook-ids of their own (the id of
     * attempt 1 was used up by the notice that ended it). The methods without an attempt are
     * attempt 1; implementations that keep no ids may ignore the attempt.
     */

    default void scheduleResult(StoreTx tx, String requestId, int attempt, URI url, CallbackFormat format,
            StoredResponse response, long expiresMs) {
        scheduleResult(tx, requestId, url, format, response, expiresMs);
    }

    default void scheduleFailure(StoreTx tx, String requestId, int attempt, URI url, String status, String error,
            long expiresMs) {
        scheduleFailure(tx, requestId, url, status, error, expiresMs);
    }

    default void scheduleStatus(StoreTx tx, String requestId, int attempt, URI url, String status, long atMs, long expiresMs) {
        scheduleStatus(tx, requestId, url, status, atMs, expiresMs);
    }

    /** {@link #redeliver(StoreTx, String, long)} for the final callback of the given attempt. */
    default boolean redeliver(StoreTx tx, String requestId, int attempt, long expiresMs) {
        return redeliver(tx, requestId, expiresMs);
    }
}
