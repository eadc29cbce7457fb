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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file share over the dial-out link, where the back sends file bytes as bulk uploads
 * (SPEC section 20.5) instead of chunk messages: every byte at the sizes around the record and
 * slice boundaries, a Range of an uncached file, one transfer for twenty requesters, twenty
 * files at once, and a back stopped in the middle of a download. Counts, not speeds, are checked:
 * a download takes no response message of the channel at all (only the empty file does). Two
 * pairs serve all tests (each test its own files, metrics compared before and after): one as
 * fast as it goes, one whose back keeps each upload to 8 MiB/s, so that a test can act while a
 * file is still on its way without depending on timing.
 */
class ShareDialoutTest {
    static final boolean LARGE = Boolean.getBoolean("hoft.large");
    private static final int RECORD = 1 << 20;
    private static final int FIRST = 256 * 1024;

    @TempDir
    static Path dir;
    static ShareChain fast;
    static ShareChain paced;

    @BeforeAll
    static void start() throws Exception {
        fast = ShareChain.dialout(dir.resolve("fast"), Map.of(), Map.of()).start();
        paced = ShareChain.dialout(dir.resolve("paced"), Map.of("HOFT_BACK_SHARE_UPLOAD_RATE", "8MiB"),
                Map.of("HOFT_FRONT_SHARE_RESUME_AFTER", "1s", "HOFT_NODE_PEERS_0_LINK_HEARTBEAT", "1s")).start();
    }

    @AfterAll
    static void stop() throws Exception {
        for (ShareChain chain : new ShareChain[] {fast, paced}) {
            if (chain != null) {
                chain.close();
            }
        }
    }

    private static long responses(ShareChain chain) throws Exception {
        return chain.frontMetricSum("hoft_messages_delivered_total", "kind=\"response\"");
    }

    @Test
    void everyByteArrivesAtEverySizeAroundTheRecordAndSliceBoundsWithoutAChunkMessage() throws Exception {
        long[] sizes = {0, 1, FIRST - 1, FIRST, FIRST + 1, RECORD + FIRST + 1, LARGE ? 1L << 30 : (16L << 20) + 3};
        List<String> expected = new ArrayList<>();
        for (long size : sizes) {
            expected.add(ShareChain.writeFile(fast.shared.resolve("sizes/f" + size + ".bin"), size, size));
        }
        await().atMost(ShareChain.WAIT).until(() -> fast.catalog().contains("docs/sizes/f" + sizes[sizes.length - 1] + ".bin")
                && fast.catalog().stream().filter(p -> p.startsWith("docs/sizes/")).count() == sizes.length);
        long transfers = fast.frontMetric("hoft_front_share_transfers_total");
        long uploads = fast.backMetric("hoft_back_share_uploads_total");
        long received = fast.frontMetric("hoft_front_share_received_bytes_total");
        long responses = responses(fast);
        for (int i = 0; i < sizes.length; i++) {
            FileShareTest.Round round = FileShareTest.download(fast, List.of("/_hoft/files/docs/sizes/f" + sizes[i] + ".bin"), 1);
            FileShareTest.Result r = round.results().get(0);
            assertEquals(200, r.status());
            assertEquals(sizes[i], r.bytes());
            assertEquals(expected.get(i), r.sha256(), "every byte of " + sizes[i]);
        }
        assertEquals(sizes.length, fast.frontMetric("hoft_front_share_transfers_total") - transfers);
        assertEquals(sizes.length, fast.backMetric("hoft_back_share_uploads_total") - uploads);
        assertEquals(1, responses(fast) - responses, "the empty file's one response; the rest went as bulk uploads");
        assertEquals(Arrays.stream(sizes).sum(), fast.frontMetric("hoft_front_share_received_bytes_total") - received,
                "no byte twice");
    }

    @Test
    void twentyRequestersOfOneUncachedFileShareOneTransferAndGetEveryByte() throws Exception {
        long size = LARGE ? 256L << 20 : 12L << 20;
        String expected = ShareChain.writeFile(fast.shared.resolve("big.bin"), size, 42);
        await().atMost(ShareChain.WAIT).until(() -> fast.catalog().contains("docs/big.bin"));
        long transfers = fast.frontMetric("hoft_front_share_transfers_total");
        long uploads = fast.backMetric("hoft_back_share_uploads_total");
        FileShareTest.Round round = FileShareTest.download(fast, List.of("/_hoft/files/docs/big.bin"), 20);
        for (FileShareTest.Result r : round.results()) {
            assertEquals(200, r.status());
            assertEquals(expected, r.sha256());
        }
        assertEquals(1, fast.frontMetric("hoft_front_share_transfers_total") - transfers);
        assertEquals(1, fast.backMetric("hoft_back_share_uploads_total") - uploads);
        System.out.printf("share report (dial-out, bulk): %d MiB, 20 requesters, 1 transfer: first byte %d ms, all done in %d ms%n",
                size >> 20, round.firstByteMinMs(), round.wallMs());
    }

