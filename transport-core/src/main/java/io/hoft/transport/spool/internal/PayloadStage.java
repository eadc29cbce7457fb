package io.hoft.transport.spool.internal;

import io.hoft.transport.agent.Threads;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads that run the payload stage of large spool files beside the caller's thread
 * ({@link WriteBehindOutputStream}, {@link ReadAheadInputStream}): one shared pool of at most
 * {@link #MAX_THREADS} daemon threads, kept for {@link #KEEP_ALIVE_SECONDS} after their last
 * task so that a run of files does not start a thread per file.
 *
 * <p>The pool never queues: when every thread is busy, {@link #trySubmit} says so and the
 * caller runs the stage on its own thread instead. So a payload stage never waits for a
 * thread, and no caller can wait on a task that is not running.
 */
public final class PayloadStage {
    /** Payloads below this many bytes are handled on the caller's thread alone: a hand-off costs more than it saves. */
    public static final long MIN_PIPELINED_BYTES = 1 << 20;
    /** Bytes per block handed between the two threads. */
    public static final int BLOCK_SIZE = 256 * 1024;
    /** Blocks per pipelined stream: memory per stream is at most {@code BLOCKS * BLOCK_SIZE}. */
    public static final int BLOCKS = 4;
    /**
     * zstd's own threads per large payload being written: with the payload stage hashing and
     * writing, compression is what is left on the caller's thread, and the larger part of a
     * compressible body's cost. zstd's job size is set to {@code BLOCKS * BLOCK_SIZE}, which
     * bounds its buffers to a few MiB per stream.
     */
    public static final int COMPRESSION_WORKERS = 2;
    static final int MAX_THREADS = Math.max(2, Runtime.getRuntime().availableProcessors());
    static final int KEEP_ALIVE_SECONDS = 30;

    private static final ThreadPoolExecutor EXECUTOR = new ThreadPoolExecutor(0, MAX_THREADS,
            KEEP_ALIVE_SECONDS, TimeUnit.SECONDS, new SynchronousQueue<>(), Threads.numbered("hoft-payload"));

    private PayloadStage() {}

    /** Bytes handed from one thread to the other: {@code length} of them; a reader's {@code position}; or a failure. */
    static final class Block {
        final byte[] bytes;
        int length;
        int position;
        Throwable failure;

        Block(int size) {
            bytes = new byte[size];
        }
    }

    /**
     * The blocks of one pipelined stream: {@code free} ones to fill, {@code full} ones to use, in
     * order. Only {@link #BLOCKS} exist, so a thread that runs ahead waits for a free one.
     */
    static final class Handoff {
        /** Marks the end of the stream in {@code full}. */
        static final Block END = new Block(0);

        final BlockingQueue<Block> free = new ArrayBlockingQueue<>(BLOCKS);
        /** Room for every block and one more item ({@link #END} or a failure), so handing over never waits. */
        final BlockingQueue<Block> full = new ArrayBlockingQueue<>(BLOCKS + 1);

        Handoff() {
            for (int i = 0; i < BLOCKS; i++) {
                free.add(new Block(BLOCK_SIZE));
            }
        }
    }

    /** Runs {@code task} on a pool thread, or returns null if every thread is busy. */
    static Future<?> trySubmit(Runnable task) {
        try {
            return EXECUTOR.submit(task);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    /** Waits for {@code task} to end, even if this thread is interrupted meanwhile (the interrupt is kept). */
    static void awaitUninterruptibly(Future<?> task) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    task.get();
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    // The stage tasks catch everything they throw; this is a bug, surfaced at once.
                    throw new IllegalStateException("payload stage failed", e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Takes from {@code queue} on the caller's thread; an interrupt is an {@link InterruptedIOException}. */
    static <T> T take(BlockingQueue<T> queue) throws InterruptedIOException {
        try {
            return queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the payload stage");
        }
    }

    /** Rethrows what a stage task caught, as what it was where possible. */
    static IOException rethrow(Throwable failure) {
        if (failure instanceof IOException e) {
            return e;
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        return new IOException("payload stage failed", failure);
    }
}
