package io.hoft.transport.spool;

/**
 * A declared size or count exceeds a configured cap (header, frame count, meta, decompressed
 * size, fragment count, body, file). Checked before anything of that size is allocated.
 */
public final class TooLargeException extends SpoolFileException {
    private static final long serialVersionUID = 1L;

    TooLargeException(String message) {
        super(message, null, null);
    }

    @Override
    public Disposition disposition() {
        return nackIfVerified();
    }

    @Override
    public String reason() {
        return "too-large";
    }
}
