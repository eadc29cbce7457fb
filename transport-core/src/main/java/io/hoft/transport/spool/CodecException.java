package io.hoft.transport.spool;

/**
 * A JSON document of the format breaks a rule; the message names the field. The reader turns
 * it into a {@code MalformedFileException}, or a {@code TooLargeException} if {@link
 * #isLimit()}.
 */
public final class CodecException extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean limit;

    private CodecException(String message, boolean limit) {
        super(message);
        this.limit = limit;
    }

    public static CodecException malformed(String message) {
        return new CodecException(message, false);
    }

    public static CodecException limit(String message) {
        return new CodecException(message, true);
    }

    boolean isLimit() {
        return limit;
    }
}
