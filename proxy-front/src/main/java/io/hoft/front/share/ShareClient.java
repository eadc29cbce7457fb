package io.hoft.front.share;

import io.hoft.transport.channel.ChannelFullException;
import io.hoft.transport.channel.Transport;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.share.CatalogEntry;
import io.hoft.transport.share.SharePath;
import io.hoft.transport.share.ShareProtocol;
import io.hoft.transport.store.NodeStore;
import io.hoft.transport.store.StoreTx;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets files from the peers, one transfer per file however many want it at once
 * (single-flight by cache key): the first requester sends the file request, everyone follows
 * the same {@link Transfer}. Chunks arrive through {@link #onChunk} in the channel's delivery
 * transaction; a complete file is checked against the catalog's SHA-256 (when it has one) and
 * moved into the {@link ShareCache}. A transfer that makes no progress for
 * {@code stallTimeout} fails; the next requester starts a new one.
 */
final class ShareClient {
    private static final Logger log = LoggerFactory.getLogger(ShareClient.class);

    private final ShareSettings settings;
    private final ShareCache cache;
    private final NodeStore store;
    private final Transport transport;
    private final Clock clock;
    private final Map<String, Transfer> byKey = new ConcurrentHashMap<>();
    private final Map<MessageId, Transfer> byRequest = new ConcurrentHashMap<>();
    final AtomicLong transfers = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final AtomicLong bytesReceived = new AtomicLong();
    final AtomicLong firstByteNanosTotal = new AtomicLong();
    final AtomicLong firstByteCount = new AtomicLong();

    ShareClient(ShareSettings settings, ShareCache cache, NodeStore store, Transport transport, Clock clock) {
        this.settings = settings;
        this.cache = cache;
        this.store = store;
        this.transport = transport;
        this.clock = clock;
    }

    /**
     * The transfer of {@code item}: the one under way, or a new one (whose request is sent now);
     * null when the file reached the cache meanwhile.
     */
    Transfer obtain(FrontCatalog.Item item) throws IOException, ChannelFullException {
        String key = ShareCache.key(item.peer(), item.entry());
        synchronized (byKey) {
            Transfer running = byKey.get(key);
            if (running != null) {
                return running;
            }
            if (cache.get(key).isPresent()) {
                return null;
            }
            CatalogEntry entry = item.entry();
            Instant now = clock.instant();
            Message request = new Message(MessageId.generate(clock), now, now.plus(settings.transferTtl()),
                    new Envelope.Request("GET", ShareProtocol.FILES_PREFIX + SharePath.encode(entry.path()), ShareProtocol.UPSTREAM,
                            List.of(new HeaderField(ShareProtocol.SIZE, Long.toString(entry.size())),
                                    new HeaderField(ShareProtocol.MODIFIED, Long.toString(entry.modifiedMs())))),
                    Body.EMPTY);
            Transfer transfer = new Transfer(key, item, request.id(), cache.newPart(key), clock.millis());
            byKey.put(key, transfer);
            byRequest.put(request.id(), transfer);
            try {
                store.inTransaction(tx -> {
                    transport.send(tx, NodeId.of(item.peer()), request);
                    return null;
                });
            } catch (RuntimeException e) {
                end(transfer, new Transfer.Failure(503, "share-unavailable", "the file request cannot be sent: " + e.getMessage()));
                if (e.getCause() instanceof ChannelFullException full) {
                    throw full;
                }
                throw e;
            }
            transfers.incrementAndGet();
            log.info("share: asked {} for {} ({} bytes) as {}", item.peer(), entry.path(), entry.size(), request.id());
            return transfer;
        }
    }

    /** Asks {@code peer} for a full catalog (at start: what changed while this front was down). */
    void askForCatalog(NodeId peer) {
        Instant now = clock.instant();
        Message request = new Message(MessageId.generate(clock), now, now.plus(settings.transferTtl()),
                new Envelope.Request("GET", ShareProtocol.CATALOG_TARGET, ShareProtocol.UPSTREAM, List.of()), Body.EMPTY);
        try {
            store.inTransaction(tx -> {
                transport.send(tx, peer, request);
                return null;
            });
        } catch (RuntimeException e) {
            log.warn("share: cannot ask {} for its catalog: {}", peer, e.toString());
        }
    }

    /** A chunk (or the error that ends a transfer) arrived, in the delivery transaction. */
    void onChunk(StoreTx tx, NodeId peer, Message message) throws IOException {
        Envelope.Response response = (Envelope.Response) message.envelope();
        Transfer transfer = byRequest.get(response.requestId());
        if (transfer == null || transfer.ended()) {
            log.debug("share: a chunk for {} that no transfer waits for", response.requestId());
            return;
        }
        if (!transfer.item.peer().equals(peer.value())) {
            log.warn("share: {} sent a chunk for a request sent to {}; ignored", peer, transfer.item.peer());
            return;
        }
        if (response.error() != null || response.status() >= 300) {
            int status = switch (response.error() == null ? "" : response.error()) {
                case ShareProtocol.NOT_FOUND -> 404;
                case ShareProtocol.REFUSED -> 403;
                case ShareProtocol.CHANGED -> 503;
                default -> 502;
            };
            end(transfer, new Transfer.Failure(status, response.error() == null ? "share-failed" : response.error(),
                    "the back answered " + response.status() + " " + response.reason()));
            return;
        }
        long size = number(response, ShareProtocol.SIZE);
        long modified = number(response, ShareProtocol.MODIFIED);
        CatalogEntry entry = transfer.item.entry();
        if (size != entry.size() || modified != entry.modifiedMs()) {
            end(transfer, new Transfer.Failure(503, ShareProtocol.CHANGED, "the file changed on the back"));
            return;
        }
        boolean whole;
        if (size == 0) {
            whole = true;
        } else {
            long[] range;
            try {
                range = ShareProtocol.contentRange(ShareProtocol.header(response.headers(), ShareProtocol.CONTENT_RANGE).orElse(""));
            } catch (IllegalArgumentException e) {
                end(transfer, new Transfer.Failure(502, "share-failed", "a chunk from the back is malformed: " + e.getMessage()));
                return;
            }
            long length = range[1] - range[0] + 1;
            if (range[2] != size || message.body().length() != length) {
                end(transfer, new Transfer.Failure(502, "share-failed", "a chunk's length disagrees with its Content-Range"));
                return;
            }
            try (InputStream in = message.body().open()) {
                whole = transfer.write(range[0], length, in, clock.millis());
            } catch (IOException e) {
                end(transfer, new Transfer.Failure(502, "share-failed", "writing a chunk failed: " + e.getMessage()));
                return;
            }
            bytesReceived.addAndGet(length);
            if (range[0] == 0) {
                firstByteNanosTotal.addAndGet(System.nanoTime() - transfer.startedNs);
                firstByteCount.incrementAndGet();
            }
        }
        if (whole) {
            tx.afterCommit(() -> finish(transfer));
        }
    }

    private static long number(Envelope.Response response, String header) {
        String value = ShareProtocol.header(response.headers(), header).orElse("");
        return value.matches("\\d{1,18}") ? Long.parseLong(value) : -1;
    }

    private void finish(Transfer transfer) {
        CatalogEntry entry = transfer.item.entry();
        try {
            if (entry.sha256() != null) {
                String actual = CatalogEntry.sha256Of(transfer.path());
                if (!actual.equals(entry.sha256())) {
                    end(transfer, new Transfer.Failure(502, "share-failed", "the file's SHA-256 is not the catalog's"));
                    Files.deleteIfExists(transfer.path());
                    return;
                }
            }
            synchronized (byKey) { // so a requester finds the file in the cache or the transfer, never neither
                synchronized (transfer) {
                    transfer.complete(cache.commit(transfer.key, transfer.path(), entry.size()));
                }
                byKey.remove(transfer.key, transfer);
                byRequest.remove(transfer.requestId, transfer);
            }
            log.info("share: {} is here ({} bytes in {} ms)", entry.path(), entry.size(),
                    (System.nanoTime() - transfer.startedNs) / 1_000_000);
        } catch (IOException | RuntimeException e) {
            end(transfer, new Transfer.Failure(500, "share-failed", "keeping the file failed: " + e));
        }
    }

    private void end(Transfer transfer, Transfer.Failure failure) {
        transfer.fail(failure);
        byKey.remove(transfer.key, transfer);
        byRequest.remove(transfer.requestId, transfer);
        if (!transfer.path().getFileName().toString().endsWith(".data")) {
            try {
                Files.deleteIfExists(transfer.path());
            } catch (IOException e) {
                log.debug("share: cannot remove {}: {}", transfer.path(), e.toString());
            }
        }
        failures.incrementAndGet();
        log.warn("share: download of {} failed: {} ({})", transfer.item.entry().path(), failure.error(), failure.message());
    }

    /** Fails transfers that made no progress for {@code stallTimeout}. */
    void sweep() {
        long nowMs = clock.millis();
        for (Transfer transfer : byKey.values()) {
            if (!transfer.ended() && nowMs - transfer.lastProgressMs() > settings.stallTimeout().toMillis()) {
                end(transfer, new Transfer.Failure(504, "share-stalled", "no byte of the file arrived for " + settings.stallTimeout()));
            }
        }
    }

    int running() {
        return byKey.size();
    }

    Optional<Transfer> running(String key) {
        return Optional.ofNullable(byKey.get(key));
    }

    void close() {
        for (Transfer transfer : byKey.values()) {
            transfer.fail(new Transfer.Failure(503, "share-unavailable", "the front is stopping"));
        }
    }
}
