package io.hoft.transport.spool;

/**
 * Bytes changed after the file was written: a digest mismatch, an AEAD failure, or a payload
 * that does not decompress.
 */
public final class CorruptFileException extends SpoolFileException {
    private static final long serialVersionUID = 1L;

    public CorruptFileException(String message) {
        super(message, null, null);
    }

    public CorruptFileException(String message, SpoolFileHeader verifiedHeader) {
        super(message, verifiedHeader, null);
    }

    public CorruptFileException(String message, SpoolFileHeader verifiedHeader, Throwable cause) {
        super(message, verifiedHeader, cause);
    }

    @Override
    public Disposition disposition() {
        return nackIfVerified();
    }

    @Override
    public String reason() {
        return "corrupt";
    }
}