    @Test
    void twentyDifferentFilesAtOnceAllArriveWhole() throws Exception {
        long size = LARGE ? 64L << 20 : 1L << 20;
        List<String> targets = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            expected.add(ShareChain.writeFile(fast.shared.resolve("many/" + i + ".bin"), size + i, i));
            targets.add("/_hoft/files/docs/many/" + i + ".bin");
        }
        await().atMost(ShareChain.WAIT).until(() -> fast.catalog().stream().filter(p -> p.startsWith("docs/many/")).count() == 20);
        long transfers = fast.frontMetric("hoft_front_share_transfers_total");
        FileShareTest.Round round = FileShareTest.download(fast, targets, 1);
        for (int i = 0; i < 20; i++) {
            assertEquals(expected.get(i), round.results().get(i).sha256(), "file " + i);
        }
        assertEquals(20, fast.frontMetric("hoft_front_share_transfers_total") - transfers);
        System.out.printf("share report (dial-out, bulk): 20 files of %d MiB at once: first byte %d-%d ms, all done in %d ms%n",
                size >> 20, round.firstByteMinMs(), round.firstByteMaxMs(), round.wallMs());
    }

    @Test
    void aRangeOfAnUncachedFileIsAnsweredWithItsBytesAndAskedForFirst() throws Exception {
        long size = 24L << 20;
        ShareChain.writeFile(paced.shared.resolve("r.bin"), size, 5);
        byte[] file = Files.readAllBytes(paced.shared.resolve("r.bin"));
        await().atMost(ShareChain.WAIT).until(() -> paced.catalog().contains("docs/r.bin"));
        long transfers = paced.frontMetric("hoft_front_share_transfers_total");
        long received = paced.frontMetric("hoft_front_share_received_bytes_total");
        int first = (int) (size - (3 << 20) + 7);
        HttpResponse<byte[]> range = paced.send(paced.request("/_hoft/files/docs/r.bin")
                .header("Range", "bytes=" + first + "-" + (first + 99_999)));
        assertEquals(206, range.statusCode());
        assertArrayEquals(Arrays.copyOfRange(file, first, first + 100_000), range.body());
        // at 8 MiB/s the back needs three seconds for the whole file; the range came with its first slice
        assertTrue(paced.frontMetric("hoft_front_share_received_bytes_total") - received < size,
                "the range was answered before the whole file arrived");
        HttpResponse<byte[]> whole = paced.send(paced.request("/_hoft/files/docs/r.bin"));
        assertArrayEquals(file, whole.body());
        assertEquals(1, paced.frontMetric("hoft_front_share_transfers_total") - transfers);
        assertEquals(size, paced.frontMetric("hoft_front_share_received_bytes_total") - received);
    }

    @Test
    void aBackStoppedInTheMiddleOfADownloadIsAskedAgainForWhatIsMissingAndEveryByteArrives() throws Exception {
        long size = 16L << 20;
        String expected = ShareChain.writeFile(paced.shared.resolve("stopped.bin"), size, 9);
        await().atMost(ShareChain.WAIT).until(() -> paced.catalog().contains("docs/stopped.bin"));
        long transfers = paced.frontMetric("hoft_front_share_transfers_total");
        long askedAgain = paced.frontMetric("hoft_front_share_asked_again_total");
        long received = paced.frontMetric("hoft_front_share_received_bytes_total");
        CompletableFuture<FileShareTest.Round> download = CompletableFuture.supplyAsync(() -> {
            try {
                return FileShareTest.download(paced, List.of("/_hoft/files/docs/stopped.bin"), 1);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(ShareChain.WAIT).until(() -> paced.frontMetric("hoft_front_share_received_bytes_total") > received);
        paced.stopBack();
        long before = paced.frontMetric("hoft_front_share_received_bytes_total") - received;
        assertTrue(before < size, "stopped in the middle (the back needs two seconds for the file)");
        paced.startBack();

        FileShareTest.Result r = download.get(2, TimeUnit.MINUTES).results().get(0);
        assertEquals(200, r.status());
        assertEquals(expected, r.sha256());
        assertEquals(1, paced.frontMetric("hoft_front_share_transfers_total") - transfers, "the same transfer went on");
        assertTrue(paced.frontMetric("hoft_front_share_asked_again_total") > askedAgain);
        assertTrue(paced.frontMetric("hoft_front_share_received_bytes_total") - received <= size + (4L << 20),
                "what had arrived was not asked for again (a slice or two may come twice)");
    }
}
