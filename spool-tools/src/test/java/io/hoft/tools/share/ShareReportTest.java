package io.hoft.tools.share;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Numbers of the file share on this machine, on demand:
 * {@code ./mvnw -B -pl spool-tools -am test -Dtest=ShareReportTest -Dsurefire.failIfNoSpecifiedTests=false -Dhoft.share.report=true}
 * ({@code -Dhoft.share.report.mib=N} for the large file, default 200; {@code -Dhoft.share.report.chunk=16MiB}
 * for the back's chunk size; {@code -Dhoft.share.report.link=dialout} for a dial-out pair, whose
 * file bytes go as bulk uploads). A front and a back on the shared folders {@code hoft init}
 * writes (or its dial-out link), on loopback.
 */
@EnabledIfSystemProperty(named = "hoft.share.report", matches = "true")
class ShareReportTest {
    @TempDir
    Path dir;

    @Test
    void report() throws Exception {
        long mib = Long.getLong("hoft.share.report.mib", 200);
        String chunk = System.getProperty("hoft.share.report.chunk");
        Map<String, String> backEnv = chunk == null ? Map.of() : Map.of("HOFT_BACK_SHARE_CHUNK_SIZE", chunk);
        boolean dialout = "dialout".equals(System.getProperty("hoft.share.report.link"));
        try (ShareChain chain = dialout ? ShareChain.dialout(dir, backEnv, Map.of()) : new ShareChain(dir, backEnv, Map.of())) {
            for (int i = 0; i < 5; i++) {
                ShareChain.writeFile(chain.shared.resolve("small-" + i + ".bin"), 1 << 20, i);
            }
            String single = ShareChain.writeFile(chain.shared.resolve("single.bin"), mib << 20, 100);
            String shared = ShareChain.writeFile(chain.shared.resolve("shared.bin"), mib << 20, 101);
            chain.start();
            await().atMost(ShareChain.WAIT).until(() -> chain.catalog().size() == 7);

            List<Long> firstBytes = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                firstBytes.add(FileShareTest.download(chain, List.of("/_hoft/files/docs/small-" + i + ".bin"), 1)
                        .results().get(0).firstByteMs());
            }
            FileShareTest.Round uncached = FileShareTest.download(chain, List.of("/_hoft/files/docs/single.bin"), 1);
            FileShareTest.Round cached = FileShareTest.download(chain, List.of("/_hoft/files/docs/single.bin"), 1);
            assertEquals(single, uncached.results().get(0).sha256());
            assertEquals(single, cached.results().get(0).sha256());
            long before = chain.frontMetric("hoft_front_share_transfers_total");
            long uploadsBefore = chain.backMetric("hoft_back_share_uploads_total");
            FileShareTest.Round twenty = FileShareTest.download(chain, List.of("/_hoft/files/docs/shared.bin"), 20);
            twenty.results().forEach(r -> assertEquals(shared, r.sha256()));

            System.out.println("SHARE REPORT (" + Runtime.getRuntime().availableProcessors() + " cores, "
                    + (dialout ? "dial-out link on loopback, bulk uploads" : "folder link on local disk") + ")");
            System.out.println("  first byte of an uncached 1 MiB file, 5 runs (ms): " + firstBytes);
            System.out.printf("  one requester, %d MiB uncached: first byte %d ms, whole file %d ms = %.1f MiB/s%n", mib,
                    uncached.results().get(0).firstByteMs(), uncached.wallMs(), mib / (uncached.wallMs() / 1000.0));
            System.out.printf("  one requester, %d MiB cached: first byte %d ms, whole file %d ms = %.1f MiB/s%n", mib,
                    cached.results().get(0).firstByteMs(), cached.wallMs(), mib / (cached.wallMs() / 1000.0));
            System.out.printf("  20 concurrent requesters of one uncached %d MiB file: %d transfer(s) by the front, %d upload(s)"
                            + " by the back; first byte %d-%d ms; all 20 done in %d ms%n", mib,
                    chain.frontMetric("hoft_front_share_transfers_total") - before,
                    chain.backMetric("hoft_back_share_uploads_total") - uploadsBefore, twenty.firstByteMinMs(),
                    twenty.firstByteMaxMs(), twenty.wallMs());
        }
    }
}
