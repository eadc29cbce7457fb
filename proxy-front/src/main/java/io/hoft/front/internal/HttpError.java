package io.hoft.front.internal;

import java.time.Duration;
import java.util.Map;

/**
 * A call the front refuses or cannot finish, with the answer the caller gets: a status, the
 * {@code Hoft-Error} code that tells a front-made answer from a callee's, a message for people,
 * and optionally {@code Retry-After}, extra header fields, and whether the request body is
 * left unread (then the connection closes after the answer, unless there was no body).
 */
public final class HttpError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final transient Duration retryAfter;
    private final transient Map<String, String> headers;
    private final boolean close;

    public HttpError(int status, String code, String message, Duration retryAfter, Map<String, String> headers, boolean close) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.retryAfter = retryAfter;
        this.headers = Map.copyOf(headers);
        this.close = close;
    }

    public static HttpError of(int status, String code, String message) {
        return new HttpError(status, code, message, null, Map.of(), false);
    }

    /** An error answered before the request body was read: the connection closes after it if a body was coming. */
    public static HttpError early(int status, String code, String message) {
        return new HttpError(status, code, message, null, Map.of(), true);
    }

    public HttpError closing() {
        return new HttpError(status, code, getMessage(), retryAfter, headers, true);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public Duration retryAfter() {
        return retryAfter;
    }

    public Map<String, String> headers() {
        return headers;
    }

    public boolean close() {
        return close;
    }
}
