package io.hoft.front.share;

import io.hoft.link.dialout.DialoutServerLink;
import io.hoft.share.CatalogUpdate;
import io.hoft.share.ShareBulk;
import io.hoft.share.ShareProtocol;
import io.hoft.transport.agent.Agent;
import io.hoft.transport.agent.AgentRunner;
import io.hoft.transport.agent.Threads;
import io.hoft.transport.channel.ReceivedMessage;
import io.hoft.transport.channel.Transport;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.NodeStore;
import io.hoft.transport.store.StoreTx;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;

/**
 * The front's side of the file share (SPEC section 20): keeps the peers' catalogs, serves
 * {@code /_hoft/files} and {@code /_hoft/files/{path}}, gets files over the channel into a
 * bounded cache. Who may call it is the front's decision ({@link #anonymous}); this class
 * serves whoever it is handed.
 */
public final class FrontShare implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FrontShare.class);
    private static final int MAX_BULK_UPLOADS = 64;
    /** The path prefix this serves. */
    public static final String PREFIX = ShareHandler.PREFIX;

    private final ShareSettings settings;
    private final Transport transport;
    private final FrontCatalog catalog;
    private final ShareCache cache;
    private final ShareClient client;
    private final ShareMetrics metrics = new ShareMetrics();
    private final ShareHandler handler;
    /** Bulk uploads being read: a thread each, since the body is read blocking; bounded, more get 503. */
    private final ThreadPoolExecutor bulkReaders = new ThreadPoolExecutor(0, MAX_BULK_UPLOADS, 30, TimeUnit.SECONDS,
            new SynchronousQueue<>(), Threads.named("hoft-share-bulk"));
    private volatile DialoutServerLink bulkLink;
    private volatile AgentRunner sweeper;

    public FrontShare(ShareSettings settings, Path state, NodeStore store, Transport transport, Clock clock) throws IOException {
        this.settings = settings;
        this.transport = transport;
        this.cache = new ShareCache(settings.cacheDirIn(state), settings.cacheSize().bytes());
        this.catalog = new FrontCatalog(cache.dir());
        catalog.load();
        ShareClient.Sender sender = (peer, message) -> store.inTransaction(tx -> {
            transport.send(tx, peer, message);
            return null;
        });
        this.client = new ShareClient(settings, cache, sender, clock,
                peer -> bulkLink != null && transport.link(peer).orElse(null) == bulkLink);
        this.handler = new ShareHandler(catalog, cache, client, metrics);
    }

    /** Whether a path is the share's. */
    public static boolean serves(String requestUri) {
        return requestUri.equals(PREFIX) || requestUri.startsWith(PREFIX + "/");
    }

    /** True when callers need no credential for the share even with front.auth on. */
    public boolean anonymous() {
        return settings.anonymous();
    }

    /** Asks every peer for a full catalog and starts the stall sweeper; call after the channel started. */
    public void start() {
        for (NodeId peer : transport.peers()) {
            client.askForCatalog(peer);
        }
        sweeper = AgentRunner.start(new Sweeper(), Clock.systemUTC());
    }

    /** The stall sweeper's duty cycle ({@code hoft-share-sweeper}): {@link ShareClient#sweep} once a second. */
    private final class Sweeper implements Agent {
        private static final long PERIOD_MS = 1000;
        private long dueMs = -1;

        @Override
        public long doWork(long nowMs) {
            if (dueMs < 0) {
                dueMs = nowMs + PERIOD_MS; // the first sweep a period after the start
            } else if (nowMs >= dueMs) {
                client.sweep();
                dueMs = nowMs + PERIOD_MS;
            }
            return dueMs;
        }

        @Override
        public String roleName() {
            return "hoft-share-sweeper";
        }
    }

    /**
     * Takes file bytes from peers that dial in over {@code link} as bulk uploads (SPEC section
     * 20.5): file requests to those peers carry a bulk key from now on.
     */
    public void takeBulkUploads(DialoutServerLink link) {
        link.onShare(this::bulk);
        bulkLink = link;
    }

    /** {@code PUT /_hoft/link/share/{request id}} from an authenticated peer, on the IO thread before the body is read. */
    private void bulk(NodeId peer, HttpServerExchange exchange) {
        String id = exchange.getRequestURI().substring(DialoutServerLink.SHARE.length());
        if (!Methods.PUT.equals(exchange.getRequestMethod())) {
            exchange.getResponseHeaders().put(Headers.ALLOW, "PUT");
            DialoutServerLink.refuse(exchange, 405, "bulk uploads are PUTs");
            return;
        }
        if (!MessageId.isValid(id) || !client.wantsBulk(peer, MessageId.of(id))) {
            DialoutServerLink.refuse(exchange, 404, "no transfer waits for " + id);
            return;
        }
        try {
            exchange.dispatch(bulkReaders, () -> {
                exchange.startBlocking();
                try {
                    client.onBulk(peer, MessageId.of(id), exchange.getInputStream());
                    exchange.setStatusCode(204);
                    exchange.endExchange();
                } catch (ShareBulk.BadRecordException e) {
                    log.warn("share: refused a bulk upload from {} for {}: {}", peer, id, e.getMessage());
                    DialoutServerLink.refuse(exchange, 400, e.getMessage());
                } catch (IOException e) {
                    log.debug("share: a bulk upload from {} for {} broke off: {}", peer, id, e.toString());
                    IoUtils.safeClose(exchange.getConnection());
                }
            });
        } catch (RejectedExecutionException e) {
            DialoutServerLink.refuse(exchange, 503, "too many bulk uploads at once");
        }
    }

    /** Whether a message from a peer is the share's (a catalog, or a chunk of a file). */
    public static boolean owns(Message message) {
        return ShareProtocol.isShareRequest(message) || ShareProtocol.isShareChunk(message);
    }

    /** A share message arrived, in the delivery transaction. */
    public void onMessage(StoreTx tx, NodeId peer, ReceivedMessage received) throws IOException {
        Message message = received.message();
        if (ShareProtocol.isShareChunk(message)) {
            try {
                client.onChunk(tx, peer, message);
            } catch (RuntimeException e) {
                // a malformed chunk must not fail the delivery (the channel would offer it again and again)
                log.warn("share: ignoring a malformed chunk from {}: {}", peer, e.toString());
            }
            return;
        }
        Envelope.Request request = (Envelope.Request) message.envelope();
        if (!request.method().equals("PUT") || !request.target().equals(ShareProtocol.CATALOG_TARGET)) {
            log.warn("share: ignoring {} {} from {}: a front takes only catalogs", request.method(), request.target(), peer);
            return;
        }
        CatalogUpdate update;
        try (InputStream in = message.body().open()) {
            update = CatalogUpdate.decode(in.readAllBytes());
        } catch (IllegalArgumentException e) {
            log.warn("share: ignoring a malformed catalog from {}: {}", peer, e.getMessage());
            return;
        }
        if (catalog.apply(peer.value(), update)) {
            log.debug("share: catalog of {} at rev {} ({} files in all)", peer, update.rev(), catalog.size());
        }
    }

    /** A published file as the dashboard lists it. */
    public record Published(String peer, String path, long size, long modifiedMs) {}

    /** The first {@code limit} published files by path. */
    public List<Published> catalog(int limit) {
        return catalog.list().stream().limit(limit)
                .map(item -> new Published(item.peer(), item.entry().path(), item.entry().size(), item.entry().modifiedMs()))
                .toList();
    }

    /** How many files the peers publish. */
    public int catalogSize() {
        return catalog.size();
    }

    public void handle(HttpServerExchange exchange) throws IOException {
        handler.handle(exchange);
    }

    /** {@code hoft_front_share_*} counters and gauges. */
    public Map<String, Long> metrics() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("hoft_front_share_transfers_total", client.transfers.get());
        m.put("hoft_front_share_transfer_failures_total", client.failures.get());
        m.put("hoft_front_share_transfers_running", (long) client.running());
        m.put("hoft_front_share_received_bytes_total", client.bytesReceived.get());
        m.put("hoft_front_share_first_byte_ms_sum", client.firstByteNanosTotal.get() / 1_000_000);
        m.put("hoft_front_share_first_byte_ms_count", client.firstByteCount.get());
        m.put("hoft_front_share_asked_again_total", client.resumes.get());
        m.put("hoft_front_share_cache_hits_total", metrics.cacheHits.get());
        m.put("hoft_front_share_cache_misses_total", metrics.cacheMisses.get());
        m.put("hoft_front_share_refused_total", metrics.refused.get());
        m.put("hoft_front_share_cache_bytes", cache.bytes());
        m.put("hoft_front_share_cache_files", (long) cache.entries());
        m.put("hoft_front_share_catalog_files", (long) catalog.size());
        return m;
    }

    @Override
    public void close() {
        AgentRunner runner = sweeper;
        if (runner != null) {
            runner.close(Duration.ofSeconds(5));
        }
        bulkReaders.shutdownNow();
        client.close();
    }
}
