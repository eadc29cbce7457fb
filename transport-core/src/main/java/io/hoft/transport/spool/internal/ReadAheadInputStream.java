package io.hoft.transport.spool.internal;

import io.hoft.transport.spool.internal.PayloadStage.Block;
import io.hoft.transport.spool.internal.PayloadStage.Handoff;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.Future;

/**
 * An input stream whose bytes a {@link PayloadStage} thread reads from the stream below, in
 * order and ahead of the caller, into {@link PayloadStage#BLOCKS} blocks of
 * {@link PayloadStage#BLOCK_SIZE}: memory is bounded, and the stage waits when it is that far
 * ahead.
 *
 * <p>The caller sees exactly the stream below: its bytes, then its end, or, at the place where
 * it happened, the exception the stream below threw (the same object, rethrown). The stage
 * reads nothing after such an exception. {@link #close} stops the stage and waits for it;
 * from then on (or once this stream has returned its end or thrown) the stage touches the
 * stream below no more, and the caller may read what the stage left there (a count, a
 * digest). Closing does not close the stream below.
 *
 * <p>Not thread-safe: one consuming thread.
 */
public final class ReadAheadInputStream extends InputStream {
    private final InputStream in;
    private final Handoff handoff = new Handoff();
    private volatile boolean stopped;
    private Future<?> stage;
    private Block block;
    private boolean ended;
    private Throwable failure;

    private ReadAheadInputStream(InputStream in) {
        this.in = in;
    }

    /**
     * A stream that reads {@code in} ahead on a stage thread, or {@code in} itself when every
     * stage thread is busy (the caller then reads in series). Close it to stop the stage.
     */
    public static InputStream over(InputStream in) {
        ReadAheadInputStream stream = new ReadAheadInputStream(in);
        stream.stage = PayloadStage.trySubmit(stream::fill);
        return stream.stage == null ? in : stream;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (block == null || block.position == block.length) {
            if (failure != null) {
                throw PayloadStage.rethrow(failure);
            }
            if (ended) {
                return -1;
            }
            if (block != null) {
                handoff.free.add(block);
                block = null;
            }
            Block next = PayloadStage.take(handoff.full);
            if (next == Handoff.END) {
                ended = true;
            } else if (next.failure != null) {
                failure = next.failure;
            } else {
                block = next;
            }
        }
        int n = Math.min(len, block.length - block.position);
        System.arraycopy(block.bytes, block.position, b, off, n);
        block.position += n;
        return n;
    }

    /** Stops the stage and waits until it has stopped; the stream below stays open. Idempotent. */
    @Override
    public void close() {
        if (stopped) {
            return;
        }
        stopped = true;
        // The stage waits, if at all, for a free block: give it every block so it wakes and sees the stop.
        if (block != null) {
            handoff.free.add(block);
            block = null;
        }
        Block next;
        while ((next = handoff.full.poll()) != null) {
            if (next != Handoff.END && next.failure == null) {
                handoff.free.add(next);
            }
        }
        PayloadStage.awaitUninterruptibly(stage);
    }

    /** The stage: fills blocks from the stream below until its end, its first failure, or a stop. */
    private void fill() {
        while (true) {
            Block next;
            try {
                next = handoff.free.take();
            } catch (InterruptedException e) {
                return; // pool threads are interrupted only when the JVM shuts the pool down
            }
            if (stopped) {
                return;
            }
            next.length = 0;
            next.position = 0;
            Throwable thrown = null;
            int n = 0;
            try {
                while (next.length < next.bytes.length
                        && (n = in.read(next.bytes, next.length, next.bytes.length - next.length)) != -1) {
                    next.length += n;
                }
            } catch (Throwable t) {
                thrown = t;
            }
            if (next.length > 0) {
                handoff.full.add(next); // the bytes before a failure or the end come first
            }
            if (thrown != null) {
                Block failed = new Block(0);
                failed.failure = thrown;
                handoff.full.add(failed);
                return;
            }
            if (n == -1) {
                handoff.full.add(Handoff.END);
                return;
            }
        }
    }
}
