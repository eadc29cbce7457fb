package io.hoft.transport.channel;

import static org.awaitility.Awaitility.await;

import io.hoft.transport.link.MirrorFaults;
import io.hoft.transport.link.WatchMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not a test: prints files and bytes on the link per small message, with and without
 * collation. Run with {@code -Dhoft.report=true -Dtest=LinkOverheadReport}.
 */
class LinkOverheadReport {
    @TempDir
    Path root;

    @Test
    void report() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("hoft.report"), "a report, run on demand");
        int messages = 1000;
        for (boolean collate : new boolean[] {true, false}) {
            ChannelConfig config = ChannelConfig.DEFAULT.withFastTimers().toBuilder()
                    .collateDelay(Duration.ofMillis(collate ? Long.getLong("hoft.collateMs", 20) : 0)).collateTargetBytes(collate ? 1024 * 1024 : 1024)
                    .heartbeatInterval(Duration.ofSeconds(30)).build();
            Path dir = Files.createDirectories(root.resolve(collate ? "collated" : "single"));
            try (LinkedPair pair = new LinkedPair(dir, config, MirrorFaults.NONE, WatchMode.BOTH, Duration.ofMillis(50)).start()) {
                Random random = new Random(1);
                long started = System.nanoTime();
                for (int i = 0; i < messages; i++) {
                    byte[] body = new byte[1024];
                    for (int j = 0; j < body.length; j++) {
                        body[j] = (byte) ('a' + random.nextInt(26)); // text-like, compressible
                    }
                    pair.front.send(body);
                }
                double sendSeconds = (System.nanoTime() - started) / 1e9;
                System.out.printf("  sending took %.2f s (%.2f ms per message)%n", sendSeconds, sendSeconds * 1000 / messages);
                await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(10)).until(() -> pair.back.received().size() == messages && pair.front.unsettled() == 0);
                double seconds = (System.nanoTime() - started) / 1e9;
                TransportMetrics m = pair.front.transport.metrics();
                long dataFiles = m.get("hoft_files_sent_total", "peer", "back", "kind", "data");
                long controlFiles = m.get("hoft_files_sent_total", "peer", "back", "kind", "control")
                        + pair.back.transport.metrics().get("hoft_files_sent_total", "peer", "front", "kind", "control");
                long dataBytes = m.get("hoft_bytes_sent_total", "peer", "back");
                System.out.printf("%s: %d x 1 KiB messages in %.2f s (%.0f msg/s): %d data files (%.3f per message),"
                                + " %d bytes (%.0f per message, %.2fx the body), %d control files both ways%n",
                        collate ? "collated" : "one per file", messages, seconds, messages / seconds, dataFiles,
                        dataFiles / (double) messages, dataBytes, dataBytes / (double) messages, dataBytes / (1024.0 * messages),
                        controlFiles);
            }
        }
    }
}
