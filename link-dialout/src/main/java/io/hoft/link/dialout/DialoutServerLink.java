package io.hoft.link.dialout;

import io.hoft.transport.fs.Disk;
import io.hoft.transport.fs.NotRegularFileException;
import io.hoft.transport.fs.OwnerOnly;
import io.hoft.transport.fs.RegularFile;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.Link;
import io.hoft.transport.spool.SpoolFileName;
import io.undertow.Handlers;
import io.undertow.io.IoCallback;
import io.undertow.io.Sender;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import io.undertow.websockets.WebSocketConnectionCallback;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import io.undertow.websockets.spi.WebSocketHttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;

/**
 * The front's end of the dial-out link (SPEC.md section 19): it never connects anywhere; the
 * nodes allowed to dial in connect to it on the front's own HTTP listener.
 *
 * <ul>
 *   <li>{@code GET /_hoft/link} (WebSocket): the control connection of one dialing node;
 *   <li>{@code GET /_hoft/link/files/{name}}: a file this node holds for the dialing node;
 *   <li>{@code POST} (multipart, part {@code file}) or {@code PUT} (raw body)
 *       {@code /_hoft/link/files/{name}}: a file from the dialing node;
 *   <li>{@code PUT /_hoft/link/share/{request id}}: bytes of a shared file, handed to the
 *       handler of {@link #onShare} (SPEC section 20.5).
 * </ul>
 *
 * Every request carries the dialing node's {@link LinkToken} in {@code Authorization: Bearer};
 * a request without a valid one gets 401 and its connection is closed before a byte of its
 * body is read, and a name that is not a spool file from that node to this one gets 403 the
 * same way.
 *
 * <p>Files to a peer are held in {@code held/} (a hard link to the channel's stored copy) and
 * announced over the peer's control connection, at once if it is connected and again on every
 * (re)connection, until the peer says it has stored one ({@code fetched}) or the channel
 * retracts it (acknowledged). Incoming files are written to a temporary file, forced, renamed
 * into {@code in/} and only then acknowledged with 201, so a 201 means the file is durable here.
 *
 * <p>Interrupted transfers resume (SPEC.md section 19.5): a fetch answers a {@code Range} that
 * runs to the end with 206 when its {@code If-Range} is the file's strong {@code ETag}; a
 * {@code HEAD} of a file from the peer tells how many bytes of it ({@code Upload-Offset}) this node
 * holds in {@code partial/} under the peer's {@code Hoft-Upload-Tag}, and a {@code PUT} with
 * {@code Content-Range} appends the rest. A resume request that does not fit is refused before
 * a byte of its body is read and changes nothing.
 */
public final class DialoutServerLink implements Link {
    private static final Logger log = LoggerFactory.getLogger(DialoutServerLink.class);
    public static final String PATH = "/_hoft/link";
    public static final String FILES = PATH + "/files/";
    /** Bulk uploads of the file share (SPEC section 20.5), handed to {@link #onShare}'s handler once the token verified. */
    public static final String SHARE = PATH + "/share/";
    private static final AttachmentKey<NodeId> PEER = AttachmentKey.create(NodeId.class);
    /** The validator of a resumable upload, chosen by the uploading node (SPEC.md section 19.5). */
    static final HttpString UPLOAD_TAG = new HttpString("Hoft-Upload-Tag");
    /** How many bytes of an upload this node holds (as in the IETF resumable uploads draft). */
    static final HttpString UPLOAD_OFFSET = new HttpString("Upload-Offset");
    /** Partial uploads kept per peer; starting one more drops the oldest. */
    static final int MAX_PARTIAL_UPLOADS = 16;

