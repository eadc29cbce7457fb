package io.hoft.front.callback;

import io.hoft.front.CallbackFormat;

/**
 * One delivery job as the {@code callback_job} table holds it (see {@link CallbackJobs} for
 * the columns). The response fields are set for {@link Kind#RESULT} only, {@code error} for
 * {@link Kind#FAILURE}, {@code atMs} for {@link Kind#STATUS}.
 */
record CallbackJob(
        long id,
        String webhookId,
        String requestId,
        Kind kind,
        String url,
        CallbackFormat format,
        String eventStatus,
        String error,
        long atMs,
        int httpStatus,
        String headersJson,
        String contentType,
        byte[] inlineBody,
        String bodyName,
        String bodyEncoding,
        long expiresMs,
        int attempts) {

    /** What a job delivers; the name is what the table stores. */
    enum Kind {
        /** The callee's response ({@code "status": "responded"}), JSON or raw. */
        RESULT("result"),
        /** The call ended without a response ({@code failed} or {@code expired}). */
        FAILURE("failure"),
        /** An opt-in status event. */
        STATUS("status");

        final String column;

        Kind(String column) {
            this.column = column;
        }

        static Kind fromColumn(String value) {
            for (Kind kind : values()) {
                if (kind.column.equals(value)) {
                    return kind;
                }
            }
            throw new IllegalArgumentException("unknown callback job kind " + value);
        }
    }

    CallbackJob withExpiresMs(long newExpiresMs) {
        return new CallbackJob(id, webhookId, requestId, kind, url, format, eventStatus, error, atMs, httpStatus,
                headersJson, contentType, inlineBody, bodyName, bodyEncoding, newExpiresMs, attempts);
    }

    CallbackJob withBodyEncoding(String encoding) {
        return new CallbackJob(id, webhookId, requestId, kind, url, format, eventStatus, error, atMs, httpStatus,
                headersJson, contentType, inlineBody, bodyName, encoding, expiresMs, attempts);
    }

    boolean hasBodyFile() {
        return bodyName != null;
    }
}
