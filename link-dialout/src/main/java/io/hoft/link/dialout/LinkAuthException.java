package io.hoft.link.dialout;

/**
 * A dial-out credential was refused. {@link #reason()} is one of the short words of SPEC.md
 * section 19.3 ({@code missing}, {@code malformed}, {@code unknown-key}, {@code not-allowed},
 * {@code bad-signature}, {@code wrong-issuer}, {@code wrong-audience}, {@code expired},
 * {@code not-yet-valid}); it is what the front logs and counts, never more detail to the caller.
 */
public final class LinkAuthException extends RuntimeException {
    private final String reason;

    public LinkAuthException(String reason, String detail) {
        super(reason + ": " + detail);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
