package io.hoft.back.share;

import io.hoft.link.dialout.DialoutClientLink;
import io.hoft.share.ShareBulk;
import io.hoft.share.SharePath;
import io.hoft.share.ShareProtocol;
import io.hoft.transport.agent.Threads;
import io.hoft.transport.channel.ChannelFullException;
import io.hoft.transport.channel.Transport;
import io.hoft.transport.channel.TransportMetrics;
import io.hoft.transport.fs.OwnerOnly;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.BodyFiles;
import io.hoft.transport.store.NodeStore;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the front's file requests (SPEC section 20.4): checks the path
 * ({@link PublishedFolders}), then sends the ranges the front asked for, in its order. When the
 * front gave a bulk key and the link to it is a dial-out link, the bytes go as sealed records
 * ({@link ShareBulk}) in {@code PUT}s of up to {@link #BULK_SLICE} bytes over the link's own
 * connections: no message, no force, no transaction per slice. Otherwise they go as a run of
 * {@code 206} chunk responses over the channel (the first at most 256 KiB, so the first bytes
 * travel soon; the rest {@code chunkSize}), at most {@code inFlightChunks} of them
 * unacknowledged at a time, each copied into the node's body store first, so the published
 * file is only read. Uploads take turns a slice at a time, so many files at once all move. A
 * file that changes while it is read ends the upload with {@code 409 share-changed}; a later
 * request for the same transfer (the front asking again for what it misses) stops the older one.
 */
final class ShareUploader implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ShareUploader.class);
    static final int FIRST_CHUNK = 256 * 1024;
    /** Bytes of one bulk upload (one PUT), and so of one turn of an upload. */
    static final long BULK_SLICE = 16L << 20;
    private static final int BULK_ATTEMPTS = 3;

    private final PublishedFolders folders;
    private final ShareConfig config;
    private final NodeStore store;
    private final Transport transport;
    private final BodyFiles bodies;
    private final Clock clock;
    private final TransportMetrics metrics;
    private final Runnable changed;
    private final ExecutorService workers;
    private final Map<MessageId, Semaphore> unacked = new ConcurrentHashMap<>();
    /** Uploads by peer and transfer (the id of the transfer's first request). */
    private final Map<String, Upload> running = new ConcurrentHashMap<>();
    private final ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor(Threads.named("hoft-share-pacer"));
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
        this.workers = Executors.newFixedThreadPool(config.maxUploads(), Threads.numbered("hoft-share-upload"));
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
            refuse(peer, request, e.getMessage());
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
        List<long[]> ranges;
        byte[] key;
        try {
            ranges = ShareProtocol.header(envelope.headers(), ShareProtocol.RANGES)
                    .map(value -> ShareProtocol.ranges(value, size))
                    .orElse(size == 0 ? List.of() : List.of(new long[] {0, size}));
            Optional<String> keyField = ShareProtocol.header(envelope.headers(), ShareProtocol.BULK_KEY);
            key = keyField.isPresent() ? ShareBulk.decodeKey(keyField.get()) : null;
        } catch (IllegalArgumentException e) {
            refuse(peer, request, e.getMessage());
            return;
        }
        metrics.increment("hoft_back_share_uploads_total");
        if (size == 0) {
            sendChunk(peer, request, null, 0, 0, 0, modifiedMs, null);
            return;
        }
        DialoutClientLink bulk = key == null ? null
                : transport.link(peer).filter(DialoutClientLink.class::isInstance).map(DialoutClientLink.class::cast).orElse(null);
        String transfer = ShareProtocol.header(envelope.headers(), ShareProtocol.TRANSFER)
                .filter(MessageId::isValid).orElse(request.id().value());
        Upload upload = new Upload(peer, request, path, file, size, modifiedMs, new ArrayDeque<>(ranges), bulk, key,
                FileChannel.open(file, StandardOpenOption.READ));
        Upload older = running.put(peer.value() + "/" + transfer, upload);
        if (older != null) {
            older.superseded = true; // the front asked again for what it is missing: this request replaces the older one
        }
        log.info("share: sending {} of {} ({} bytes) to {} for {}{}", ShareProtocol.formatRanges(ranges), path, size, peer,
                request.id(), bulk != null ? " over the link's bulk uploads" : "");
        workers.execute(() -> step(upload));
    }

    private void refuse(NodeId peer, Message request, String why) throws IOException {
        Envelope.Request envelope = (Envelope.Request) request.envelope();
        log.warn("share: refused {} {} from {}: {}", envelope.method(), envelope.target(), peer, why);
        metrics.increment("hoft_back_share_refused_total");
        answerError(peer, request, 403, "Forbidden", ShareProtocol.REFUSED);
    }

    /**
     * One turn of an upload: a bulk slice of up to {@link #BULK_SLICE} bytes, or one chunk
     * message; then the upload goes to the back of the queue, so uploads running at once take
     * turns however many there are.
     */
    private void step(Upload upload) {
        boolean more;
        try {
            more = upload.sendNext();
        } catch (IOException | RuntimeException e) {
            more = false;
            if (!closing) { // a back that stops has not failed the file: the front asks again once it is back
                log.warn("share: sending {} to {} for {} failed: {}", upload.path, upload.peer, upload.request.id(), e.toString());
                try {
                    answerError(upload.peer, upload.request, 500, "Internal Server Error", ShareProtocol.FAILED);
                } catch (IOException | RuntimeException again) {
                    log.debug("share: cannot even answer {}: {}", upload.request.id(), again.toString());
                }
            }
        }
        if (more) {
            try {
                long pause = upload.pauseMs();
                if (pause > 0) {
                    pacer.schedule(() -> workers.execute(() -> step(upload)), pause, TimeUnit.MILLISECONDS);
                } else {
                    workers.execute(() -> step(upload));
                }
                return;
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // stopping
            }
        }
        upload.close();
        running.values().remove(upload);
    }

    /** A bulk slice: {@link #BULK_SLICE}, or a quarter second's worth under an {@code uploadRate}. */
    private long bulkSlice() {
        return config.uploadRate() == null ? BULK_SLICE
                : Math.max(ShareBulk.MAX_RECORD, Math.min(BULK_SLICE, config.uploadRate().bytes() / 4));
    }

    /** One file request being answered: what is left to send, and how. */
    private final class Upload {
        final NodeId peer;
        final Message request;
        final String path;
        final Path file;
        final long size;
        final long modifiedMs;
        final ArrayDeque<long[]> left; // [first, end) in the order the front wants them
        final DialoutClientLink bulk;
        final byte[] key;
        final FileChannel in;
        final Semaphore window = new Semaphore(config.inFlightChunks());
        final long startedMs = clock.millis();
        volatile boolean superseded;
        boolean first = true;
        long sent;

        Upload(NodeId peer, Message request, String path, Path file, long size, long modifiedMs, ArrayDeque<long[]> left,
                DialoutClientLink bulk, byte[] key, FileChannel in) {
            this.peer = peer;
            this.request = request;
            this.path = path;
            this.file = file;
            this.size = size;
            this.modifiedMs = modifiedMs;
            this.left = left;
            this.bulk = bulk;
            this.key = key;
            this.in = in;
        }

        /** Sends the next slice; returns whether there is more to send. */
        boolean sendNext() throws IOException {
            if (left.isEmpty()) {
                return false;
            }
            if (closing || superseded || clock.millis() > request.expires().toEpochMilli()) {
                log.info("share: stopped sending {} to {} for {} ({})", path, peer, request.id(),
                        closing ? "the back is stopping" : superseded ? "the front asked again" : "the request expired");
                return false;
            }
            long[] range = left.peekFirst();
            int firstPiece = (int) Math.min(FIRST_CHUNK, config.chunkSize().bytes());
            long length = Math.min(range[1] - range[0], bulk != null ? bulkSlice() : first ? firstPiece : config.chunkSize().bytes());
            if (bulk != null) {
                if (!sendBulk(range[0], length)) {
                    return false;
                }
            } else {
                sendChunkOf(range[0], length);
            }
            if (!sameFile()) { // changed while it was read: what went out may mix old and new bytes
                answerError(peer, request, 409, "Conflict", ShareProtocol.CHANGED);
                changed.run();
                return false;
            }
            first = false;
            sent += length;
            metrics.add("hoft_back_share_bytes_total", length);
            range[0] += length;
            if (range[0] == range[1]) {
                left.pollFirst();
            }
            return !left.isEmpty();
        }

        /** How long to wait before the next slice so the upload keeps to {@code uploadRate} (0 without one). */
        long pauseMs() {
            if (config.uploadRate() == null) {
                return 0;
            }
            return Math.max(0, sent * 1000 / config.uploadRate().bytes() - (clock.millis() - startedMs));
        }

        private boolean sameFile() throws IOException {
            BasicFileAttributes now = Files.readAttributes(file, BasicFileAttributes.class);
            return now.size() == size && now.lastModifiedTime().toMillis() == modifiedMs;
        }

        /** One PUT of sealed records; false when the front no longer wants them. A few tries, then the front asks again. */
        private boolean sendBulk(long offset, long length) throws IOException {
            long encoded = ShareBulk.encodedLength(length, ShareBulk.RECORD);
            for (int attempt = 1; ; attempt++) {
                HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(
                        () -> ShareBulk.encoder(in, offset, length, ShareBulk.RECORD, key, request.id().value())), encoded);
                int status;
                try {
                    status = bulk.putShare(request.id().value(), body);
                } catch (IOException e) {
                    status = -1;
                    log.debug("share: a bulk upload of {} for {} failed: {}", path, request.id(), e.toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
                if (status == 204 || status == 200) {
                    return true;
                }
                if (status == 404) {
                    log.info("share: the front no longer waits for {} ({}): stopped", request.id(), path);
                    return false;
                }
                if (attempt >= BULK_ATTEMPTS || closing || superseded) {
                    log.info("share: bulk upload of {} for {} answered {}; giving up (the front asks again for what it misses)",
                            path, request.id(), status);
                    return false;
                }
                try {
                    Thread.sleep(250L << attempt);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
            }
        }

        private void sendChunkOf(long offset, long length) throws IOException {
            Path slice = bodies.newPath();
            try {
                copy(in, offset, length, slice);
                acquire(window, request);
                sendChunk(peer, request, slice, offset, length, size, modifiedMs, window);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(slice);
                throw e;
            }
        }

        void close() {
            try {
                in.close();
            } catch (IOException e) {
                // read-only
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
        pacer.shutdownNow();
        workers.shutdownNow();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        running.values().forEach(Upload::close);
    }
}
