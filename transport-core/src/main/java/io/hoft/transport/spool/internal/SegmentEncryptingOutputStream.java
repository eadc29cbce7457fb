package io.hoft.transport.spool.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;

/**
 * Encrypts a byte stream into STREAM segments (see {@link SegmentCipher}). A full segment is
 * held back until the next byte arrives, because only then is it known not to be the last.
 * {@link #close()} seals the final segment and closes the underlying stream.
 */
public final class SegmentEncryptingOutputStream extends OutputStream {
    private final OutputStream out;
    private final SegmentCipher cipher;
    private final byte[] plain;
    private final byte[] sealed;
    private int filled;
    private long index;
    private boolean closed;

    public SegmentEncryptingOutputStream(OutputStream out, byte[] key, int segmentSize) {
        if (!SegmentCipher.isValidSegmentSize(segmentSize)) {
            throw new IllegalArgumentException("bad segment size " + segmentSize);
        }
        this.out = out;
        this.cipher = new SegmentCipher(key);
        this.plain = new byte[segmentSize];
        this.sealed = new byte[segmentSize + SegmentCipher.TAG_LENGTH];
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        while (len > 0) {
            if (filled == plain.length) {
                seal(false);
            }
            int n = Math.min(len, plain.length - filled);
            System.arraycopy(b, off, plain, filled, n);
            filled += n;
            off += n;
            len -= n;
        }
    }

    private void seal(boolean last) throws IOException {
        try {
            int n = cipher.seal(index++, last, plain, 0, filled, sealed);
            out.write(sealed, 0, n);
            filled = 0;
        } catch (GeneralSecurityException e) {
            throw new IOException("AES-GCM failed", e);
        }
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        seal(true);
        out.close();
    }
}
