package io.hoft.transport.spool;

/**
 * The file is finished but shorter than it declares: its end is missing.
 */
public final class TruncatedFileException extends SpoolFileException {
    private static final long serialVersionUID = 1L;

    public TruncatedFileException(String message) {
        super(message, null, null);
    }

    public TruncatedFileException(String message, SpoolFileHeader verifiedHeader) {
        super(message, verifiedHeader, null);
    }

    public TruncatedFileException(String message, SpoolFileHeader verifiedHeader, Throwable cause) {
        super(message, verifiedHeader, cause);
    }

    @Override
    public Disposition disposition() {
        return nackIfVerified();
    }

    @Override
    public String reason() {
        return "truncated";
    }
}
