package io.hoft.front.internal;

import io.hoft.transport.fs.OwnerOnly;
import io.hoft.transport.message.Body;
import io.hoft.transport.store.BodyFiles;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.xnio.channels.ReadTimeoutException;

/**
 * Takes in a request body as it arrives (Content-Length or chunked), in memory up to 64 KiB
 * and beyond that in a new body file of the node's store, which is forced before the call is
 * stored. The size cap is checked as bytes arrive, so an oversized body is refused (413)
 * without being kept. Slow bodies end: a read that waits longer than the read timeout ends
 * the connection (Undertow closes it), and after that grace the body must average
 * {@code minBytesPerSecond} or the caller gets 408 (the rule of Apache's mod_reqtimeout: the
 * deadline is {@code start + readTimeout + received / minRate}).
 */
final class BodyReceiver {
    static final int INLINE_MAX = 64 * 1024;

    /** A received body: inline bytes, or a forced body file nobody owns yet. */
    record Received(byte[] inline, Path file, long length) {
        Body body() throws IOException {
            return file == null ? Body.ofBytes(inline) : Body.ofFile(file);
        }

        /** Deletes the file if the call was not stored (recovery would too, at the next start). */
        void discard() {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    // recovery deletes unowned body files at the next start
                }
            }
        }
    }

    private final BodyFiles bodies;
    private final long maxBytes;
    private final long graceNanos;
    private final long minBytesPerSecond;

    BodyReceiver(BodyFiles bodies, long maxBytes, long readTimeoutMs, long minBytesPerSecond) {
        this.bodies = bodies;
        this.maxBytes = maxBytes;
        this.graceNanos = readTimeoutMs * 1_000_000L;
        this.minBytesPerSecond = Math.max(1, minBytesPerSecond);
    }

    /**
     * Reads the whole body of a blocking exchange.
     *
     * @throws HttpError 413 over the cap, 408 when too slow; the connection closes after either
     * @throws IOException when the caller went away
     */
    Received receive(HttpServerExchange exchange) throws IOException {
        long start = System.nanoTime();
        ByteArrayOutputStream memory = new ByteArrayOutputStream();
        Path file = null;
        OutputStream out = memory;
        long total = 0;
        byte[] buffer = new byte[64 * 1024];
        boolean done = false;
        // Not closed on failure: closing would drain the rest of an oversized or stalled body.
        InputStream in = exchange.getInputStream();
        try {
            int n;
            while ((n = read(exchange, in, buffer)) != -1) {
                total += n;
                if (total > maxBytes) {
                    throw tooLarge();
                }
                long deadline = start + graceNanos + total * 1_000_000_000L / minBytesPerSecond;
                if (System.nanoTime() - deadline > 0) {
                    throw HttpError.early(408, "body-timeout", "the request body arrives slower than "
                            + minBytesPerSecond + " bytes per second");
                }
                if (file == null && total > INLINE_MAX) {
                    file = bodies.newPath();
                    out = OwnerOnly.newOutputStream(file);
                    memory.writeTo(out);
                    memory = null;
                }
                out.write(buffer, 0, n);
            }
            if (file != null) {
                out.close();
                bodies.force(file);
            }
            done = true;
            return file == null ? new Received(memory.toByteArray(), null, total) : new Received(null, file, total);
        } finally {
            if (!done && file != null) {
                out.close();
                Files.deleteIfExists(file);
            }
        }
    }

    private int read(HttpServerExchange exchange, InputStream in, byte[] buffer) throws IOException {
        try {
            return in.read(buffer);
        } catch (RequestTooBigException e) {
            throw tooLarge();
        } catch (ReadTimeoutException e) {
            throw HttpError.early(408, "body-timeout", "no byte of the request body arrived within the read timeout");
        } catch (RuntimeException e) {
            if (!exchange.getConnection().isOpen()) {
                // Undertow's read timeout closes the connection under a blocked read, which then fails oddly.
                throw new IOException("the connection closed while the body was read (read timeout)", e);
            }
            throw e;
        }
    }

    private HttpError tooLarge() {
        return HttpError.early(413, "body-too-large", "the request body is over the limit of " + maxBytes + " bytes");
    }
}
