package io.hoft.transport.keys;

/** Key material is missing, malformed, expired or of the wrong kind. */
public final class KeyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public KeyException(String message) {
        super(message);
    }

    public KeyException(String message, Throwable cause) {
        super(message, cause);
    }
}
