package io.hoft.transport.spool.internal;

import io.hoft.transport.spool.internal.PayloadStage.Block;
import io.hoft.transport.spool.internal.PayloadStage.Handoff;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.Future;

/**
 * An output stream whose bytes are written to the stream below by a {@link PayloadStage}
 * thread, in order, while the caller goes on producing the next ones.
 *
 * <p>Bytes are gathered into {@link PayloadStage#BLOCKS} blocks of
 * {@link PayloadStage#BLOCK_SIZE}: a caller that runs ahead waits for a free block, so memory
 * is bounded. A failure of the stream below is thrown at the caller's next write or at
 * {@link #close}; after it the stage writes nothing more. {@link #close} hands over what is
 * left, closes the stream below on the stage's thread and waits for that; {@link #abort} stops
 * the stage without closing the stream below. Once either has returned the stage touches the
 * stream below no more, and the caller may read what the stage left there (a count, a digest).
 *
 * <p>Not thread-safe: one producing thread.
 */
public final class WriteBehindOutputStream extends OutputStream {
    private final OutputStream out;
    private final Handoff handoff = new Handoff();
    private volatile Throwable failure;
    private volatile boolean aborted;
    private Future<?> stage;
    private Block block;
    private boolean ended;

    private WriteBehindOutputStream(OutputStream out) {
        this.out = out;
    }

    /**
     * A stream that writes to {@code out} on a stage thread, or {@code out} itself when every
     * stage thread is busy (the caller then writes in series).
     */
    public static OutputStream over(OutputStream out) {
        WriteBehindOutputStream stream = new WriteBehindOutputStream(out);
        stream.stage = PayloadStage.trySubmit(stream::drain);
        return stream.stage == null ? out : stream;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        checkOpen();
        while (len > 0) {
            if (block == null) {
                block = PayloadStage.take(handoff.free);
                checkOpen(); // the stage may have failed while this thread waited
            }
            int n = Math.min(len, block.bytes.length - block.length);
            System.arraycopy(b, off, block.bytes, block.length, n);
            block.length += n;
            off += n;
            len -= n;
            if (block.length == block.bytes.length) {
                handoff.full.add(block);
                block = null;
            }
        }
    }

    private void checkOpen() throws IOException {
        if (ended) {
            throw new IOException("stream closed");
        }
        Throwable f = failure;
        if (f != null) {
            abort();
            throw PayloadStage.rethrow(f);
        }
    }

    /** Writes what is left, closes the stream below and waits for the stage; throws what failed there. */
    @Override
    public void close() throws IOException {
        if (ended) {
            return;
        }
        if (block != null && block.length > 0) {
            handoff.full.add(block);
        }
        finish();
        Throwable f = failure;
        if (f != null) {
            throw PayloadStage.rethrow(f);
        }
    }

    /** Stops the stage without closing the stream below, and waits until it has stopped. Idempotent. */
    public void abort() {
        if (ended) {
            return;
        }
        aborted = true;
        finish();
    }

    private void finish() {
        ended = true;
        block = null;
        handoff.full.add(Handoff.END);
        PayloadStage.awaitUninterruptibly(stage);
    }

    /** The stage: writes each block below in order; after a failure or an abort it only recycles blocks. */
    private void drain() {
        boolean writing = true;
        while (true) {
            Block next;
            try {
                next = handoff.full.take();
            } catch (InterruptedException e) {
                return; // pool threads are interrupted only when the JVM shuts the pool down
            }
            if (next == Handoff.END) {
                if (writing && !aborted) {
                    try {
                        out.close();
                    } catch (Throwable t) {
                        failure = t;
                    }
                }
                return;
            }
            if (writing && !aborted) {
                try {
                    out.write(next.bytes, 0, next.length);
                } catch (Throwable t) {
                    failure = t;
                    writing = false;
                }
            }
            next.length = 0;
            handoff.free.add(next); // wakes a producer waiting for a block, which then sees any failure
        }
    }
}
