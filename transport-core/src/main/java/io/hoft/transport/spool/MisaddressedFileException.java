package io.hoft.transport.spool;

/**
 * The verified header names another recipient than this node.
 */
public final class MisaddressedFileException extends SpoolFileException {
    private static final long serialVersionUID = 1L;

    public MisaddressedFileException(String message) {
        super(message, null, null);
    }

    public MisaddressedFileException(String message, SpoolFileHeader verifiedHeader) {
        super(message, verifiedHeader, null);
    }

    public MisaddressedFileException(String message, SpoolFileHeader verifiedHeader, Throwable cause) {
        super(message, verifiedHeader, cause);
    }

    @Override
    public Disposition disposition() {
        return Disposition.QUARANTINE;
    }

    @Override
    public String reason() {
        return "misaddressed";
    }
}
