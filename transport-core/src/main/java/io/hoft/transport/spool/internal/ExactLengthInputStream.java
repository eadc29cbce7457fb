package io.hoft.transport.spool.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.function.Supplier;

/**
 * Yields exactly {@code length} bytes of the underlying stream: end of stream after them, and
 * the supplied exception if the underlying stream ends before them. Closing does not close
 * the underlying stream.
 */
public final class ExactLengthInputStream extends InputStream {
    private final InputStream in;
    private final Supplier<? extends IOException> onShort;
    private long remaining;

    public ExactLengthInputStream(InputStream in, long length, Supplier<? extends IOException> onShort) {
        this.in = in;
        this.remaining = length;
        this.onShort = onShort;
    }

    @Override
    public int read() throws IOException {
        if (remaining == 0) {
            return -1;
        }
        int b = in.read();
        if (b == -1) {
            throw onShort.get();
        }
        remaining--;
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (remaining == 0) {
            return -1;
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n == -1) {
            throw onShort.get();
        }
        remaining -= n;
        return n;
    }

    public long remaining() {
        return remaining;
    }

    /** Reads and discards what is left, so digests over it complete. */
    public void drain() throws IOException {
        byte[] buffer = new byte[8192];
        while (read(buffer, 0, buffer.length) != -1) {
            // discard
        }
    }

    @Override
    public void close() {
        // The underlying stream belongs to the caller.
    }
}
