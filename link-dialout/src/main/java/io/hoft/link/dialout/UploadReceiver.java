package io.hoft.link.dialout;

import io.hoft.transport.fs.OwnerOnly;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.Link.IncomingSink;
import io.hoft.transport.spool.SpoolFileName;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dialed end's uploads from a dialing peer (SPEC.md sections 19.3 and 19.5): {@code POST}
 * (multipart) or {@code PUT} of a whole file, {@code HEAD} for how many bytes of an interrupted
 * one are held, and {@code PUT} with {@code Content-Range} for the rest of it.
 *
 * <p>Guarantees: a file is answered 201 only once it is whole, forced, renamed into {@code in/}
 * and handed to the channel, so a 201 means it is durable here; an upload over
 * {@code maxUploadBytes}, or a resume whose head does not fit, is refused before a byte of its
 * body is read and changes nothing; a resumed upload appends only to the partial file held under
 * the same validator with exactly the bytes before its first one, one upload per name at a time;
 * at most {@value #MAX_PARTIAL_UPLOADS} partial uploads are kept per peer.
 */
final class UploadReceiver {
    private static final Logger log = LoggerFactory.getLogger(UploadReceiver.class);
    /** The validator of a resumable upload, chosen by the uploading node (SPEC.md section 19.5). */
    static final HttpString UPLOAD_TAG = new HttpString("Hoft-Upload-Tag");
    /** How many bytes of an upload this node holds (as in the IETF resumable uploads draft). */
    static final HttpString UPLOAD_OFFSET = new HttpString("Upload-Offset");
    /** Partial uploads kept per peer; starting one more drops the oldest. */
    static final int MAX_PARTIAL_UPLOADS = 16;

    private final SpoolFolder inbox;
    private final PartialFiles partials;
    private final long maxUploadBytes;
    private final Supplier<IncomingSink> sink;
    private final Consumer<NodeId> heard;
    private final AtomicLong bytesReceived = new AtomicLong();

    /**
     * @param sink the channel's sink, null before the link started
     * @param heard told of each stored upload: the peer was heard from
     */
    UploadReceiver(SpoolFolder inbox, PartialFiles partials, long maxUploadBytes, Supplier<IncomingSink> sink,
            Consumer<NodeId> heard) {
        this.inbox = inbox;
        this.partials = partials;
        this.maxUploadBytes = maxUploadBytes;
        this.sink = sink;
        this.heard = heard;
    }

    long bytesReceived() {
        return bytesReceived.get();
    }

    boolean uploading(SpoolFileName name) {
        return partials.claimed(name);
    }

    /** A {@code PUT} or {@code POST} of {@code name} from {@code peer}, on the IO thread, before its body is read. */
    void handle(HttpServerExchange exchange, NodeId peer, SpoolFileName name) {
        long declared = exchange.getRequestContentLength();
        if (declared > maxUploadBytes) {
            DialoutServerLink.refuse(exchange, 413, "larger than " + maxUploadBytes + " bytes");
            return;
        }
        String contentRange = exchange.getRequestHeaders().getFirst(Headers.CONTENT_RANGE);
        if (contentRange != null) {
            ResumedUpload resumed = ResumedUpload.check(exchange, contentRange, declared, maxUploadBytes);
            if (resumed.refusal() != null) {
                DialoutServerLink.refuse(exchange, resumed.status(), resumed.refusal());
                return;
            }
            exchange.dispatch(() -> resumedUpload(exchange, peer, name, resumed));
            return;
        }
        exchange.dispatch(() -> upload(exchange, peer, name));
    }

    /** {@code HEAD} of a file from the peer: how many bytes of it, under its validator, are held to continue from. */
    void uploadOffset(HttpServerExchange exchange, SpoolFileName name) {
        String tag = exchange.getRequestHeaders().getFirst(UPLOAD_TAG);
        if (tag == null || !PartialFiles.TAG.matcher(tag).matches()) {
            DialoutServerLink.refuse(exchange, 400, "an offset query needs " + UPLOAD_TAG + " (16 to 64 lowercase hex digits)");
            return;
        }
        long held = partials.find(name).filter(p -> p.tag().equals(tag)).map(PartialFiles.Partial::held).orElse(0L);
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(UPLOAD_OFFSET, held);
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
        exchange.endExchange();
    }

    private void upload(HttpServerExchange exchange, NodeId peer, SpoolFileName name) {
        exchange.setMaxEntitySize(maxUploadBytes);
        exchange.startBlocking();
        Path temp = inbox.newTemp(name);
        try {
            String type = exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE);
            String boundary = MultipartFileReader.boundary(type);
            if (type != null && type.toLowerCase(Locale.ROOT).startsWith("multipart/") && boundary == null) {
                inbox.deleteQuietly(temp);
                DialoutServerLink.refuse(exchange, 400, "a multipart upload needs multipart/form-data with a boundary");
                return;
            }
            try (InputStream in = exchange.getInputStream();
                    OutputStream out = new BufferedOutputStream(OwnerOnly.newOutputStream(temp), 256 * 1024)) {
                if (boundary != null) {
                    bytesReceived.addAndGet(MultipartFileReader.copyFile(in, boundary, out, maxUploadBytes));
                } else {
                    bytesReceived.addAndGet(in.transferTo(out));
                }
            }
            inbox.publish(temp, name);
        } catch (IOException | RuntimeException e) {
            inbox.deleteQuietly(temp);
            log.info("upload of {} from {} failed: {}", name, peer, e.toString());
            if (!exchange.isResponseStarted()) {
                DialoutServerLink.refuse(exchange, 400, "upload failed: " + e.getMessage());
            }
            return;
        }
        stored(exchange, peer, name);
    }

    /** The upload is whole under its name in the inbox: the channel gets it, then the peer hears 201. */
    private void stored(HttpServerExchange exchange, NodeId peer, SpoolFileName name) {
        heard.accept(peer);
        // Handed over before the 201, so whoever sees the 201 can count on the channel having it.
        IncomingSink current = sink.get();
        if (current != null) {
            current.offer(inbox.incoming(name));
        }
        exchange.setStatusCode(201);
        exchange.endExchange();
    }

    /**
     * {@code PUT} with {@code Content-Range: bytes FIRST-(LENGTH-1)/LENGTH}: the rest of a file
     * from byte FIRST, appended to the partial file this node holds of it, which must hold
     * exactly FIRST bytes under the same validator (FIRST = 0 starts it anew). Whatever arrives
     * stays, so a cut upload continues from there; once the partial file holds LENGTH bytes it
     * is forced and renamed into the inbox, and only then answered 201.
     */
    private void resumedUpload(HttpServerExchange exchange, NodeId peer, SpoolFileName name, ResumedUpload upload) {
        if (!partials.claim(name)) {
            exchange.getResponseHeaders().put(Headers.RETRY_AFTER, "1");
            DialoutServerLink.refuse(exchange, 409, "another upload of this file is running");
            return;
        }
        long size;
        Path path;
        try {
            Optional<PartialFiles.Partial> partial = partials.find(name)
                    .filter(p -> p.tag().equals(upload.tag()) && p.length() == upload.length());
            long held = partial.map(PartialFiles.Partial::held).orElse(0L);
            if (upload.first() == 0) {
                partials.evictOldest(other -> other.sender().equals(peer) && !other.equals(name), MAX_PARTIAL_UPLOADS - 1);
                path = partials.create(name, upload.length(), upload.tag());
            } else if (partial.isPresent() && held == upload.first()) {
                path = partial.get().path();
            } else {
                exchange.getResponseHeaders().put(UPLOAD_OFFSET, held);
                DialoutServerLink.refuse(exchange, 416, "this node holds " + held + " bytes of that file under that tag, not "
                        + upload.first());
                return;
            }
            exchange.setMaxEntitySize(maxUploadBytes);
            exchange.startBlocking();
            size = appendBody(exchange, path, upload.length());
            if (size != upload.length()) {
                exchange.getResponseHeaders().put(UPLOAD_OFFSET, size);
                DialoutServerLink.refuse(exchange, 400, "the body ended at byte " + size + " of " + upload.length());
                return;
            }
            inbox.publish(path, name);
        } catch (IOException | RuntimeException e) {
            log.info("upload of {} from {} stopped: {}; what arrived is kept to continue from", name, peer, e.toString());
            if (!exchange.isResponseStarted()) {
                DialoutServerLink.refuse(exchange, 400, "upload failed: " + e.getMessage());
            }
            return;
        } finally {
            partials.release(name);
        }
        stored(exchange, peer, name);
    }

    /** Appends the request body to {@code path}, forcing it once it holds {@code length} bytes; returns its size. */
    private long appendBody(HttpServerExchange exchange, Path path, long length) throws IOException {
        try (InputStream in = exchange.getInputStream();
                FileChannel out = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            // Reads come in the server's small buffers; the file is written in large ones.
            byte[] buffer = new byte[256 * 1024];
            int filled = 0;
            try {
                int n;
                while ((n = in.read(buffer, filled, buffer.length - filled)) != -1) {
                    filled += n;
                    if (filled == buffer.length) {
                        append(out, buffer, filled);
                        filled = 0;
                    }
                }
            } finally {
                append(out, buffer, filled); // what arrived before a broken connection stays too
            }
            long size = out.size();
            if (size == length) {
                out.force(true);
            }
            return size;
        }
    }

    private void append(FileChannel out, byte[] buffer, int length) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, length);
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
        bytesReceived.addAndGet(length);
    }

    /** A resumed upload's head, checked before a byte of its body is read: a refusal, or what to append. */
    private record ResumedUpload(long first, long length, String tag, int status, String refusal) {
        static ResumedUpload check(HttpServerExchange exchange, String contentRange, long declared, long maxUploadBytes) {
            if (!Methods.PUT.equals(exchange.getRequestMethod())) {
                return refused(400, "Content-Range goes with PUT only");
            }
            ByteRanges.Span span = ByteRanges.contentRange(contentRange);
            if (span == null || span.last() != span.length() - 1) {
                return refused(416, "Content-Range must be bytes FIRST-LAST/LENGTH with LAST = LENGTH - 1");
            }
            if (span.length() > maxUploadBytes) {
                return refused(413, "larger than " + maxUploadBytes + " bytes");
            }
            String tag = exchange.getRequestHeaders().getFirst(UPLOAD_TAG);
            if (tag == null || !PartialFiles.TAG.matcher(tag).matches()) {
                return refused(400, "a resumable upload needs " + UPLOAD_TAG + " (16 to 64 lowercase hex digits)");
            }
            if (declared != span.length() - span.first()) {
                return refused(400, "Content-Length must be the length of the Content-Range");
            }
            return new ResumedUpload(span.first(), span.length(), tag, 0, null);
        }

        private static ResumedUpload refused(int status, String reason) {
            return new ResumedUpload(0, 0, null, status, reason);
        }
    }
}
