package io.hoft.front.callback;

import io.hoft.front.CallbackFormat;

/**
 * One delivery job as the {@code callback_job} table holds it (see {@link CallbackJobs} for
 * the columns): who it is for and where it goes, the {@link Event} it tells, and for a
 * {@link Kind#RESULT} the callee's {@link Response} ({@link Response#NONE} for the others).
 */
record CallbackJob(
        long id,
        String webhookId,
        String requestId,
        Kind kind,
        String url,
        CallbackFormat format,
        Event event,
        Response response,
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

    /**
     * What the callback says happened: the call's {@code status}, the failure's {@code error}
     * (a {@link Kind#FAILURE} only) and when a status event happened ({@code atMs}, a
     * {@link Kind#STATUS} only).
     */
    record Event(String status, String error, long atMs) {}

    /**
     * The callee's response a {@link Kind#RESULT} delivers: status, header fields as stored
     * JSON, content type, the body inline or as a body file, and how a JSON callback encodes it
     * (null until the first attempt looked).
     */
    record Response(int httpStatus, String headersJson, String contentType, byte[] inlineBody, String bodyName,
            String bodyEncoding) {
        /** The response of a job that delivers none. */
        static final Response NONE = new Response(0, null, null, null, null, null);
    }

    /** A new job (no id yet, never attempted). */
    static CallbackJob scheduled(String webhookId, String requestId, Kind kind, String url, CallbackFormat format, Event event,
            Response response, long expiresMs) {
        return new CallbackJob(0, webhookId, requestId, kind, url, format, event, response, expiresMs, 0);
    }

    CallbackJob withExpiresMs(long newExpiresMs) {
        return new CallbackJob(id, webhookId, requestId, kind, url, format, event, response, newExpiresMs, attempts);
    }

    CallbackJob withBodyEncoding(String encoding) {
        return new CallbackJob(id, webhookId, requestId, kind, url, format, event, new Response(response.httpStatus(),
                response.headersJson(), response.contentType(), response.inlineBody(), response.bodyName(), encoding),
                expiresMs, attempts);
    }

    boolean hasBodyFile() {
        return response.bodyName() != null;
    }
}
