package io.hoft.front;

import io.hoft.transport.message.CallError;

/**
 * Whether a finished call may be sent again under the same id, as the front sees it. The front
 * only filters: the back holds the truth, and calls the callee for a new attempt only if its
 * own record of the request shows the callee was never reached (SPEC.md, "Requests and
 * attempts"); for any other record it answers the new attempt with the recorded answer.
 */
public final class SameIdAttempt {
    private SameIdAttempt() {}

    /**
     * Null if a new attempt under the same id may reach the callee; otherwise why not, for
     * people. {@code state} is the call's state, {@code delivered} whether the back reported it
     * started calling, {@code error} the failure's {@code Hoft-Error} (null if none).
     */
    public static String refusal(String state, boolean delivered, String error) {
        if (state.equals("expired")) {
            return delivered ? "the back had started calling the callee before the call expired, so the callee may have acted"
                    + " on it" : null;
        }
        if (!state.equals("failed")) {
            return "only a failed or expired call is sent again (this one is " + state + ")";
        }
        if (!CallError.provesNotCalled(error)) {
            return "it failed with " + (error == null ? "an error" : error) + " after the request may have reached the callee,"
                    + " which may have acted on it";
        }
        return null;
    }
}
