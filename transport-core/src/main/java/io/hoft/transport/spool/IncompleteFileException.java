package io.hoft.transport.spool;

/**
 * The file is shorter than it declares and was modified so recently that it may still be being
 * copied in. Not a failure yet: look again once its size has settled.
 */
final class IncompleteFileException extends SpoolFileException {
    private static final long serialVersionUID = 1L;

    IncompleteFileException(String message, SpoolFileHeader verifiedHeader) {
        super(message, verifiedHeader, null);
    }

    @Override
    public Disposition disposition() {
        return Disposition.RETRY_LATER;
    }

    @Override
    public String reason() {
        return "incomplete";
    }
}
