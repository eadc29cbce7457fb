package io.hoft.front.internal;

import io.hoft.transport.fs.OwnerOnly;
import io.hoft.transport.message.Body;
import io.hoft.transport.store.BodyFiles;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.ChannelListener;
import org.xnio.channels.StreamSourceChannel;

/**
 * Takes in a request body as it arrives (Content-Length or chunked) without holding a thread
 * while it waits: the request channel is read on Undertow's I/O thread whenever bytes are
 * there, so a slow sender holds a connection and at most 64 KiB of memory, never a worker.
 * The body stays in memory up to 64 KiB; past that each full buffer is written to a new body
 * file of the node's store by a worker (reads pause meanwhile), and the file is forced before
 * the call is stored. The size cap is checked as bytes arrive, so an oversized body is refused
 * (413) without being kept. Slow bodies end: silence longer than the read timeout ends the
 * connection (Undertow closes it), and after that grace the body must average
 * {@code minBytesPerSecond} or the caller gets 408 (the rule of Apache's mod_reqtimeout: the
 * deadline is {@code start + readTimeout + received / minRate}). A body folder that cannot be
 * written is 503, logged. Whatever ends a body early deletes its file.
 *
 * <p>A large body can be sent on while it arrives ({@link Slices}): each time the file holds
 * another whole slice, it is forced and the slice reported, so the front encodes fragment 1
 * while fragment 2 arrives; the final force then covers only the last slice.
 */
final class BodyReceiver {
    static final int INLINE_MAX = 64 * 1024;
    private static final Logger log = LoggerFactory.getLogger(BodyReceiver.class);

    /** A received body: inline bytes, or a forced body file nobody owns yet. */
    record Received(byte[] inline, Path file, long length) {
        Body body() throws IOException {
            return file == null ? Body.ofBytes(inline) : Body.ofFile(file);
        }

        /** Deletes the file if the call was not stored (recovery would too, at the next start). */
        void discard() {
            deleteQuietly(file);
        }
    }

    /**
     * Told of a body file as it fills, on a worker thread with reading paused: {@link #started}
     * once the file exists (false: tell nothing more), {@link #durable} each time another whole
     * {@link #sliceBytes} are written and forced, {@link #cancelled} if the body then fails or
     * its caller goes away. After a body completed, its receiver decides what happens.
     */
    interface Slices {
        long sliceBytes();

        boolean started(Path file);

        void durable(long bytes);

        void cancelled();
    }

    private final BodyFiles bodies;
    private final long maxBytes;
    private final long graceNanos;
    private final long minBytesPerSecond;
    private final Duration retryAfter;

    BodyReceiver(BodyFiles bodies, long maxBytes, long readTimeoutMs, long minBytesPerSecond, Duration retryAfter) {
        this.bodies = bodies;
        this.maxBytes = maxBytes;
        this.graceNanos = readTimeoutMs * 1_000_000L;
        this.minBytesPerSecond = Math.max(1, minBytesPerSecond);
        this.retryAfter = retryAfter;
    }

    /**
     * Starts reading the body of {@code exchange}, which must not be in blocking mode. Exactly
     * one of the callbacks runs, on a worker thread: {@code received} with the whole body, or
     * {@code failed} with an {@link HttpError} (413 over the cap, 408 too slow, 400 malformed
     * framing, 503 storage failure; the connection closes after the answer) or an
     * {@link IOException} (the caller went away). Neither runs if the connection closed first.
     */
    void receive(HttpServerExchange exchange, Consumer<Received> received, Consumer<Exception> failed) {
        receive(exchange, null, received, failed);
    }

    /** As {@link #receive(HttpServerExchange, Consumer, Consumer)}, telling {@code slices} (or null) of the body file. */
    void receive(HttpServerExchange exchange, Slices slices, Consumer<Received> received, Consumer<Exception> failed) {
        new Reading(exchange, slices, received, failed).start();
    }