    private final NodeId self;
    private final Keyring keyring;
    private final Set<NodeId> allowed;
    private final Duration heartbeat;
    private final long maxUploadBytes;
    private final Clock clock;
    private final SpoolFolder held;
    private final SpoolFolder inbox;
    private final Path tmp;
    private final PartialFiles partials;
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();
    private final HttpHandler websocket;
    private final Map<NodeId, Session> sessions = new ConcurrentHashMap<>();
    private final Map<NodeId, PeerStats> stats = new ConcurrentHashMap<>();
    private final AtomicLong refused = new AtomicLong();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hoft-dialout-server");
        t.setDaemon(true);
        return t;
    });
    private volatile IncomingSink sink;
    private volatile boolean closed;
    private volatile PeerHandler share;

    /** Handles a request of an authenticated peer, on the IO thread, before its body is read. */
    @FunctionalInterface
    public interface PeerHandler {
        void handle(NodeId peer, HttpServerExchange exchange) throws Exception;
    }

    /**
     * @param dir a folder of the node's own (its state), for held, incoming and temporary files
     * @param allowed the peers that may dial in
     * @param heartbeat how often an idle control connection is pinged; three silent intervals end it
     */
    public DialoutServerLink(NodeId self, Keyring keyring, Set<NodeId> allowed, Path dir, Duration heartbeat,
            long maxUploadBytes, Clock clock) throws IOException {
        this.self = Objects.requireNonNull(self, "self");
        this.keyring = Objects.requireNonNull(keyring, "keyring");
        this.allowed = Set.copyOf(allowed);
        this.heartbeat = Objects.requireNonNull(heartbeat, "heartbeat");
        this.maxUploadBytes = maxUploadBytes;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.tmp = dir.resolve("tmp");
        this.held = new SpoolFolder(dir.resolve("held"), tmp, Disk.REAL);
        this.inbox = new SpoolFolder(dir.resolve("in"), tmp, Disk.REAL);
        this.partials = new PartialFiles(dir.resolve("partial"));
        this.websocket = Handlers.websocket(new WebSocketConnectionCallback() {
            @Override
            public void onConnect(WebSocketHttpExchange exchange, WebSocketChannel channel) {
                connected(exchange.getAttachment(PEER), channel);
            }
        });
        allowed.forEach(peer -> stats.put(peer, new PeerStats()));
    }

    /** True if {@code exchange} is for this link (the front mounts it before anything else). */
    public static boolean handles(HttpServerExchange exchange) {
        String uri = exchange.getRequestURI();
        return !exchange.isHostIncludedInRequestURI() && (uri.equals(PATH) || uri.startsWith(FILES) || uri.startsWith(SHARE));
    }

    /** Where bulk uploads of the file share go; without one they are answered 404. */
    public void onShare(PeerHandler handler) {
        this.share = handler;
    }

    /** The handler for the link's endpoints; call it on the IO thread, before the request is read. */
    public HttpHandler handler() {
        return this::handle;
    }

    // ---------------------------------------------------------------- Link

    @Override
    public void send(Path file, SpoolFileName name) throws IOException {
        held.put(file, name);
        Session session = sessions.get(name.recipient());
        if (session != null) {
            long size = held.size(name).orElse(-1L);
            if (size >= 0) {
                session.send(ControlMessage.available(name, size));
            }
        }
    }

    @Override
    public void retract(SpoolFileName name) throws IOException {
        held.remove(name);
    }

    @Override
    public synchronized void start(NodeId self, IncomingSink sink) {
        if (this.sink != null) {
            throw new IllegalStateException("already started");
        }
        this.sink = sink;
        long periodMs = Math.max(50, Math.min(1000, heartbeat.toMillis() / 4));
        timer.scheduleWithFixedDelay(this::checkSessions, periodMs, periodMs, TimeUnit.MILLISECONDS);
        rescan();
    }

    @Override
    public int removeStaleTemporaryFiles() {
        return held.removeStaleTemps() + inbox.removeStaleTemps() + partials.removeStale(clock.instant());
    }

    @Override
    public void rescan() {
        IncomingSink current = sink;
        if (current == null) {
            return;
        }
        for (SpoolFileName name : inbox.list()) {
            if (name.recipient().equals(self)) {
                current.offer(inbox.incoming(name));
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        for (Session session : sessions.values()) {
            IoUtils.safeClose(session.channel);
        }
        sessions.clear();
    }

    // ---------------------------------------------------------------- state, for health

    /** One dialing peer as the front sees it. */
    public record Connection(NodeId peer, boolean connected, long sinceMs, String remote, long lastHeardMs, long connections,
            int heldFiles) {}

    /** Every allowed peer's connection state. */
    public List<Connection> connections() {
        Map<NodeId, Integer> heldByPeer = new TreeMap<>((a, b) -> a.value().compareTo(b.value()));
        for (SpoolFileName name : held.list()) {
            heldByPeer.merge(name.recipient(), 1, Integer::sum);
        }
        List<Connection> result = new ArrayList<>();
        for (NodeId peer : allowed) {
            Session session = sessions.get(peer);
            PeerStats s = stats.get(peer);
            result.add(new Connection(peer, session != null, s.sinceMs, session == null ? null : session.remote,
                    session == null ? s.lastHeardMs : session.lastHeardMs, s.connections, heldByPeer.getOrDefault(peer, 0)));
        }
        result.sort((a, b) -> a.peer().value().compareTo(b.peer().value()));
        return result;
    }

    /** How many requests were refused for their credentials or names. */
    public long refused() {
        return refused.get();
    }

    /** File bytes this node sent in answers to fetches (each answer counted whole when it starts). */
    public long fileBytesSent() {
        return bytesSent.get();
    }

    /** File bytes this node read from uploads, resumed ones included. */
    public long fileBytesReceived() {
        return bytesReceived.get();
    }

    /** True while an upload of {@code name} is appending to its partial file (tests). */
    boolean uploading(SpoolFileName name) {
        return partials.claimed(name);
    }

    /** Drops the control connection of {@code peer} at once, as a network fault would (tests, operations). */
    public void disconnect(NodeId peer) {
        Session session = sessions.get(peer);
        if (session != null) {
            IoUtils.safeClose(session.channel);
        }
    }

    // ---------------------------------------------------------------- HTTP

    private void handle(HttpServerExchange exchange) throws Exception {
        if (closed) {
            refuse(exchange, 503, "the link is closing");
            return;
        }
        NodeId peer;
        try {
            peer = LinkToken.verify(bearer(exchange), keyring, self, allowed, clock.instant());
        } catch (LinkAuthException e) {
            refused.incrementAndGet();
            log.warn("refused a dial-out request from {} to {}: {}", exchange.getSourceAddress(), exchange.getRequestURI(),
                    e.getMessage());
            exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer realm=\"hoft-link\", error=\"invalid_token\"");
            refuse(exchange, 401, e.reason());
            return;
        }
        String uri = exchange.getRequestURI();
        if (uri.equals(PATH)) {
            if (!Methods.GET.equals(exchange.getRequestMethod())) {
                refuse(exchange, 405, "the control connection is a WebSocket upgrade (GET)");
                return;
            }
            exchange.putAttachment(PEER, peer);
            websocket.handleRequest(exchange);
            return;
        }
        if (uri.startsWith(SHARE)) {
            PeerHandler handler = share;
            if (handler == null) {
                refuse(exchange, 404, "this node takes no bulk uploads");
            } else {
                handler.handle(peer, exchange);
            }
            return;
        }
        Optional<SpoolFileName> name = SpoolFileName.parse(uri.substring(FILES.length()));
        if (name.isEmpty()) {
            refuse(exchange, 404, "not a spool file name");
            return;
        }
        boolean upward = name.get().sender().equals(peer) && name.get().recipient().equals(self);
        if (Methods.HEAD.equals(exchange.getRequestMethod()) && upward) {
            exchange.dispatch(() -> uploadOffset(exchange, name.get()));
        } else if (Methods.GET.equals(exchange.getRequestMethod()) || Methods.HEAD.equals(exchange.getRequestMethod())) {
            if (!name.get().recipient().equals(peer) || !name.get().sender().equals(self)) {
                refuse(exchange, 403, "not a file from " + self + " to " + peer);
                return;
            }
            exchange.dispatch(() -> download(exchange, name.get()));
        } else if (Methods.PUT.equals(exchange.getRequestMethod()) || Methods.POST.equals(exchange.getRequestMethod())) {
            if (!name.get().sender().equals(peer) || !name.get().recipient().equals(self)) {
                refuse(exchange, 403, "not a file from " + peer + " to " + self);
                return;
            }
            long declared = exchange.getRequestContentLength();
            if (declared > maxUploadBytes) {
                refuse(exchange, 413, "larger than " + maxUploadBytes + " bytes");
                return;
            }
            String contentRange = exchange.getRequestHeaders().getFirst(Headers.CONTENT_RANGE);
            if (contentRange != null) {
                ResumedUpload resumed = ResumedUpload.check(exchange, contentRange, declared, maxUploadBytes);
                if (resumed.refusal() != null) {
                    refuse(exchange, resumed.status(), resumed.refusal());
                    return;
                }
                exchange.dispatch(() -> resumedUpload(exchange, peer, name.get(), resumed));
                return;
            }
            exchange.dispatch(() -> upload(exchange, peer, name.get()));
        } else {
            exchange.getResponseHeaders().put(Headers.ALLOW, "GET, HEAD, PUT, POST");
            refuse(exchange, 405, "method not allowed");
        }
    }

    private static String bearer(HttpServerExchange exchange) {
        String value = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
        if (value == null || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return value.substring(7).trim();
    }

    /** Answers without reading the request body, and closes the connection so the body is never read. */
    public static void refuse(HttpServerExchange exchange, int status, String reason) {
        exchange.setStatusCode(status);
        exchange.setPersistent(false);
        exchange.getResponseHeaders().put(Headers.CONNECTION, "close");
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; charset=utf-8");
        exchange.getResponseSender().send(reason + "\n");
    }

    private void download(HttpServerExchange exchange, SpoolFileName name) {
        Path path = held.path(name);
        FileChannel channel;
        long size;
        String tag;
        try {
            // The validator is the file's identity before and after opening it: if the name was
            // given to another file meanwhile, this answer has none, and no range is served.
            String before = PartialFiles.tagOf(path);
            channel = RegularFile.openForReading(path);
            size = channel.size();
            tag = before.equals(PartialFiles.tagOf(path)) ? before : null;
        } catch (NoSuchFileException | NotRegularFileException e) {
            refuse(exchange, 404, "not held (acknowledged, or never sent)");
            return;
        } catch (IOException e) {
            refuse(exchange, 500, "cannot read the file");
            return;
        }
        if (tag != null) {
            exchange.getResponseHeaders().put(Headers.ETAG, "\"" + tag + "\"");
            exchange.getResponseHeaders().put(Headers.ACCEPT_RANGES, "bytes");
        }
        long from = 0;
        boolean ranged = false;
        String range = exchange.getRequestHeaders().getFirst(Headers.RANGE);
        String ifRange = exchange.getRequestHeaders().getFirst(Headers.IF_RANGE);
        if (range != null && tag != null && Methods.GET.equals(exchange.getRequestMethod())
                && (ifRange == null || ifRange.equals("\"" + tag + "\""))) {
            OptionalLong start = ByteRanges.startToEnd(range, size);
            if (start == null) {
                // not a byte range: ignored, as RFC 9110 section 14.2 allows
            } else if (start.isEmpty()) {
                IoUtils.safeClose(channel);
                exchange.getResponseHeaders().put(Headers.CONTENT_RANGE, "bytes */" + size);
                refuse(exchange, 416, "served: one range from a first byte below " + size + " to the end of the file");
                return;
            } else {
                from = start.getAsLong();
                ranged = true;
            }
        }
        exchange.setStatusCode(ranged ? 206 : 200);
        if (ranged) {
            exchange.getResponseHeaders().put(Headers.CONTENT_RANGE, "bytes " + from + "-" + (size - 1) + "/" + size);
        }
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/octet-stream");
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, size - from);
        if (Methods.HEAD.equals(exchange.getRequestMethod())) {
            IoUtils.safeClose(channel);
            exchange.endExchange();
            return;
        }
        try {
            channel.position(from); // the sender sends from the channel's position to its end
        } catch (IOException e) {
            IoUtils.safeClose(channel);
            refuse(exchange, 500, "cannot read the file");
            return;
        }
        bytesSent.addAndGet(size - from);
        exchange.getResponseSender().transferFrom(channel, new IoCallback() {
            @Override
            public void onComplete(HttpServerExchange ex, Sender sender) {
                IoUtils.safeClose(channel);
                IoCallback.END_EXCHANGE.onComplete(ex, sender);
            }

            @Override
            public void onException(HttpServerExchange ex, Sender sender, IOException exception) {
                IoUtils.safeClose(channel);
                log.debug("sending {} failed: {}", name, exception.toString());
                IoCallback.END_EXCHANGE.onException(ex, sender, exception);
            }
        });
    }

    private void upload(HttpServerExchange exchange, NodeId peer, SpoolFileName name) {
        exchange.setMaxEntitySize(maxUploadBytes);
        exchange.startBlocking();
        Path temp = inbox.newTemp(name);
        try {
            String type = exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE);
            String boundary = MultipartFileReader.boundary(type);
            if (type != null && type.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/") && boundary == null) {
                inbox.deleteQuietly(temp);
                refuse(exchange, 400, "a multipart upload needs multipart/form-data with a boundary");
                return;
            }
            try (InputStream in = exchange.getInputStream();
                    java.io.OutputStream out = new java.io.BufferedOutputStream(OwnerOnly.newOutputStream(temp), 256 * 1024)) {
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
                refuse(exchange, 400, "upload failed: " + e.getMessage());
            }
            return;
        }
        stored(exchange, peer, name);
    }

    /** The upload is whole under its name in the inbox: the channel gets it, then the peer hears 201. */
    private void stored(HttpServerExchange exchange, NodeId peer, SpoolFileName name) {
        markHeard(peer);
        // Handed over before the 201, so whoever sees the 201 can count on the channel having it.
        IncomingSink current = sink;
        if (current != null) {
            current.offer(inbox.incoming(name));
        }
        exchange.setStatusCode(201);
        exchange.endExchange();
    }

    /** {@code HEAD} of a file from the peer: how many bytes of it, under its validator, are held to continue from. */
    private void uploadOffset(HttpServerExchange exchange, SpoolFileName name) {
        String tag = exchange.getRequestHeaders().getFirst(UPLOAD_TAG);
        if (tag == null || !PartialFiles.TAG.matcher(tag).matches()) {
            refuse(exchange, 400, "an offset query needs " + UPLOAD_TAG + " (16 to 64 lowercase hex digits)");
            return;
        }
        long held = partials.find(name).filter(p -> p.tag().equals(tag)).map(PartialFiles.Partial::held).orElse(0L);
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(UPLOAD_OFFSET, held);
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
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
            refuse(exchange, 409, "another upload of this file is running");
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
                refuse(exchange, 416, "this node holds " + held + " bytes of that file under that tag, not " + upload.first());
                return;
            }
            exchange.setMaxEntitySize(maxUploadBytes);
            exchange.startBlocking();
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
                size = out.size();
                if (size == upload.length()) {
                    out.force(true);
                }
            }
            if (size != upload.length()) {
                exchange.getResponseHeaders().put(UPLOAD_OFFSET, size);
                refuse(exchange, 400, "the body ended at byte " + size + " of " + upload.length());
                return;
            }
            inbox.publish(path, name);
        } catch (IOException | RuntimeException e) {
            log.info("upload of {} from {} stopped: {}; what arrived is kept to continue from", name, peer, e.toString());
            if (!exchange.isResponseStarted()) {
                refuse(exchange, 400, "upload failed: " + e.getMessage());
            }
            return;
        } finally {
            partials.release(name);
        }
        stored(exchange, peer, name);
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

    // ---------------------------------------------------------------- control connections

    private void connected(NodeId peer, WebSocketChannel channel) {
        Session session = new Session(peer, channel, clock.millis());
        Session previous = sessions.put(peer, session);
        if (previous != null) {
            log.info("{} connected again; closing its previous control connection", peer);
            IoUtils.safeClose(previous.channel);
        }
        PeerStats s = stats.get(peer);
        s.sinceMs = session.lastHeardMs;
        s.connections++;
        log.info("{} dialed in from {}", peer, session.remote);
        channel.getReceiveSetter().set(new AbstractReceiveListener() {
            @Override
            protected void onFullTextMessage(WebSocketChannel ch, BufferedTextMessage message) {
                received(session, message.getData());
            }

            @Override
            protected void onFullBinaryMessage(WebSocketChannel ch, io.undertow.websockets.core.BufferedBinaryMessage message) {
                message.getData().close();
                log.warn("closing {}'s control connection: a binary message", peer);
                IoUtils.safeClose(ch);
            }
        });
        channel.addCloseTask(ch -> {
            if (sessions.remove(peer, session)) {
                PeerStats st = stats.get(peer);
                st.sinceMs = clock.millis();
                st.lastHeardMs = session.lastHeardMs;
                log.info("{}'s control connection closed", peer);
            }
        });
        channel.resumeReceives();
        session.send(ControlMessage.welcome(self.value(), heartbeat.toMillis()));
        announceAll(session);
    }

    private void received(Session session, String text) {
        session.lastHeardMs = clock.millis();
        ControlMessage message;
        try {
            message = ControlMessage.decode(text);
        } catch (IllegalArgumentException e) {
            log.warn("closing {}'s control connection: {}", session.peer, e.getMessage());
            IoUtils.safeClose(session.channel);
            return;
        }
        switch (message.type()) {
            case ControlMessage.HELLO -> {
                if (!message.node().equals(session.peer.value()) || message.version() != ControlMessage.VERSION) {
                    log.warn("closing {}'s control connection: hello names {} version {}", session.peer, message.node(),
                            message.version());
                    IoUtils.safeClose(session.channel);
                }
            }
            case ControlMessage.FETCHED -> {
                SpoolFileName name = message.spoolName().orElseThrow();
                if (name.recipient().equals(session.peer) && name.sender().equals(self)) {
                    try {
                        held.remove(name);
                    } catch (IOException e) {
                        log.warn("cannot drop held {}: {}", name, e.toString());
                    }
                }
            }
            case ControlMessage.LIST -> announceAll(session);
            case ControlMessage.PING -> session.send(ControlMessage.pong(message.at() == null ? 0 : message.at()));
            default -> {
                // pong: heard is enough; catalog and unknown types: nothing for the link to do
            }
        }
    }

    private void announceAll(Session session) {
        for (SpoolFileName name : held.list()) {
            if (name.recipient().equals(session.peer)) {
                held.size(name).ifPresent(size -> session.send(ControlMessage.available(name, size)));
            }
        }
    }

    private void markHeard(NodeId peer) {
        Session session = sessions.get(peer);
        if (session != null) {
            session.lastHeardMs = clock.millis();
        }
    }

    private void checkSessions() {
        long nowMs = clock.millis();
        for (Session session : sessions.values()) {
            if (nowMs - session.lastHeardMs > 3 * heartbeat.toMillis()) {
                log.warn("{}'s control connection is silent for {} ms; closing it", session.peer, nowMs - session.lastHeardMs);
                IoUtils.safeClose(session.channel);
            } else if (nowMs - session.lastSentMs >= heartbeat.toMillis()) {
                session.send(ControlMessage.ping(nowMs));
            }
        }
    }

    private static final class PeerStats {
        volatile long sinceMs;
        volatile long lastHeardMs;
        volatile long connections;
    }

    private final class Session {
        final NodeId peer;
        final WebSocketChannel channel;
        final String remote;
        volatile long lastHeardMs;
        volatile long lastSentMs;

        Session(NodeId peer, WebSocketChannel channel, long nowMs) {
            this.peer = peer;
            this.channel = channel;
            SocketAddress address = channel.getSourceAddress();
            this.remote = address == null ? null : address.toString();
            this.lastHeardMs = nowMs;
            this.lastSentMs = nowMs;
        }

        void send(ControlMessage message) {
            lastSentMs = clock.millis();
            WebSockets.sendText(message.encode(), channel, null);
        }
    }
}
