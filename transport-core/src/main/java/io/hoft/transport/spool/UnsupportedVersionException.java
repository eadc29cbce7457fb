package io.hoft.transport.spool;

/**
 * The file declares a format version this decoder does not implement.
 */
final class UnsupportedVersionException extends SpoolFileException {
    private static final long serialVersionUID = 1L;

    UnsupportedVersionException(String message) {
        super(message, null, null);
    }

    @Override
    public Disposition disposition() {
        return Disposition.QUARANTINE;
    }

    @Override
    public String reason() {
        return "unsupported-version";
    }
}
