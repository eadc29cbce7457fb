package io.hoft.front.callback;

import java.util.List;

/**
 * One callback job of a request and its attempts, as an operator sees them ({@code hoft spool}
 * and the like read this through {@link CallbackDispatcher#history}). Times are epoch
 * milliseconds.
 *
 * @param kind {@code result}, {@code failure} or {@code status}
 * @param eventStatus the {@code status} the job delivers ({@code responded}, {@code queued}, ...)
 * @param state {@code pending}, {@code delivered} or {@code failed}
 * @param failure why a failed job ended: {@code expired}, {@code gone}, {@code forbidden}, {@code body-missing}
 * @param nextAttemptMs when a pending job is tried next, null once it ended
 * @param requestId the call the job is about
 */
public record CallbackHistory(long jobId, String webhookId, String kind, String url, String eventStatus, String state,
        String failure, int attemptCount, long createdMs, long expiresMs, Long nextAttemptMs, Long endedMs,
        String lastError, List<Attempt> attempts, String requestId) {

    public CallbackHistory {
        attempts = List.copyOf(attempts);
    }

    CallbackHistory withAttempts(List<Attempt> list) {
        return new CallbackHistory(jobId, webhookId, kind, url, eventStatus, state, failure, attemptCount, createdMs,
                expiresMs, nextAttemptMs, endedMs, lastError, list, requestId);
    }

    /**
     * One attempt.
     *
     * @param webhookTimestamp the {@code webhook-timestamp} it was signed with (seconds)
     * @param httpStatus the receiver's status, null when no response came
     * @param outcome see {@link AttemptResult.Outcome}
     * @param nextAttemptMs when the job retried after it, null if the job ended with it
     */
    public record Attempt(int number, long startedMs, long durationMs, long webhookTimestamp, Integer httpStatus,
            String outcome, String error, Long nextAttemptMs) {}
}
