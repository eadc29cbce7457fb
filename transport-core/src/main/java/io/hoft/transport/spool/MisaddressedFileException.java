package io.hoft.transport.spool;

/**
 * The verified header names another recipient than this node.
 */
final class MisaddressedFileException extends SpoolFileException {
    private static final long serialVersionUID = 1L;

    MisaddressedFileException(String message, SpoolFileHeader verifiedHeader) {
        super(message, verifiedHeader, null);
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
