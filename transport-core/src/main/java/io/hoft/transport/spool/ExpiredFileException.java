package io.hoft.transport.spool;

/**
 * An authentic file whose every message has expired: acknowledged and dropped, never
 * delivered.
 */
final class ExpiredFileException extends SpoolFileException {
    private static final long serialVersionUID = 1L;

    ExpiredFileException(String message, SpoolFileHeader verifiedHeader) {
        super(message, verifiedHeader, null);
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
