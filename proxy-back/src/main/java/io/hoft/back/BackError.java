package io.hoft.back;

import java.util.Optional;

/**
 * The answers the back makes itself instead of a callee's response. Each has an HTTP status,
 * a {@code Hoft-Error} header value (also the {@code error} of the RESPONSE envelope) and a
 * small JSON body {@code {"error", "status", "message", "requestId", "upstream"}}.
 *
 * <p>Only {@link #UPSTREAM_UNREACHABLE}, {@link #UPSTREAM_FORBIDDEN} and {@link #EXPIRED} are
 * certain that the callee never saw the request. {@link #UPSTREAM_TIMEOUT},
 * {@link #UPSTREAM_FAILED}, {@link #UPSTREAM_RESPONSE_TOO_LARGE} and
 * {@link #UPSTREAM_INTERRUPTED} come after the request was (or may have been) sent: the callee
 * may have acted on it, and it is never sent again.
 */
public enum BackError {
    /** The connection could not be established (refused, no route, DNS, TLS handshake), after the retries. */
    UPSTREAM_UNREACHABLE(502, "Bad Gateway", "upstream-unreachable"),
    /** The callee sent nothing for longer than the upstream's {@code responseTimeout}. */
    UPSTREAM_TIMEOUT(504, "Gateway Timeout", "upstream-timeout"),
    /** The upstream name is not configured, or an absolute target is outside every configured upstream. */
    UPSTREAM_FORBIDDEN(403, "Forbidden", "upstream-forbidden"),
    /** The request expired before the back could call the callee; it was not called. */
    EXPIRED(504, "Gateway Timeout", "expired"),
    /**
     * The call had started when the back stopped (crash, or shutdown past the drain time), or the
     * back could not keep the response: whether the callee acted is unknown, and the back never
     * calls again to find out.
     */
    UPSTREAM_INTERRUPTED(502, "Bad Gateway", "upstream-interrupted"),
    /** The connection broke, or the callee's response was malformed, after the request was sent. */
    UPSTREAM_FAILED(502, "Bad Gateway", "upstream-failed"),
    /** The callee's response body is larger than the upstream's {@code maxResponseBody}. */
    UPSTREAM_RESPONSE_TOO_LARGE(502, "Bad Gateway", "upstream-response-too-large");

    private final int status;
    private final String reason;
    private final String code;

    BackError(int status, String reason, String code) {
        this.status = status;
        this.reason = reason;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String reason() {
        return reason;
    }

    /** The {@code Hoft-Error} value. */
    public String code() {
        return code;
    }

    public static Optional<BackError> fromCode(String code) {
        for (BackError error : values()) {
            if (error.code.equals(code)) {
                return Optional.of(error);
            }
        }
        return Optional.empty();
    }
}
