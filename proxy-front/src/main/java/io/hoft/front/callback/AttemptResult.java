package io.hoft.front.callback;

/**
 * What one delivery attempt came to.
 *
 * @param startedMs when it started (the dispatcher's clock)
 * @param durationMs how long it took (real time)
 * @param webhookTimestamp the {@code webhook-timestamp} it was signed with, seconds
 * @param httpStatus the receiver's status code, null if no response came
 * @param error a short description for people, null on success
 * @param retryAfterMs the receiver's {@code Retry-After} as a delay, null if none or unreadable
 */
record AttemptResult(long startedMs, long durationMs, long webhookTimestamp, Integer httpStatus, Outcome outcome,
        String error, Long retryAfterMs) {

    /** The kinds of outcome; the label is what tables and metrics show. */
    enum Outcome {
        /** A 2xx: the job is done. */
        DELIVERED("delivered", Effect.DONE),
        /** 410 Gone: the receiver wants no more; this job and the rest of its stream end. */
        GONE("gone", Effect.END),
        /** A 3xx: redirects are not followed; retried, the URL may come back. */
        REDIRECT("redirect", Effect.RETRY),
        /** 429 or 503: retried, no sooner than its Retry-After. */
        RATE_LIMITED("rate-limited", Effect.RETRY),
        /** Any other status. */
        HTTP_ERROR("http-error", Effect.RETRY),
        /** Connect, response or whole-attempt timeout. */
        TIMEOUT("timeout", Effect.RETRY),
        /** Refused, unreachable, or the host does not resolve. */
        CONNECT_ERROR("connect-error", Effect.RETRY),
        /** Reset, closed early, malformed response. */
        IO_ERROR("io-error", Effect.RETRY),
        /** The host resolved to an address the URL policy refuses; retried, DNS may change. */
        FORBIDDEN_ADDRESS("forbidden-address", Effect.RETRY),
        /** The URL itself is no longer allowed (the policy changed since submission). */
        FORBIDDEN_URL("forbidden-url", Effect.END),
        /** The response body file is gone; nothing can be sent. */
        BODY_MISSING("body-missing", Effect.END),
        /** The dispatcher shut down during the attempt; retried after restart without delay. */
        SHUTDOWN("shutdown", Effect.RETRY_AT_ONCE);

        final String label;
        final Effect effect;

        Outcome(String label, Effect effect) {
            this.label = label;
            this.effect = effect;
        }
    }

    /** What an outcome does to the job. */
    enum Effect {
        DONE,
        END,
        RETRY,
        RETRY_AT_ONCE
    }

    String describe() {
        if (error != null) {
            return error;
        }
        return httpStatus == null ? outcome.label : "HTTP " + httpStatus;
    }
}
