package io.hoft.transport.message;

import java.util.Optional;

/**
 * The failures a back answers a call with instead of a callee's response, shared by front and
 * back: the {@code Hoft-Error} header value (also the RESPONSE envelope's {@code error}), the
 * HTTP status and reason of the answer, and whether the callee certainly never saw the request.
 *
 * <p>Only {@link #UPSTREAM_UNREACHABLE}, {@link #UPSTREAM_FORBIDDEN} and {@link #EXPIRED} are
 * certain that the callee was never called: the only failures a later attempt under the same id
 * may call the callee again for (SPEC.md, "Requests and attempts"). {@link #UPSTREAM_TIMEOUT},
 * {@link #UPSTREAM_FAILED}, {@link #UPSTREAM_RESPONSE_TOO_LARGE} and
 * {@link #UPSTREAM_INTERRUPTED} come after the request was (or may have been) sent: the callee
 * may have acted on it, and it is never sent again.
 */
public enum CallError {
    /** The connection could not be established (refused, no route, DNS, TLS handshake), after the retries. */
    UPSTREAM_UNREACHABLE("upstream-unreachable", 502, "Bad Gateway", true),
    /** The callee sent nothing for longer than the upstream's {@code responseTimeout}. */
    UPSTREAM_TIMEOUT("upstream-timeout", 504, "Gateway Timeout", false),
    /** The upstream name is not configured, or an absolute target is outside every configured upstream. */
    UPSTREAM_FORBIDDEN("upstream-forbidden", 403, "Forbidden", true),
    /** The request expired before the back could call the callee (or, at the front, before a response came). */
    EXPIRED("expired", 504, "Gateway Timeout", true),
    /**
     * The call had started when the back stopped (crash, or shutdown past the drain time), or the
     * back could not keep the response: whether the callee acted is unknown, and the back never
     * calls again to find out.
     */
    UPSTREAM_INTERRUPTED("upstream-interrupted", 502, "Bad Gateway", false),
    /** The connection broke, or the callee's response was malformed, after the request was sent. */
    UPSTREAM_FAILED("upstream-failed", 502, "Bad Gateway", false),
    /** The callee's response body is larger than the upstream's {@code maxResponseBody}. */
    UPSTREAM_RESPONSE_TOO_LARGE("upstream-response-too-large", 502, "Bad Gateway", false);

    private final String code;
    private final int status;
    private final String reason;
    private final boolean notCalled;

    CallError(String code, int status, String reason, boolean notCalled) {
        this.code = code;
        this.status = status;
        this.reason = reason;
        this.notCalled = notCalled;
    }

    /** The {@code Hoft-Error} value, as on the wire. */
    public String code() {
        return code;
    }

    public int status() {
        return status;
    }

    public String reason() {
        return reason;
    }

    /** Whether a back records this error only when it sent no byte to the callee. */
    public boolean notCalled() {
        return notCalled;
    }

    public static Optional<CallError> fromCode(String code) {
        for (CallError error : values()) {
            if (error.code.equals(code)) {
                return Optional.of(error);
            }
        }
        return Optional.empty();
    }

    /** Whether {@code code} (a {@code Hoft-Error} value, or null) proves the callee was never called. */
    public static boolean provesNotCalled(String code) {
        return code != null && fromCode(code).map(CallError::notCalled).orElse(false);
    }
}
