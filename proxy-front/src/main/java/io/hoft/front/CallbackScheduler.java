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
}
