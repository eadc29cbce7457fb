package io.hoft.tools.share;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file share over the dial-out link, where the back sends file bytes as bulk uploads
 * (SPEC section 20.5) instead of chunk messages: every byte at the sizes around the record and
 * slice boundaries, a Range of an uncached file, one transfer for twenty requesters, twenty
 * files at once, and a back stopped in the middle of a download. Counts, not speeds, are checked:
 * a download takes no response message of the channel at all (only the empty file does).
 */
class ShareDialoutTest {
    static final boolean LARGE = Boolean.getBoolean("hoft.large");
    private static final int RECORD = 1 << 20;
    private static final int FIRST = 256 * 1024;

    @TempDir
    Path dir;

    private static long responses(ShareChain chain) throws Exception {
        return chain.frontMetricSum("hoft_messages_delivered_total", "kind=\"response\"");
    }

    @Test
    void everyByteArrivesAtEverySizeAroundTheRecordAndSliceBoundsWithoutAChunkMessage() throws Exception {
        long[] sizes = {0, 1, FIRST - 1, FIRST, FIRST + 1, RECORD + FIRST + 1, LARGE ? 1L << 30 : (16L << 20) + 3};
        try (ShareChain chain = ShareChain.dialout(dir, Map.of(), Map.of())) {
            List<String> expected = new ArrayList<>();
            for (long size : sizes) {
                expected.add(ShareChain.writeFile(chain.shared.resolve("f" + size + ".bin"), size, size));
            }
            chain.start();
            await().atMost(ShareChain.WAIT).until(() -> chain.catalog().size() == sizes.length);
            long responsesBefore = responses(chain);
            for (int i = 0; i < sizes.length; i++) {
                FileShareTest.Round round = FileShareTest.download(chain, List.of("/_hoft/files/docs/f" + sizes[i] + ".bin"), 1);
                FileShareTest.Result r = round.results().get(0);
                assertEquals(200, r.status());
                assertEquals(sizes[i], r.bytes());
                assertEquals(expected.get(i), r.sha256(), "every byte of " + sizes[i]);
            }
            assertEquals(sizes.length, chain.frontMetric("hoft_front_share_transfers_total"));
            assertEquals(sizes.length, chain.backMetric("hoft_back_share_uploads_total"));
            assertEquals(1, responses(chain) - responsesBefore, "the empty file's one response; the rest went as bulk uploads");
            long total = Arrays.stream(sizes).sum();
            assertEquals(total, chain.frontMetric("hoft_front_share_received_bytes_total"), "no byte twice");
        }
    }

    @Test
    void aRangeOfAnUncachedFileIsAnsweredWithItsBytesAndAskedForFirst() throws Exception {
        long size = 24L << 20;
        try (ShareChain chain = ShareChain.dialout(dir, Map.of("HOFT_BACK_SHARE_UPLOAD_RATE", "8MiB"), Map.of())) {
            ShareChain.writeFile(chain.shared.resolve("r.bin"), size, 5);
            byte[] file = Files.readAllBytes(chain.shared.resolve("r.bin"));
            chain.start();
            await().atMost(ShareChain.WAIT).until(() -> chain.catalog().contains("docs/r.bin"));
            int first = (int) (size - (3 << 20) + 7);
            HttpResponse<byte[]> range = chain.send(chain.request("/_hoft/files/docs/r.bin")
                    .header("Range", "bytes=" + first + "-" + (first + 99_999)));
            assertEquals(206, range.statusCode());
            assertArrayEquals(Arrays.copyOfRange(file, first, first + 100_000), range.body());
            // at 8 MiB/s the back needs three seconds for the whole file; the range came with its first slice
            assertTrue(chain.frontMetric("hoft_front_share_received_bytes_total") < size,
                    "the range was answered before the whole file arrived");
            HttpResponse<byte[]> whole = chain.send(chain.request("/_hoft/files/docs/r.bin"));
            assertArrayEquals(file, whole.body());
            assertEquals(1, chain.frontMetric("hoft_front_share_transfers_total"));
            assertEquals(size, chain.frontMetric("hoft_front_share_received_bytes_total"));
        }
    }

