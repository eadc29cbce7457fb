package io.hoft.link.dialout;

import io.hoft.transport.agent.AgentRunner;
import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.Link;
import io.hoft.transport.spool.SpoolFileName;
import io.undertow.Handlers;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import io.undertow.websockets.WebSocketConnectionCallback;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.spi.WebSocketHttpExchange;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 *
 * <p>The jobs are classes of their own: {@link ControlSessions} (the control connections and
 * their heartbeat), {@link HeldFileServer} (fetches) and {@link UploadReceiver} (uploads). This
 * class checks each request's token and name and routes it.
 */
public final class DialoutServerLink implements Link {
    private static final Logger log = LoggerFactory.getLogger(DialoutServerLink.class);
    public static final String PATH = "/_hoft/link";
    public static final String FILES = PATH + "/files/";
    /** Bulk uploads of the file share (SPEC section 20.5), handed to {@link #onShare}'s handler once the token verified. */
    public static final String SHARE = PATH + "/share/";
    private static final AttachmentKey<NodeId> PEER = AttachmentKey.create(NodeId.class);

    private final NodeId self;
    private final Keyring keyring;
    private final Set<NodeId> allowed;
    private final Clock clock;
    private final SpoolFolder held;
    private final SpoolFolder inbox;
    private final PartialFiles partials;
    private final HttpHandler websocket;
    private final ControlSessions sessions;
    private final HeldFileServer fetches;
    private final UploadReceiver uploads;
    private final AtomicLong refused = new AtomicLong();
    private volatile IncomingSink sink;
    private volatile AgentRunner heartbeat;
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
        this.clock = Objects.requireNonNull(clock, "clock");
        Path tmp = dir.resolve("tmp");
        this.held = new SpoolFolder(dir.resolve("held"), tmp, Disk.REAL);
        this.inbox = new SpoolFolder(dir.resolve("in"), tmp, Disk.REAL);
        this.partials = new PartialFiles(dir.resolve("partial"));
        this.sessions = new ControlSessions(self, this.allowed, Objects.requireNonNull(heartbeat, "heartbeat"), held, clock);
        this.fetches = new HeldFileServer(held);
        this.uploads = new UploadReceiver(inbox, partials, maxUploadBytes, () -> sink, sessions::heard);
        this.websocket = Handlers.websocket(new WebSocketConnectionCallback() {
            @Override
            public void onConnect(WebSocketHttpExchange exchange, WebSocketChannel channel) {
                sessions.connected(exchange.getAttachment(PEER), channel);
            }
        });
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
        sessions.announce(name);
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
        if (!closed) {
            // scheduling runs on real time, whatever the link's clock
            heartbeat = AgentRunner.start(sessions, Clock.systemUTC());
        }
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
        inbox.offerAll(self, current);
    }

    @Override
    public synchronized void close() {
        closed = true;
        AgentRunner runner = heartbeat;
        if (runner != null) {
            runner.close();
        }
        sessions.closeAll();
    }

    // ---------------------------------------------------------------- state, for health

    /** One dialing peer as the front sees it. */
    public record Connection(NodeId peer, boolean connected, long sinceMs, String remote, long lastHeardMs, long connections,
            int heldFiles) {}

    /** Every allowed peer's connection state. */
    public List<Connection> connections() {
        return sessions.connections();
    }

    /** How many requests were refused for their credentials or names. */
    public long refused() {
        return refused.get();
    }

    /** File bytes this node sent in answers to fetches (each answer counted whole when it starts). */
    public long fileBytesSent() {
        return fetches.bytesSent();
    }

    /** File bytes this node read from uploads, resumed ones included. */
    public long fileBytesReceived() {
        return uploads.bytesReceived();
    }

    /** True while an upload of {@code name} is appending to its partial file (tests). */
    boolean uploading(SpoolFileName name) {
        return uploads.uploading(name);
    }

    /** Drops the control connection of {@code peer} at once, as a network fault would (tests, operations). */
    public void disconnect(NodeId peer) {
        sessions.disconnect(peer);
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
            exchange.dispatch(() -> uploads.uploadOffset(exchange, name.get()));
        } else if (Methods.GET.equals(exchange.getRequestMethod()) || Methods.HEAD.equals(exchange.getRequestMethod())) {
            if (!name.get().recipient().equals(peer) || !name.get().sender().equals(self)) {
                refuse(exchange, 403, "not a file from " + self + " to " + peer);
                return;
            }
            exchange.dispatch(() -> fetches.serve(exchange, name.get()));
        } else if (Methods.PUT.equals(exchange.getRequestMethod()) || Methods.POST.equals(exchange.getRequestMethod())) {
            if (!name.get().sender().equals(peer) || !name.get().recipient().equals(self)) {
                refuse(exchange, 403, "not a file from " + peer + " to " + self);
                return;
            }
            uploads.handle(exchange, peer, name.get());
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
}
