package io.hoft.transport.spool;

/**
 * An authentic file whose every message has expired: acknowledged and dropped, never
 * delivered.
 */
public final class ExpiredFileException extends SpoolFileException {
    private static final long serialVersionUID = 1L;

    public ExpiredFileException(String message) {
        super(message, null, null);
    }

    public ExpiredFileException(String message, SpoolFileHeader verifiedHeader) {
        super(message, verifiedHeader, null);
    }

    public ExpiredFileException(String message, SpoolFileHeader verifiedHeader, Throwable cause) {
        super(message, verifiedHeader, cause);
    }

    @Override
    public Disposition disposition() {
        return Disposition.DISCARD;
    }

    @Override
    public String reason() {
        return "expired";
    }
}
