package io.hoft.tools.share;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file share end to end: a back publishing a folder, a front serving it, the shared link
 * folders and the real channel between them, callers on loopback HTTP.
 *
 * <p>The concurrent download of one file uses 32 MiB by default and 200 MiB with
 * {@code -Dhoft.large=true}; both print a line with the first-byte latency of the uncached
 * file, the throughput uncached and cached, and how many transfers the 20 requesters caused.
 */
class FileShareTest {
    static final boolean LARGE = Boolean.getBoolean("hoft.large");

    @TempDir
    Path dir;

    @Test
    void theCatalogIsThereAtStartANewFileAppearsAndARenamedOneDisappears() throws Exception {
        try (ShareChain chain = new ShareChain(dir, Map.of(), Map.of())) {
            Files.writeString(chain.shared.resolve("a.txt"), "alpha");
            Files.createDirectories(chain.shared.resolve("sub dir"));
            Files.writeString(chain.shared.resolve("sub dir/größe 1 €.txt"), "non-ascii");
            chain.start();
            await().atMost(ShareChain.WAIT).until(() -> chain.catalog().containsAll(List.of("docs/a.txt", "docs/sub dir/größe 1 €.txt")));

            Files.writeString(chain.shared.resolve("new.txt"), "new");
            await().atMost(ShareChain.WAIT).until(() -> chain.catalog().contains("docs/new.txt"));

            Files.move(chain.shared.resolve("a.txt"), chain.shared.resolve("renamed.txt"));
            await().atMost(ShareChain.WAIT).until(() -> {
                List<String> files = chain.catalog();
                return !files.contains("docs/a.txt") && files.contains("docs/renamed.txt");
            });

            HttpResponse<byte[]> got = chain.send(chain.request("/_hoft/files/docs/sub%20dir/gr%C3%B6%C3%9Fe%201%20%E2%82%AC.txt"));
            assertEquals(200, got.statusCode());
            assertEquals("non-ascii", new String(got.body(), StandardCharsets.UTF_8));
            assertEquals(404, chain.send(chain.request("/_hoft/files/docs/a.txt")).statusCode());

            HttpResponse<byte[]> html = chain.send(chain.request("/_hoft/files").header("Accept", "text/html"));
            assertTrue(html.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
            String page = new String(html.body(), StandardCharsets.UTF_8);
            assertTrue(page.contains("docs/renamed.txt"), page);
            assertTrue(page.contains("/_hoft/files/docs/sub%20dir/gr%C3%B6%C3%9Fe%201%20%E2%82%AC.txt"), page);
        }
    }

    @Test
    void withoutWatchingTheIntervalRefreshFindsNewAndRenamedFiles() throws Exception {
        Map<String, String> back = Map.of("HOFT_BACK_SHARE_WATCH", "false", "HOFT_BACK_SHARE_REFRESH", "1s");
        try (ShareChain chain = new ShareChain(dir, back, Map.of())) {
            Files.writeString(chain.shared.resolve("a.txt"), "alpha");
            chain.start();
            await().atMost(ShareChain.WAIT).until(() -> chain.catalog().contains("docs/a.txt"));
            Files.writeString(chain.shared.resolve("b.txt"), "beta");
            Files.move(chain.shared.resolve("a.txt"), chain.shared.resolve("c.txt"));
            await().atMost(ShareChain.WAIT).until(() -> chain.catalog().equals(List.of("docs/b.txt", "docs/c.txt")));
        }
    }

    @Test
    void twentyConcurrentRequestersOfOneFileShareOneTransferAndGetEveryByte() throws Exception {
        long size = LARGE ? 200L << 20 : 32L << 20;
        try (ShareChain chain = new ShareChain(dir, Map.of(), Map.of())) {
            String expected = ShareChain.writeFile(chain.shared.resolve("big.bin"), size, 42);
            chain.start();
            await().atMost(ShareChain.WAIT).until(() -> chain.catalog().contains("docs/big.bin"));

            Round uncached = download(chain, List.of("/_hoft/files/docs/big.bin"), 20);
            for (Result r : uncached.results) {
                assertEquals(200, r.status);
                assertEquals(size, r.bytes);
                assertEquals(expected, r.sha256);
            }
            long transfers = chain.frontMetric("hoft_front_share_transfers_total");
            assertEquals(1, transfers);
            assertEquals(1, chain.backMetric("hoft_back_share_uploads_total"));

            Round cached = download(chain, List.of("/_hoft/files/docs/big.bin"), 20);
            cached.results.forEach(r -> assertEquals(expected, r.sha256));
            assertEquals(1, chain.frontMetric("hoft_front_share_transfers_total"));

            System.out.printf("share report: file %d MiB, 20 concurrent requesters, %d transfer(s), %d upload(s) on the back;"
                            + " uncached: first byte %d ms (slowest requester %d ms), all done in %d ms (%.1f MiB/s per requester);"
                            + " cached: first byte %d ms, all done in %d ms (%.1f MiB/s aggregate)%n",
                    size >> 20, transfers, chain.backMetric("hoft_back_share_uploads_total"), uncached.firstByteMinMs(),
                    uncached.firstByteMaxMs(), uncached.wallMs, (size / 1048576.0) / (uncached.wallMs / 1000.0),
                    cached.firstByteMinMs(), cached.wallMs, 20 * (size / 1048576.0) / (cached.wallMs / 1000.0));
        }
    }

    @Test
    void twentyRequestersOfTwentyDifferentFilesAreServedConcurrently() throws Exception {
        long size = LARGE ? 10L << 20 : 2L << 20;
        try (ShareChain chain = new ShareChain(dir, Map.of(), Map.of())) {
            List<String> targets = new ArrayList<>();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                expected.add(ShareChain.writeFile(chain.shared.resolve("many/file " + i + ".bin"), size + i, i));
                targets.add("/_hoft/files/docs/many/file%20" + i + ".bin");
            }
            chain.start();
            await().atMost(ShareChain.WAIT).until(() -> chain.catalog().size() == 20);
            Round round = download(chain, targets, 1);
            for (int i = 0; i < 20; i++) {
                Result r = round.results.get(i);
                assertEquals(200, r.status);
                assertEquals(size + i, r.bytes);
                assertEquals(expected.get(i), r.sha256);
            }
            assertEquals(20, chain.frontMetric("hoft_front_share_transfers_total"));
            System.out.printf("share report: 20 different files of %d KiB at once: first byte %d-%d ms, all done in %d ms%n",
                    size >> 10, round.firstByteMinMs(), round.firstByteMaxMs(), round.wallMs);
        }
    }