    @Test
    void twentyRequestersOfOneUncachedFileShareOneTransferAndGetEveryByte() throws Exception {
        long size = LARGE ? 256L << 20 : 12L << 20;
        try (ShareChain chain = ShareChain.dialout(dir, Map.of(), Map.of())) {
            String expected = ShareChain.writeFile(chain.shared.resolve("big.bin"), size, 42);
            chain.start();
            await().atMost(ShareChain.WAIT).until(() -> chain.catalog().contains("docs/big.bin"));
            FileShareTest.Round round = FileShareTest.download(chain, List.of("/_hoft/files/docs/big.bin"), 20);
            for (FileShareTest.Result r : round.results()) {
                assertEquals(200, r.status());
                assertEquals(expected, r.sha256());
            }
            assertEquals(1, chain.frontMetric("hoft_front_share_transfers_total"));
            assertEquals(1, chain.backMetric("hoft_back_share_uploads_total"));
            assertEquals(size, chain.frontMetric("hoft_front_share_received_bytes_total"));
            System.out.printf("share report (dial-out, bulk): %d MiB, 20 requesters, 1 transfer: first byte %d ms, all done in %d ms%n",
                    size >> 20, round.firstByteMinMs(), round.wallMs());
        }
    }

    @Test
    void twentyDifferentFilesAtOnceAllArriveWhole() throws Exception {
        long size = LARGE ? 64L << 20 : 1L << 20;
        try (ShareChain chain = ShareChain.dialout(dir, Map.of(), Map.of())) {
            List<String> targets = new ArrayList<>();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                expected.add(ShareChain.writeFile(chain.shared.resolve("many/" + i + ".bin"), size + i, i));
                targets.add("/_hoft/files/docs/many/" + i + ".bin");
            }
            chain.start();
            await().atMost(ShareChain.WAIT).until(() -> chain.catalog().size() == 20);
            FileShareTest.Round round = FileShareTest.download(chain, targets, 1);
            for (int i = 0; i < 20; i++) {
                assertEquals(expected.get(i), round.results().get(i).sha256(), "file " + i);
            }
            assertEquals(20, chain.frontMetric("hoft_front_share_transfers_total"));
            System.out.printf("share report (dial-out, bulk): 20 files of %d MiB at once: first byte %d-%d ms, all done in %d ms%n",
                    size >> 20, round.firstByteMinMs(), round.firstByteMaxMs(), round.wallMs());
        }
    }

    @Test
    void aBackStoppedInTheMiddleOfADownloadIsAskedAgainForWhatIsMissingAndEveryByteArrives() throws Exception {
        long size = 16L << 20;
        Map<String, String> back = Map.of("HOFT_BACK_SHARE_UPLOAD_RATE", "8MiB");
        Map<String, String> front = Map.of("HOFT_FRONT_SHARE_RESUME_AFTER", "1s", "HOFT_NODE_PEERS_0_LINK_HEARTBEAT", "1s");
        try (ShareChain chain = ShareChain.dialout(dir, back, front)) {
            String expected = ShareChain.writeFile(chain.shared.resolve("big.bin"), size, 9);
            chain.start();
            await().atMost(ShareChain.WAIT).until(() -> chain.catalog().contains("docs/big.bin"));
            CompletableFuture<FileShareTest.Round> download = CompletableFuture.supplyAsync(() -> {
                try {
                    return FileShareTest.download(chain, List.of("/_hoft/files/docs/big.bin"), 1);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(ShareChain.WAIT).until(() -> chain.frontMetric("hoft_front_share_received_bytes_total") > 0);
            chain.stopBack();
            long before = chain.frontMetric("hoft_front_share_received_bytes_total");
            assertTrue(before < size, "stopped in the middle (the back needs two seconds for the file)");
            chain.startBack();

            FileShareTest.Result r = download.get(2, TimeUnit.MINUTES).results().get(0);
            assertEquals(200, r.status());
            assertEquals(expected, r.sha256());
            assertEquals(1, chain.frontMetric("hoft_front_share_transfers_total"), "the same transfer went on");
            assertTrue(chain.frontMetric("hoft_front_share_asked_again_total") >= 1);
            assertTrue(chain.frontMetric("hoft_front_share_received_bytes_total") <= size + (4L << 20),
                    "what had arrived was not asked for again (a slice or two may come twice)");
        }
    }
}
