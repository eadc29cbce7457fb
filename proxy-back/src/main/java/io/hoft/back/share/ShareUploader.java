package io.hoft.back.share;

import io.hoft.transport.fs.OwnerOnly;
import io.hoft.transport.channel.ChannelFullException;
import io.hoft.transport.channel.Transport;
import io.hoft.transport.channel.TransportMetrics;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.share.SharePath;
import io.hoft.transport.share.ShareProtocol;
import io.hoft.transport.store.BodyFiles;
import io.hoft.transport.store.NodeStore;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the front's file requests: checks the path ({@link PublishedFolders}), then sends the
 * file as a run of {@code 206} chunk responses (the first at most 256 KiB, so the first bytes
 * travel soon; the rest {@code chunkSize}), at most {@code inFlightChunks} of them unacknowledged
 * at a time, so one large file neither floods the channel nor the spool. A file that changes
 * while it is read ends the run with {@code 409 share-changed}. Each chunk is copied into the
 * node's body store before it is handed to the channel, so the published file is only read.
 */
final class ShareUploader implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ShareUploader.class);
    static final int FIRST_CHUNK = 256 * 1024;

    private final PublishedFolders folders;
    private final ShareConfig config;
    private final NodeStore store;
    private final Transport transport;
    private final BodyFiles bodies;
    private final Clock clock;
    private final TransportMetrics metrics;
    private final Runnable changed;
    private final AtomicInteger threadNumber = new AtomicInteger();
    private final ExecutorService workers;
    private final Map<MessageId, Semaphore> unacked = new ConcurrentHashMap<>();
    private volatile boolean closing;

    ShareUploader(PublishedFolders folders, ShareConfig config, NodeStore store, Transport transport, Clock clock, Runnable changed) {
        this.folders = folders;
        this.config = config;
        this.store = store;
        this.transport = transport;
        this.bodies = transport.bodies();
        this.clock = clock;
        this.metrics = transport.metrics();
        this.changed = changed;
        this.workers = Executors.newFixedThreadPool(config.maxUploads(), r -> {
            Thread t = new Thread(r, "hoft-share-upload-" + threadNumber.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** A file request arrived (called after the delivery committed). */
    void request(NodeId peer, Message request) {
        workers.execute(() -> {
            try {
                upload(peer, request);
            } catch (IOException | RuntimeException e) {
                log.warn("share: answering {} from {} failed: {}", request.id(), peer, e.toString());
                try {
                    answerError(peer, request, 500, "Internal Server Error", ShareProtocol.FAILED);
                } catch (IOException | RuntimeException again) {
                    log.debug("share: cannot even answer {}: {}", request.id(), again.toString());
                }
            }
        });
    }

    /** Chunks the peer acknowledged free their upload's window. */
    void acked(List<MessageId> ids) {
        for (MessageId id : ids) {
            Semaphore window = unacked.remove(id);
            if (window != null) {
                window.release();
            }
        }
    }

    private void upload(NodeId peer, Message request) throws IOException {
        Envelope.Request envelope = (Envelope.Request) request.envelope();
        String target = envelope.target();
        String path;
        Optional<Path> found;
        try {
            if (!envelope.method().equals("GET") || !target.startsWith(ShareProtocol.FILES_PREFIX)) {
                throw new PublishedFolders.RefusedPathException("not a file request: " + envelope.method() + " " + target);
            }
            path = SharePath.decode(target.substring(ShareProtocol.FILES_PREFIX.length()));
            found = folders.resolve(path);
        } catch (SharePath.InvalidPathException | PublishedFolders.RefusedPathException e) {
            log.warn("share: refused {} {} from {}: {}", envelope.method(), target, peer, e.getMessage());
            metrics.increment("hoft_back_share_refused_total");
            answerError(peer, request, 403, "Forbidden", ShareProtocol.REFUSED);
            return;
        }
        if (found.isEmpty()) {
            answerError(peer, request, 404, "Not Found", ShareProtocol.NOT_FOUND);
            changed.run();
            return;
        }
        Path file = found.get();
        BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
        long size = attrs.size();
        long modifiedMs = attrs.lastModifiedTime().toMillis();
        Optional<String> wantSize = ShareProtocol.header(envelope.headers(), ShareProtocol.SIZE);
        Optional<String> wantModified = ShareProtocol.header(envelope.headers(), ShareProtocol.MODIFIED);
        if (wantSize.isPresent() && !wantSize.get().equals(Long.toString(size))
                || wantModified.isPresent() && !wantModified.get().equals(Long.toString(modifiedMs))) {
            answerError(peer, request, 409, "Conflict", ShareProtocol.CHANGED);
            changed.run();
            return;
        }
        metrics.increment("hoft_back_share_uploads_total");
        log.info("share: sending {} ({} bytes) to {} for {}", path, size, peer, request.id());
        if (size == 0) {
            sendChunk(peer, request, null, 0, 0, 0, modifiedMs, null);
            return;
        }
        Semaphore window = new Semaphore(config.inFlightChunks());
        long chunkSize = config.chunkSize().bytes();
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long offset = 0;
            int index = 0;
            while (offset < size) {
                if (closing || clock.millis() > request.expires().toEpochMilli()) {
                    log.info("share: stopped sending {} to {} at {} of {} bytes ({})", path, peer, offset, size,
                            closing ? "the back is stopping" : "the request expired");
                    return;
                }
                long length = Math.min(index == 0 ? Math.min(FIRST_CHUNK, chunkSize) : chunkSize, size - offset);
                Path slice = bodies.newPath();
                try {
                    copy(in, offset, length, slice);
                    BasicFileAttributes now = Files.readAttributes(file, BasicFileAttributes.class);
                    if (now.size() != size || now.lastModifiedTime().toMillis() != modifiedMs) {
                        Files.deleteIfExists(slice);
                        answerError(peer, request, 409, "Conflict", ShareProtocol.CHANGED);
                        changed.run();
                        return;
                    }
                    acquire(window, request);
                    sendChunk(peer, request, slice, offset, length, size, modifiedMs, window);
                } catch (IOException | RuntimeException e) {
                    Files.deleteIfExists(slice);
                    throw e;
                }
                metrics.add("hoft_back_share_bytes_total", length);
                offset += length;
                index++;
            }
        }
    }

    private void acquire(Semaphore window, Message request) throws IOException {
        try {
            while (!window.tryAcquire(1, TimeUnit.SECONDS)) {
                if (closing || clock.millis() > request.expires().toEpochMilli()) {
                    throw new IOException("no acknowledgement of earlier chunks before the request expired");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    private void copy(FileChannel in, long offset, long length, Path slice) throws IOException {
        try (OutputStream out = OwnerOnly.newOutputStream(slice)) {
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(length, 256 * 1024));
            long done = 0;
            while (done < length) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), length - done));
                int n = in.read(buffer, offset + done);
                if (n < 0) {
                    throw new IOException("file shrank while it was read");
                }
                out.write(buffer.array(), 0, n);
                done += n;
            }
        }
        bodies.force(slice);
    }

    private void sendChunk(NodeId peer, Message request, Path slice, long offset, long length, long size, long modifiedMs,
            Semaphore window) throws IOException {
        List<HeaderField> headers = new ArrayList<>();
        headers.add(new HeaderField(ShareProtocol.CHUNK, Long.toString(offset)));
        headers.add(new HeaderField(ShareProtocol.SIZE, Long.toString(size)));
        headers.add(new HeaderField(ShareProtocol.MODIFIED, Long.toString(modifiedMs)));
        if (length > 0) {
            headers.add(new HeaderField(ShareProtocol.CONTENT_RANGE, "bytes " + offset + "-" + (offset + length - 1) + "/" + size));
        }
        Instant now = clock.instant();
        Message chunk = new Message(MessageId.generate(clock), now, expires(now, request),
                new Envelope.Response(request.id(), length > 0 ? 206 : 200, length > 0 ? "Partial Content" : "OK", headers, null),
                slice == null ? Body.EMPTY : Body.ofFile(slice));
        if (window != null) {
            unacked.put(chunk.id(), window);
        }
        try {
            sendRetrying(peer, chunk, request);
        } catch (IOException | RuntimeException e) {
            if (window != null && unacked.remove(chunk.id()) != null) {
                window.release();
            }
            throw e;
        }
    }

    private void answerError(NodeId peer, Message request, int status, String reason, String error) throws IOException {
        Instant now = clock.instant();
        Message answer = new Message(MessageId.generate(clock), now, expires(now, request),
                new Envelope.Response(request.id(), status, reason, List.of(new HeaderField(ShareProtocol.CHUNK, "-1")), error),
                Body.EMPTY);
        sendRetrying(peer, answer, request);
    }

    private static Instant expires(Instant now, Message request) {
        Instant expires = request.expires();
        return expires.isBefore(now) ? now : expires;
    }

    /** Hands a message to the channel, waiting while the channel is full (up to the request's expiry). */
    private void sendRetrying(NodeId peer, Message message, Message request) throws IOException {
        long waitMs = 100;
        while (true) {
            try {
                store.inTransaction(tx -> {
                    transport.send(tx, peer, message);
                    return null;
                });
                return;
            } catch (RuntimeException e) {
                if (!(e.getCause() instanceof ChannelFullException)) {
                    throw e;
                }
                if (closing || clock.millis() + waitMs > request.expires().toEpochMilli()) {
                    throw new IOException("the channel to " + peer + " stayed full until the request expired");
                }
                try {
                    Thread.sleep(waitMs);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
                waitMs = Math.min(waitMs * 2, 5000);
            }
        }
    }

    @Override
    public void close() {
        closing = true;
        workers.shutdownNow();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
