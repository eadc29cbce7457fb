package io.hoft.front.share;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.share.CatalogEntry;
import io.hoft.share.CatalogUpdate;
import io.hoft.transport.message.MessageId;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FrontShareUnitTest {
    @TempDir
    Path dir;

    static CatalogEntry entry(String path, long size) {
        return new CatalogEntry(path, size, 1000, null);
    }

    @Test
    void changesThatArriveBeforeTheirBaseWaitAndAnOlderFullCatalogIsIgnored() {
        FrontCatalog catalog = new FrontCatalog(dir);
        catalog.apply("back", CatalogUpdate.full(10, List.of(entry("d/a", 1), entry("d/b", 2))));
        CatalogUpdate second = new CatalogUpdate(12, 11L, List.of(entry("d/c", 3)), List.of("d/b"));
        CatalogUpdate first = new CatalogUpdate(11, 10L, List.of(entry("d/b", 20)), List.of());
        assertFalse(catalog.apply("back", second), "its base is not here yet");
        assertEquals(2, catalog.size());
        assertTrue(catalog.apply("back", first));
        assertEquals(List.of("d/a", "d/c"), catalog.list().stream().map(i -> i.entry().path()).toList());
        assertFalse(catalog.apply("back", CatalogUpdate.full(9, List.of())), "older than what is here");
        assertFalse(catalog.apply("back", first), "a change to an old revision");
        assertEquals(12, catalog.revisions().get("back"));

        FrontCatalog reloaded = new FrontCatalog(dir);
        reloaded.load();
        assertEquals(catalog.list(), reloaded.list(), "the catalog is kept on disk");
    }

    @Test
    void whenTwoPeersPublishOnePathTheFirstPeerByIdWins() {
        FrontCatalog catalog = new FrontCatalog(dir);
        catalog.apply("zeta", CatalogUpdate.full(1, List.of(entry("d/a", 1))));
        catalog.apply("alpha", CatalogUpdate.full(1, List.of(entry("d/a", 2))));
        assertEquals("alpha", catalog.find("d/a").orElseThrow().peer());
        assertEquals(1, catalog.list().size());
    }

    @Test
    void chunksWrittenInAnyOrderBecomeReadableAsTheirPrefixCloses() throws Exception {
        ShareCache cache = new ShareCache(dir.resolve("cache"), 1 << 20);
        FrontCatalog.Item item = new FrontCatalog.Item("back", entry("d/f", 10));
        Transfer transfer = new Transfer("k", item, MessageId.generate(Clock.systemUTC()), 0, cache.newPart("k"), 0);
        assertFalse(transfer.write(5, 5, new ByteArrayInputStream(new byte[] {5, 6, 7, 8, 9}), 1));
        assertEquals(0, available(transfer));
        assertFalse(transfer.write(0, 2, new ByteArrayInputStream(new byte[] {0, 1}), 2));
        assertEquals(2, transfer.awaitAvailable(0));
        assertTrue(transfer.write(2, 3, new ByteArrayInputStream(new byte[] {2, 3, 4}), 3));
        assertEquals(10, transfer.awaitAvailable(9));
        transfer.complete(cache.commit("k", transfer.path(), 10));
        assertArrayEquals(new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, Files.readAllBytes(transfer.path()));
        assertEquals(Optional.of(transfer.path()), cache.get("k"));

        Transfer failing = new Transfer("j", item, MessageId.generate(Clock.systemUTC()), 0, cache.newPart("j"), 0);
        failing.fail(new Transfer.Failure(504, "share-stalled", "no byte"));
        Transfer.TransferFailedException e = assertThrows(Transfer.TransferFailedException.class, () -> failing.awaitAvailable(0));
        assertEquals(504, e.failure.status());
    }

    private static long available(Transfer transfer) throws Exception {
        Thread waiter = new Thread(() -> {
            try {
                transfer.awaitAvailable(0);
            } catch (Exception e) {
                // interrupted below
            }
        });
        waiter.start();
        waiter.join(200);
        boolean waiting = waiter.isAlive();
        waiter.interrupt();
        return waiting ? 0 : 1;
    }

    @Test
    void theCacheDropsTheLeastRecentlyUsedAndRecoversOnOpen() throws Exception {
        Path cacheDir = dir.resolve("cache");
        ShareCache cache = new ShareCache(cacheDir, 25);
        for (String key : List.of("a", "b", "c")) {
            Path part = cache.newPart(key(key));
            Files.write(part, new byte[10]);
            cache.commit(key(key), part, 10);
            if (key.equals("b")) {
                cache.get(key("a")); // a used after b
            }
        }
        assertEquals(2, cache.entries());
        assertTrue(cache.get(key("b")).isEmpty(), "b was the least recently used");
        assertTrue(cache.get(key("a")).isPresent() && cache.get(key("c")).isPresent());
        Files.write(cache.newPart(key("d")), new byte[3]); // an interrupted download
        ShareCache reopened = new ShareCache(cacheDir, 25);
        assertEquals(2, reopened.entries());
        assertEquals(20, reopened.bytes());
        try (var files = Files.list(cacheDir)) {
            assertTrue(files.noneMatch(f -> f.toString().endsWith(".part")));
        }
    }

    private static String key(String name) {
        return ShareCache.key("back", entry("d/" + name, 10));
    }

    @Test
    void rangeHeadersParseAsRfc9110Says() {
        assertArrayEquals(new long[] {0, 9}, ShareHandler.parseRange("bytes=0-9", 100));
        assertArrayEquals(new long[] {90, 99}, ShareHandler.parseRange("bytes=-10", 100));
        assertArrayEquals(new long[] {0, 99}, ShareHandler.parseRange("bytes=-1000", 100));
        assertArrayEquals(new long[] {50, 99}, ShareHandler.parseRange("bytes=50-", 100));
        assertArrayEquals(new long[] {50, 99}, ShareHandler.parseRange("bytes=50-500", 100));
        assertEquals(0, ShareHandler.parseRange("bytes=100-", 100).length);
        assertEquals(0, ShareHandler.parseRange("bytes=-0", 100).length);
        assertEquals(0, ShareHandler.parseRange("bytes=0-0", 0).length);
        assertNull(ShareHandler.parseRange("bytes=9-1", 100));
        assertNull(ShareHandler.parseRange("bytes=0-1,3-4", 100));
        assertNull(ShareHandler.parseRange("items=0-1", 100));
        assertNull(ShareHandler.parseRange("bytes=-", 100));
    }

    @Test
    void jsonIsChosenWhenAcceptPrefersIt() {
        assertTrue(ShareHandler.wantsJson("application/json"));
        assertTrue(ShareHandler.wantsJson("text/html;q=0.5, application/json"));
        assertTrue(ShareHandler.wantsJson("application/problem+json"));
        assertFalse(ShareHandler.wantsJson(null));
        assertFalse(ShareHandler.wantsJson("*/*"));
        assertFalse(ShareHandler.wantsJson("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
        assertFalse(ShareHandler.wantsJson("application/json;q=0"));
        assertSame(Boolean.TRUE, ShareHandler.ifRangeHolds(null, "\"x\"", "d"));
    }
}