    record Result(int status, long bytes, String sha256, long firstByteMs) {}

    record Round(List<Result> results, long wallMs) {
        long firstByteMinMs() {
            return results.stream().mapToLong(Result::firstByteMs).min().orElse(-1);
        }

        long firstByteMaxMs() {
            return results.stream().mapToLong(Result::firstByteMs).max().orElse(-1);
        }
    }

    /** Each target requested {@code times} times, all at once; bytes hashed as they stream. */
    static Round download(ShareChain chain, List<String> targets, int times) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(targets.size() * times);
        try {
            long start = System.nanoTime();
            List<Future<Result>> futures = new ArrayList<>();
            for (String target : targets) {
                for (int i = 0; i < times; i++) {
                    Callable<Result> get = () -> {
                        long begin = System.nanoTime();
                        HttpResponse<InputStream> response = chain.http.send(chain.request(target).timeout(Duration.ofMinutes(5)).build(),
                                HttpResponse.BodyHandlers.ofInputStream());
                        MessageDigest digest = ShareChain.sha256();
                        long total = 0;
                        long firstMs = -1;
                        byte[] buffer = new byte[256 * 1024];
                        try (InputStream in = response.body()) {
                            for (int n; (n = in.read(buffer)) > 0;) {
                                if (firstMs < 0) {
                                    firstMs = (System.nanoTime() - begin) / 1_000_000;
                                }
                                digest.update(buffer, 0, n);
                                total += n;
                            }
                        }
                        return new Result(response.statusCode(), total, HexFormat.of().formatHex(digest.digest()), firstMs);
                    };
                    futures.add(pool.submit(get));
                }
            }
            List<Result> results = new ArrayList<>();
            for (Future<Result> f : futures) {
                results.add(f.get());
            }
            return new Round(results, (System.nanoTime() - start) / 1_000_000);
        } finally {
            pool.shutdownNow();
        }
    }

    static HttpRequest.Builder get(ShareChain chain, String target) {
        return chain.request(target).GET();
    }
}