    /** A 503 for a body folder that refuses writes, logged: the operator must act, the caller may retry. */
    HttpError storageFailure(IOException e) {
        log.error("cannot store a request body in {}: {}; calls with bodies over {} KiB get 503 until it is writable",
                bodies.dir(), e.toString(), INLINE_MAX / 1024);
        return new HttpError(503, "storage-unavailable", "the front cannot store the request body now", retryAfter,
                java.util.Map.of(), true);
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // recovery deletes unowned body files at the next start
            }
        }
    }

    /** One body being read; its state is guarded by its own lock (I/O thread, workers, close listener). */
    private final class Reading implements ChannelListener<StreamSourceChannel> {
        private final HttpServerExchange exchange;
        private final Consumer<Received> received;
        private final Consumer<Exception> failed;
        private final Executor worker;
        private final long startNanos = System.nanoTime();
        private StreamSourceChannel channel;
        private ByteBuffer buffer;
        private Path file;
        private FileChannel out;
        private Slices slices;
        private long written;
        private long total;
        private boolean writing;
        private boolean ended;

        Reading(HttpServerExchange exchange, Slices slices, Consumer<Received> received, Consumer<Exception> failed) {
            this.exchange = exchange;
            this.slices = slices;
            this.received = received;
            this.failed = failed;
            this.worker = exchange.getConnection().getWorker();
            long declared = exchange.isRequestComplete() ? 0 : exchange.getRequestContentLength();
            this.buffer = ByteBuffer.allocate((int) Math.min(INLINE_MAX + 1, declared >= 0 ? declared + 1 : 16 * 1024));
        }

        void start() {
            channel = exchange.getRequestChannel();
            if (channel == null) {
                end(new IOException("the request body was taken already"));
                return;
            }
            exchange.getConnection().addCloseListener(connection -> abandon());
            channel.getReadSetter().set(this);
            handleEvent(channel);
        }

        @Override
        public synchronized void handleEvent(StreamSourceChannel ignored) {
            if (ended || writing) {
                return;
            }
            try {
                while (true) {
                    int n = channel.read(buffer);
                    if (n == 0) {
                        channel.resumeReads();
                        return;
                    }
                    if (n < 0) {
                        channel.suspendReads();
                        finish();
                        return;
                    }
                    total += n;
                    check();
                    if (!buffer.hasRemaining()) {
                        if (buffer.capacity() <= INLINE_MAX) {
                            buffer = ByteBuffer.allocate(Math.min(INLINE_MAX + 1, buffer.capacity() * 2)).put(buffer.flip());
                        } else {
                            channel.suspendReads();
                            writing = true;
                            exchange.dispatch(worker, this::writeThenRead);
                            return;
                        }
                    }
                }
            } catch (BadFramingException e) {
                end(HttpError.early(400, "bad-framing", e.getMessage()));
            } catch (RequestTooBigException e) {
                end(tooLarge());
            } catch (HttpError | IOException e) {
                end(e);
            }
        }

        private void check() {
            if (total > maxBytes) {
                throw tooLarge();
            }
            long deadline = startNanos + graceNanos + total * 1_000_000_000L / minBytesPerSecond;
            if (System.nanoTime() - deadline > 0) {
                throw HttpError.early(408, "body-timeout", "the request body arrives slower than " + minBytesPerSecond
                        + " bytes per second");
            }
        }

        private HttpError tooLarge() {
            return HttpError.early(413, "body-too-large", "the request body is over the limit of " + maxBytes + " bytes");
        }

        /** On a worker: the full buffer goes to the body file, then reading goes on on the I/O thread. */
        private void writeThenRead() {
            synchronized (this) {
                if (ended) {
                    return;
                }
                try {
                    write();
                } catch (IOException e) {
                    end(storageFailure(e));
                    return;
                }
                writing = false;
            }
            channel.getIoThread().execute(() -> handleEvent(channel));
        }

        private void write() throws IOException {
            if (out == null) {
                file = bodies.newPath();
                out = OwnerOnly.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                if (slices != null && !slices.started(file)) {
                    slices = null;
                }
            }
            buffer.flip();
            long sliceBefore = slices == null ? 0 : written / slices.sliceBytes();
            while (buffer.hasRemaining()) {
                written += out.write(buffer);
            }
            buffer.clear();
            if (slices != null && written / slices.sliceBytes() > sliceBefore) {
                out.force(true);
                slices.durable(written);
            }
        }

        /** The body is complete: inline, or the rest written and the file forced, on a worker. */
        private void finish() {
            ended = true;
            if (file == null && buffer.position() <= INLINE_MAX) {
                byte[] inline = Arrays.copyOf(buffer.array(), buffer.position());
                exchange.dispatch(worker, () -> received.accept(new Received(inline, null, total)));
                return;
            }
            exchange.dispatch(worker, () -> {
                Received body;
                synchronized (this) {
                    try {
                        write();
                        out.force(true);
                        out.close();
                        body = new Received(null, file, total);
                    } catch (IOException e) {
                        closeAndDelete();
                        failed.accept(storageFailure(e));
                        return;
                    }
                }
                received.accept(body);
            });
        }

        /** Ends the body with an error: its file goes, the caller is answered on a worker. */
        private void end(Exception error) {
            if (ended) {
                return;
            }
            ended = true;
            closeAndDelete();
            if (channel != null) {
                channel.suspendReads();
            }
            exchange.dispatch(worker, () -> failed.accept(error));
        }

        /** The connection closed before the body was complete: nobody to answer. */
        private synchronized void abandon() {
            if (!ended) {
                ended = true;
                closeAndDelete();
            }
        }

        private void closeAndDelete() {
            if (slices != null && file != null) {
                slices.cancelled();
            }
            if (out != null) {
                try {
                    out.close();
                } catch (IOException e) {
                    // the file goes anyway
                }
            }
            deleteQuietly(file);
        }
    }
}
