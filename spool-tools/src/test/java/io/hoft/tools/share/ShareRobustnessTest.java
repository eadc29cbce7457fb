package io.hoft.tools.share;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.link.MirrorFaults;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cache across a stopped back, a changed file and its bound; a stalled download; a faulty link. */
class ShareRobustnessTest {
    @TempDir
    Path dir;

    @Test
    void aCachedFileIsServedWithTheBackStoppedAndAChangedFileIsFetchedAgain() throws Exception {
        try (ShareChain chain = new ShareChain(dir, Map.of(), Map.of())) {
            Path file = chain.shared.resolve("f.bin");
            ShareChain.writeFile(file, 1 << 20, 1);
            byte[] first = Files.readAllBytes(file);
            chain.start();
            await().atMost(ShareChain.WAIT).until(() -> chain.catalog().contains("docs/f.bin"));
            assertArrayEquals(first, chain.send(chain.request("/_hoft/files/docs/f.bin")).body());
            String etag = chain.send(chain.request("/_hoft/files/docs/f.bin")).headers().firstValue("ETag").orElseThrow();

            chain.stopBack();
            chain.stopFront();
            chain.startFront(); // the catalog and the cache survive a restart of the front
            HttpResponse<byte[]> cached = chain.send(chain.request("/_hoft/files/docs/f.bin"));
            assertEquals(200, cached.statusCode());
            assertArrayEquals(first, cached.body());
            assertEquals(0, chain.frontMetric("hoft_front_share_transfers_total"));

            ShareChain.writeFile(file, (1 << 20) + 5, 2);
            Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
            byte[] second = Files.readAllBytes(file);
            chain.startBack();
            await().atMost(ShareChain.WAIT).until(() -> !etag.equals(
                    chain.send(chain.request("/_hoft/files/docs/f.bin")).headers().firstValue("ETag").orElse(etag)));
            assertArrayEquals(second, chain.send(chain.request("/_hoft/files/docs/f.bin")).body());
        }
    }

    @Test
    void theCacheStaysWithinItsSizeDroppingTheLeastRecentlyUsed() throws Exception {
        try (ShareChain chain = new ShareChain(dir, Map.of(), Map.of("HOFT_FRONT_SHARE_CACHE_SIZE", "2500KiB"))) {
            for (int i = 0; i < 4; i++) {
                ShareChain.writeFile(chain.shared.resolve(i + ".bin"), 1 << 20, i);
            }
            chain.start();
            await().atMost(ShareChain.WAIT).until(() -> chain.catalog().size() == 4);
            for (int i = 0; i < 4; i++) {
                assertEquals(1 << 20, chain.send(chain.request("/_hoft/files/docs/" + i + ".bin")).body().length);
            }
            assertEquals(2, chain.frontMetric("hoft_front_share_cache_files"));
            assertTrue(chain.frontMetric("hoft_front_share_cache_bytes") <= 2500 * 1024);
            Path cacheDir = chain.setup.frontConfig().getParent().resolve("state/front/share-cache");
            try (Stream<Path> files = Files.list(cacheDir)) {
                assertEquals(2, files.filter(f -> f.toString().endsWith(".data")).count());
            }
            long transfers = chain.frontMetric("hoft_front_share_transfers_total");
            chain.send(chain.request("/_hoft/files/docs/3.bin")); // still cached
            assertEquals(transfers, chain.frontMetric("hoft_front_share_transfers_total"));
            chain.send(chain.request("/_hoft/files/docs/0.bin")); // dropped: fetched again
            assertEquals(transfers + 1, chain.frontMetric("hoft_front_share_transfers_total"));
        }
    }

    @Test
    void aDownloadThatStallsEndsIn504AndTheNextRequestTriesAgain() throws Exception {
        try (ShareChain chain = new ShareChain(dir, Map.of(), Map.of("HOFT_FRONT_SHARE_STALL_TIMEOUT", "2s"))) {
            ShareChain.writeFile(chain.shared.resolve("f.bin"), 1000, 1);
            chain.start();
            await().atMost(ShareChain.WAIT).until(() -> chain.catalog().contains("docs/f.bin"));
            chain.stopBack();
            HttpResponse<byte[]> stalled = chain.send(chain.request("/_hoft/files/docs/f.bin"));
            assertEquals(504, stalled.statusCode());
            assertEquals("share-stalled", stalled.headers().firstValue("Hoft-Error").orElse(null));
            chain.startBack();
            HttpResponse<byte[]> again = chain.send(chain.request("/_hoft/files/docs/f.bin"));
            assertEquals(200, again.statusCode());
            assertEquals(1000, again.body().length);
        }
    }

    @Test
    void overALinkThatLosesDuplicatesReordersAndDamagesFilesEveryByteArrives() throws Exception {
        Map<String, String> channel = Map.of("HOFT_NODE_CHANNEL_RESEND_AFTER", "1s", "HOFT_NODE_CHANNEL_RESEND_MAX", "2s",
                "HOFT_NODE_CHANNEL_REORDER_WINDOW", "1s", "HOFT_NODE_CHANNEL_MIN_NACK_RESEND", "1s",
                "HOFT_NODE_CHANNEL_SETTLE", "300ms", "HOFT_NODE_CHANNEL_HEARTBEAT", "1s");
        MirrorFaults faults = new MirrorFaults(0.1, 0.1, 0.05, 0.05, 0.2, Duration.ZERO, Duration.ofMillis(200), 7);
        try (ShareChain chain = new ShareChain(dir, channel, channel, faults)) {
            String sha = ShareChain.writeFile(chain.shared.resolve("big.bin"), 12L << 20, 3);
            ShareChain.writeFile(chain.shared.resolve("small.txt"), 10, 4);
            chain.start();
            await().atMost(Duration.ofMinutes(2)).until(() -> chain.catalog().size() == 2);
            FileShareTest.Round round = FileShareTest.download(chain, List.of("/_hoft/files/docs/big.bin"), 3);
            for (FileShareTest.Result r : round.results()) {
                assertEquals(200, r.status());
                assertEquals(sha, r.sha256());
            }
            assertEquals(1, chain.frontMetric("hoft_front_share_transfers_total"));
            System.out.println("share over a faulty mirror: 12 MiB in " + round.wallMs() + " ms; mirror " + chain.mirrorStats());
        }
    }
}
