package io.hoft.front.share;

import io.hoft.transport.channel.ReceivedMessage;
import io.hoft.transport.channel.Transport;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.Message;
import io.hoft.transport.share.CatalogUpdate;
import io.hoft.transport.share.ShareProtocol;
import io.hoft.transport.store.NodeStore;
import io.hoft.transport.store.StoreTx;
import io.undertow.server.HttpServerExchange;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The front's side of the file share (SPEC section 20): keeps the peers' catalogs, serves
 * {@code /_hoft/files} and {@code /_hoft/files/{path}}, gets files over the channel into a
 * bounded cache. Who may call it is the front's decision ({@link #anonymous}); this class
 * serves whoever it is handed.
 */
public final class FrontShare implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FrontShare.class);
    /** The path prefix this serves. */
    public static final String PREFIX = ShareHandler.PREFIX;

    private final ShareSettings settings;
    private final Transport transport;
    private final FrontCatalog catalog;
    private final ShareCache cache;
    private final ShareClient client;
    private final ShareMetrics metrics = new ShareMetrics();
    private final ShareHandler handler;
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hoft-share-sweeper");
        t.setDaemon(true);
        return t;
    });

    public FrontShare(ShareSettings settings, Path state, NodeStore store, Transport transport, Clock clock) throws IOException {
        this.settings = settings;
        this.transport = transport;
        this.cache = new ShareCache(settings.cacheDirIn(state), settings.cacheSize().bytes());
        this.catalog = new FrontCatalog(cache.dir());
        catalog.load();
        this.client = new ShareClient(settings, cache, store, transport, clock);
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
        sweeper.scheduleWithFixedDelay(client::sweep, 1, 1, TimeUnit.SECONDS);
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
        sweeper.shutdownNow();
        client.close();
    }
}
