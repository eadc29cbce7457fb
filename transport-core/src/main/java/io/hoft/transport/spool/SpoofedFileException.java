package io.hoft.transport.spool;

/**
 * The file is not provably from a trusted peer: unsigned where a signature is required, signed
 * by an unknown or expired key, a bad signature, a signer that is not the named sender, or a
 * mode not accepted from that sender. Quarantined silently: never nacked, never answered.
 */
public final class SpoofedFileException extends SpoolFileException {
    private static final long serialVersionUID = 1L;

    SpoofedFileException(String message) {
        super(message, null, null);
    }

    @Override
    public Disposition disposition() {
        return Disposition.QUARANTINE;
    }

    @Override
    public String reason() {
        return "spoofed";
    }
}
