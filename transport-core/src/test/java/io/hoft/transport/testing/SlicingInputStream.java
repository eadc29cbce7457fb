package io.hoft.transport.testing;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;

/** Hands out the underlying bytes in random-size slices (1 byte up to a cap), as a network or a slow mirror would. */
public final class SlicingInputStream extends FilterInputStream {
    private final Random random;
    private final int maxSlice;

    public SlicingInputStream(InputStream in, long seed, int maxSlice) {
        super(in);
        this.random = new Random(seed);
        this.maxSlice = maxSlice;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        return super.read(b, off, Math.min(len, 1 + random.nextInt(maxSlice)));
    }

    @Override
    public long skip(long n) throws IOException {
        return super.skip(Math.min(n, 1 + random.nextInt(maxSlice)));
    }
}
