package io.hoft.front;

import java.net.URI;

/**
 * Decides at submission whether a callback or status URL may be used (SSRF protection): the
 * scheme, and every address the host resolves to, against the configured allowlist. A refused
 * URL makes the call fail with 400 and nothing is stored.
 */
@FunctionalInterface
public interface CallbackUrlGuard {

    /** Returns normally if allowed; otherwise throws with a reason fit to show the caller. */
    void check(URI url) throws ForbiddenCallbackUrlException;

    /** A callback URL that may not be used, and why. */
    final class ForbiddenCallbackUrlException extends Exception {
        private static final long serialVersionUID = 1L;

        public ForbiddenCallbackUrlException(String reason) {
            super(reason);
        }
    }
}
