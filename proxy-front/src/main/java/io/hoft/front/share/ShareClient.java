package io.hoft.front.share;

import io.hoft.share.CatalogEntry;
import io.hoft.share.ShareBulk;
import io.hoft.share.SharePath;
import io.hoft.share.ShareProtocol;
import io.hoft.transport.channel.ChannelFullException;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.StoreTx;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets files from the peers, one transfer per file however many want it at once
 * (single-flight by cache key): the first requester sends the file request (asking for the
 * bytes it wants first), everyone follows the same {@link Transfer}. Bytes arrive as bulk
 * uploads through {@link #onBulk} (a dial-out peer) or as chunks through {@link #onChunk} in
 * the channel's delivery transaction; a complete file is checked against the catalog's
 * SHA-256 (when it has one) and moved into the {@link ShareCache}. A transfer that makes no
 * progress for {@code resumeAfter} asks again for what is missing; one that makes none for
 * {@code stallTimeout} fails, and the next requester starts a new one.
 */
final class ShareClient {
    private static final Logger log = LoggerFactory.getLogger(ShareClient.class);

    private final ShareSettings settings;
    private final ShareCache cache;
    private final Sender sender;
    private final Clock clock;
    private final Map<String, Transfer> byKey = new ConcurrentHashMap<>();
    private final Map<MessageId, Transfer> byRequest = new ConcurrentHashMap<>();
    final AtomicLong transfers = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final AtomicLong bytesReceived = new AtomicLong();
    final AtomicLong firstByteNanosTotal = new AtomicLong();
    final AtomicLong firstByteCount = new AtomicLong();
    final AtomicLong resumes = new AtomicLong();
    private final Predicate<NodeId> takesBulk;

    /** Hands a message for a peer to the channel, in a transaction of its own. */
    @FunctionalInterface
    interface Sender {
        void send(NodeId peer, Message message);
    }

    /** @param takesBulk whether a peer can send file bytes as bulk uploads (its link is a dial-out link to this node) */
    ShareClient(ShareSettings settings, ShareCache cache, Sender sender, Clock clock, Predicate<NodeId> takesBulk) {
        this.settings = settings;
        this.cache = cache;
        this.sender = sender;
        this.clock = clock;
        this.takesBulk = takesBulk;
    }

    /**
     * The transfer of {@code item}: the one under way, or a new one (whose request is sent now,
     * asking for the bytes from {@code from} on first); null when the file reached the cache meanwhile.
     */
    Transfer obtain(FrontCatalog.Item item, long from) throws IOException, ChannelFullException {
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
            MessageId id = MessageId.generate(clock);
            Transfer transfer = new Transfer(key, item, id, from, cache.newPart(key), clock.millis());
            byKey.put(key, transfer);
            try {
                ask(transfer, id, transfer.missing(ShareProtocol.MAX_RANGES));
            } catch (RuntimeException e) {
                end(transfer, new Transfer.Failure(503, "share-unavailable", "the file request cannot be sent: " + e.getMessage()));
                if (e.getCause() instanceof ChannelFullException full) {
                    throw full;
                }
                throw e;
            }
            transfers.incrementAndGet();
            log.info("share: asked {} for {} ({} bytes, from {}) as {}", item.peer(), entry.path(), entry.size(), from, id);
            return transfer;
        }
    }

    /**
     * Sends a file request for {@code ranges} of the transfer (all of them in the first request;
     * what is missing when asking again), with a fresh bulk key when the peer's link takes bulk
     * uploads, and the transfer's first id when asking again.
     */
    private void ask(Transfer transfer, MessageId id, List<long[]> ranges) {
        CatalogEntry entry = transfer.item.entry();
        NodeId peer = NodeId.of(transfer.item.peer());
        List<HeaderField> headers = new ArrayList<>(List.of(new HeaderField(ShareProtocol.SIZE, Long.toString(entry.size())),
                new HeaderField(ShareProtocol.MODIFIED, Long.toString(entry.modifiedMs()))));
        boolean whole = ranges.size() == 1 && ranges.get(0)[0] == 0 && ranges.get(0)[1] == entry.size();
        if (!ranges.isEmpty() && !whole) {
            headers.add(new HeaderField(ShareProtocol.RANGES, ShareProtocol.formatRanges(ranges)));
        }
        byte[] key = takesBulk.test(peer) ? ShareBulk.newKey() : null;
        if (key != null) {
            headers.add(new HeaderField(ShareProtocol.BULK_KEY, ShareBulk.encodeKey(key)));
        }
        if (!id.equals(transfer.requestId)) {
            headers.add(new HeaderField(ShareProtocol.TRANSFER, transfer.requestId.value()));
        }
        Instant now = clock.instant();
        Message request = new Message(id, now, now.plus(settings.transferTtl()),
                new Envelope.Request("GET", ShareProtocol.FILES_PREFIX + SharePath.encode(entry.path()), ShareProtocol.UPSTREAM,
                        headers),
                Body.EMPTY);
        transfer.requested(id, key, clock.millis());
        byRequest.put(id, transfer);
        sender.send(peer, request);
    }

    /** Asks {@code peer} for a full catalog (at start: what changed while this front was down). */
    void askForCatalog(NodeId peer) {
        Instant now = clock.instant();
        Message request = new Message(MessageId.generate(clock), now, now.plus(settings.transferTtl()),
                new Envelope.Request("GET", ShareProtocol.CATALOG_TARGET, ShareProtocol.UPSTREAM, List.of()), Body.EMPTY);
        try {
            sender.send(peer, request);
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
            boolean firstBytes = transfer.firstByteNs() == 0;
            try (InputStream in = message.body().open()) {
                whole = transfer.write(range[0], length, in, clock.millis());
            } catch (IOException e) {
                end(transfer, new Transfer.Failure(502, "share-failed", "writing a chunk failed: " + e.getMessage()));
                return;
            }
            bytesReceived.addAndGet(length);
            if (firstBytes) {
                firstByteNanosTotal.addAndGet(System.nanoTime() - transfer.startedNs);
                firstByteCount.incrementAndGet();
            }
        }
        if (whole && transfer.claimFinish()) {
            tx.afterCommit(() -> finish(transfer));
        }
    }

    /**
     * Whether a bulk upload to {@code requestId} from {@code peer} is wanted: its transfer is
     * running and the request had a bulk key. Called before a byte of the body is read.
     */
    boolean wantsBulk(NodeId peer, MessageId requestId) {
        Transfer transfer = byRequest.get(requestId);
        return transfer != null && !transfer.ended() && transfer.item.peer().equals(peer.value())
                && transfer.bulkKey(requestId) != null;
    }

    /**
     * Takes a bulk upload's records (SPEC section 20.5) into the transfer of {@code requestId}:
     * each slice counts once its tag verified. Throws {@link ShareBulk.BadRecordException} at a
     * forged or malformed record, IOException when the body broke off (what arrived still counts).
     */
    void onBulk(NodeId peer, MessageId requestId, InputStream body) throws IOException {
        Transfer transfer = byRequest.get(requestId);
        if (transfer == null || !transfer.item.peer().equals(peer.value()) || transfer.bulkKey(requestId) == null) {
            throw new IOException("no transfer waits for " + requestId);
        }
        boolean[] whole = {false};
        ShareBulk.decode(body, transfer.bulkKey(requestId), requestId.value(), transfer.size, (offset, bytes) -> {
            boolean firstBytes = transfer.firstByteNs() == 0;
            int length = bytes.remaining();
            whole[0] |= transfer.write(offset, bytes, clock.millis());
            bytesReceived.addAndGet(length);
            if (firstBytes) {
                firstByteNanosTotal.addAndGet(System.nanoTime() - transfer.startedNs);
                firstByteCount.incrementAndGet();
            }
        });
        if (whole[0] && transfer.claimFinish()) {
            finish(transfer);
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
                byRequest.values().removeIf(t -> t == transfer);
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
        byRequest.values().removeIf(t -> t == transfer);
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

    /**
     * Fails transfers that made no progress for {@code stallTimeout}; asks again for what is
     * missing of those that made none for {@code resumeAfter} (a back that restarted, or an
     * upload that gave up), backing off while nothing comes.
     */
    void sweep() {
        long nowMs = clock.millis();
        for (Transfer transfer : byKey.values()) {
            if (transfer.ended()) {
                continue;
            }
            if (nowMs - transfer.lastProgressMs() > settings.stallTimeout().toMillis()) {
                end(transfer, new Transfer.Failure(504, "share-stalled", "no byte of the file arrived for " + settings.stallTimeout()));
            } else if (transfer.shouldAskAgain(nowMs, askAgainAfterMs(transfer))) {
                List<long[]> missing = transfer.missing(ShareProtocol.MAX_RANGES);
                if (missing.isEmpty()) {
                    continue;
                }
                MessageId id = MessageId.generate(clock);
                try {
                    ask(transfer, id, missing);
                    resumes.incrementAndGet();
                    log.info("share: nothing of {} arrived for a while; asked {} again for {} as {}", transfer.item.entry().path(),
                            transfer.item.peer(), ShareProtocol.formatRanges(missing), id);
                } catch (RuntimeException e) {
                    byRequest.remove(id);
                    log.warn("share: cannot ask {} again for {}: {}", transfer.item.peer(), transfer.item.entry().path(), e.toString());
                }
            }
        }
    }

    /**
     * {@code resumeAfter} for bulk uploads, which nothing keeps once sent; half of
     * {@code stallTimeout} for chunks, which the channel delivers once sent, however slow the
     * link (asking again early would only send them twice).
     */
    private long askAgainAfterMs(Transfer transfer) {
        long resume = settings.resumeAfter().toMillis();
        return transfer.takesBulk() ? resume : Math.max(resume, settings.stallTimeout().toMillis() / 2);
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
