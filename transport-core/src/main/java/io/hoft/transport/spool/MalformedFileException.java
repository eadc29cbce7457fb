package io.hoft.transport.spool;

/**
 * The file breaks a structural rule of the format: bad magic, bad JSON, unknown fields,
 * inconsistent lengths, bytes after the declared end, and the like.
 */
public final class MalformedFileException extends SpoolFileException {
    private static final long serialVersionUID = 1L;

    public MalformedFileException(String message) {
        super(message, null, null);
    }

    public MalformedFileException(String message, SpoolFileHeader verifiedHeader) {
        super(message, verifiedHeader, null);
    }

    public MalformedFileException(String message, SpoolFileHeader verifiedHeader, Throwable cause) {
        super(message, verifiedHeader, cause);
    }

    @Override
    public Disposition disposition() {
        return nackIfVerified();
    }

    @Override
    public String reason() {
        return "malformed";
    }
}
