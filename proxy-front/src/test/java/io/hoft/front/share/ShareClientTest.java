package io.hoft.front.share;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.share.CatalogEntry;
import io.hoft.share.CatalogUpdate;
import io.hoft.share.ShareBulk;
import io.hoft.share.ShareProtocol;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.Message;
import io.undertow.Undertow;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The front's share client against a back played by the test: it reads the file requests the
 * client sends and answers with bulk records (the real codec) of exactly the bytes it chooses,
 * so what the front does while the back holds the rest is seen without any timing.
 */
class ShareClientTest {
    private static final NodeId BACK = NodeId.of("back");
    private static final int SIZE = 3 * ShareBulk.MAX_RECORD + 1234;

    @TempDir
    Path dir;

    private final BlockingQueue<Message> sent = new LinkedBlockingQueue<>();
    private final AtomicLong nowMs = new AtomicLong(1_800_000_000_000L);
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(nowMs.get());
        }
    };
    private Undertow server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    private record Setup(FrontCatalog catalog, ShareCache cache, ShareClient client, Path published, FrontCatalog.Item item) {}

    private Setup setup() throws IOException {
        return setup(true);
    }

    private Setup setup(boolean bulk) throws IOException {
        byte[] bytes = new byte[SIZE];
        new SplittableRandom(7).nextBytes(bytes);
        Path published = Files.write(dir.resolve("published.bin"), bytes);
        ShareCache cache = new ShareCache(dir.resolve("cache"), 1L << 30);
        FrontCatalog catalog = new FrontCatalog(cache.dir());
        CatalogEntry entry = new CatalogEntry("docs/big.bin", SIZE, 1000, CatalogEntry.sha256Of(published));
        catalog.apply(BACK.value(), CatalogUpdate.full(1, List.of(entry)));
        ShareClient client = new ShareClient(ShareSettings.DEFAULTS, cache, (peer, message) -> sent.add(message), clock, peer -> bulk);
        return new Setup(catalog, cache, client, published, catalog.find("docs/big.bin").orElseThrow());
    }

    /** What the back does: seals {@code [first, end)} of the file for {@code request} and hands it to the front. */
    private static void answer(Setup s, Message request, long first, long end) throws IOException {
        Envelope.Request envelope = (Envelope.Request) request.envelope();
        byte[] key = ShareBulk.decodeKey(ShareProtocol.header(envelope.headers(), ShareProtocol.BULK_KEY).orElseThrow());
        try (FileChannel in = FileChannel.open(s.published);
                InputStream records = ShareBulk.encoder(in, first, end - first, ShareBulk.RECORD, key, request.id().value())) {
            s.client.onBulk(BACK, request.id(), new ByteArrayInputStream(records.readAllBytes()));
        }
    }

    /** Moves the clock on by {@code ms} and sweeps; returns the file request that sent, if any. */
    private Message sweepAfter(Setup s, long ms) {
        nowMs.addAndGet(ms);
        s.client.sweep();
        return sent.poll();
    }

    private static String header(Message request, String name) {
        return ShareProtocol.header(((Envelope.Request) request.envelope()).headers(), name).orElse(null);
    }

    @Test
    void aRangeOfAnUncachedFileIsAnsweredFromItsOwnBytesWhileTheBackHoldsTheRest() throws Exception {
        Setup s = setup();
        ShareHandler handler = new ShareHandler(s.catalog, s.cache, s.client, new ShareMetrics());
        server = Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(exchange -> {
            if (exchange.isInIoThread()) {
                exchange.dispatch(() -> {
                    exchange.startBlocking();
                    try {
                        handler.handle(exchange);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
            }
        }).build();
        server.start();
        int port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
        long first = 2L * ShareBulk.MAX_RECORD + 10;
        CompletableFuture<HttpResponse<byte[]>> range = HttpClient.newHttpClient().sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/_hoft/files/docs/big.bin"))
                        .header("Range", "bytes=" + first + "-" + (first + 99)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofByteArray());

        Message request = sent.poll(60, TimeUnit.SECONDS);
        assertEquals(first + "-" + (SIZE - 1) + ",0-" + (first - 1), header(request, ShareProtocol.RANGES),
                "the caller's range first, then the rest after it, then what is before");
        answer(s, request, first, first + 1000); // the back sends one record of the range and holds the rest

        HttpResponse<byte[]> response = range.get(60, TimeUnit.SECONDS);
        assertEquals(206, response.statusCode());
        assertEquals("bytes " + first + "-" + (first + 99) + "/" + SIZE, response.headers().firstValue("Content-Range").orElse(""));
        byte[] file = Files.readAllBytes(s.published);
        assertArrayEquals(Arrays.copyOfRange(file, (int) first, (int) first + 100), response.body());
        assertEquals(1, s.client.running(), "the file is not whole yet");
        assertTrue(s.cache.get(ShareCache.key(BACK.value(), s.item.entry())).isEmpty());

        answer(s, request, first + 1000, SIZE);
        answer(s, request, 0, first);
        assertEquals(0, s.client.running());
        Optional<Path> cached = s.cache.get(ShareCache.key(BACK.value(), s.item.entry()));
        assertArrayEquals(file, Files.readAllBytes(cached.orElseThrow()), "whole, checked against the catalog's SHA-256, cached");
        assertEquals(1, s.client.transfers.get());
    }

    @Test
    void aStalledTransferAsksAgainForWhatIsMissingUnderItsFirstIdAndBacksOff() throws Exception {
        Setup s = setup();
        Transfer transfer = s.client.obtain(s.item, 0);
        assertSame(transfer, s.client.obtain(s.item, 0), "one transfer however many ask");
        Message first = sent.poll();
        assertNull(header(first, ShareProtocol.RANGES), "the whole file needs no ranges");
        assertNull(header(first, ShareProtocol.TRANSFER));
        answer(s, first, 0, ShareBulk.MAX_RECORD);

        assertNull(sweepAfter(s, 4_000), "not yet: resumeAfter is 5 s");
        Message again = sweepAfter(s, 2_000);
        assertEquals(ShareBulk.MAX_RECORD + "-" + (SIZE - 1), header(again, ShareProtocol.RANGES));
        assertEquals(first.id().value(), header(again, ShareProtocol.TRANSFER));
        assertNotEquals(header(first, ShareProtocol.BULK_KEY), header(again, ShareProtocol.BULK_KEY), "a fresh key per request");

        assertNull(sweepAfter(s, 6_000), "the second wait is twice as long");
        assertNotNull(sweepAfter(s, 5_000), "asked a third time");

        answer(s, first, ShareBulk.MAX_RECORD, 2L * ShareBulk.MAX_RECORD); // a late slice of the first request still counts
        answer(s, again, 2L * ShareBulk.MAX_RECORD, SIZE);
        assertEquals(0, s.client.running());
        assertTrue(s.cache.get(ShareCache.key(BACK.value(), s.item.entry())).isPresent());
        assertEquals(1, s.client.transfers.get());
        assertEquals(2, s.client.resumes.get());
    }

    @Test
    void aTransferOverChunkMessagesAsksAgainOnlyAfterHalfTheStallTimeout() throws Exception {
        Setup s = setup(false);
        s.client.obtain(s.item, 0);
        Message first = sent.poll();
        assertNull(header(first, ShareProtocol.BULK_KEY), "a peer that cannot send bulk uploads gets no key");
        assertNull(sweepAfter(s, 6_000), "chunks in the channel arrive however slow the link: no asking again after resumeAfter");
        Message again = sweepAfter(s, 145_000);
        assertEquals(first.id().value(), header(again, ShareProtocol.TRANSFER), "asked again after half of stallTimeout");
    }

    @Test
    void bulkRecordsForgedForATransferAreRefusedAndCountForNothing() throws Exception {
        Setup s = setup();
        s.client.obtain(s.item, 0);
        Message request = sent.poll();
        assertTrue(s.client.wantsBulk(BACK, request.id()));
        assertFalse(s.client.wantsBulk(NodeId.of("other"), request.id()), "only the peer asked");
        byte[] records;
        try (FileChannel in = FileChannel.open(s.published);
                InputStream encoder = ShareBulk.encoder(in, 0, 1000, ShareBulk.RECORD, ShareBulk.newKey(), request.id().value())) {
            records = encoder.readAllBytes();
        }
        org.junit.jupiter.api.Assertions.assertThrows(ShareBulk.BadRecordException.class,
                () -> s.client.onBulk(BACK, request.id(), new ByteArrayInputStream(records)));
        assertEquals(0, s.client.bytesReceived.get());
    }
}
