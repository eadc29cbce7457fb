package io.hoft.transport.channel;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.link.MirrorFaults;
import io.hoft.transport.link.WatchMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A flood of junk into an inbox costs at most the quarantine's size cap, oldest first; what
 * is older than its age cap goes at start; both are counted and the node keeps serving.
 */
class QuarantineCapsTest {
    private static final long CAP_BYTES = 16 * 1024;

    @TempDir
    Path root;

    private static long bytesIn(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.mapToLong(f -> f.toFile().length()).sum();
        }
    }

    @Test
    void floodOfJunkKeepsTheQuarantineWithinItsSizeCapOldestFirst() throws Exception {
        LinkedPair pair = new LinkedPair(root, ChannelConfig.DEFAULT.withFastTimers(), MirrorFaults.NONE, WatchMode.BOTH,
                Duration.ofMillis(100));
        try (LinkedPair started = pair.start(node -> node.quarantineMaxBytes = CAP_BYTES)) {
            Path inbox = root.resolve("link/back-in");
            TransportMetrics metrics = pair.back.transport.metrics();
            int junk = 60; // 60 files of 1 KiB: about four times the cap
            for (int i = 0; i < junk; i++) {
                Path file = inbox.resolve(String.format("front_back_0000000000001_%012d_req.hoft", 5000 + i));
                Files.write(file, new byte[1024]);
                Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> metrics.total("hoft_files_quarantined_total") == junk);
            Path quarantine = pair.back.stateDir.resolve("quarantine");
            assertTrue(bytesIn(quarantine) <= CAP_BYTES, "quarantine holds " + bytesIn(quarantine) + " bytes");
            assertTrue(metrics.get("hoft_quarantine_removed_total", "reason", "size") > 0);
            assertEquals(bytesIn(quarantine), metrics.get("hoft_quarantine_bytes"));
            assertTrue(Files.exists(quarantine.resolve(newestEntry(quarantine))), "the newest is kept");

            pair.front.send("after the flood".getBytes());
            await().atMost(Duration.ofSeconds(20)).until(() -> pair.back.received().size() == 1);
        }
    }

    @Test
    void quarantinedFilesOlderThanTheAgeCapAreDeletedAtStart() throws Exception {
        Path quarantine = Files.createDirectories(root.resolve("back/quarantine"));
        long old = System.currentTimeMillis() - Duration.ofDays(8).toMillis();
        Path stale = Files.write(quarantine.resolve(old + "-front_back_0000000000001_000000000007_req.hoft"), new byte[10]);
        Path reason = Files.writeString(quarantine.resolve(stale.getFileName() + ".reason"), "spoofed: test\n");
        Path recent = Files.write(quarantine.resolve(System.currentTimeMillis() + "-front_back_0000000000001_000000000008_req.hoft"),
                new byte[10]);
        try (LinkedPair pair = new LinkedPair(root, ChannelConfig.DEFAULT.withFastTimers(), MirrorFaults.NONE, WatchMode.BOTH,
                Duration.ofMillis(100)).start()) {
            assertFalse(Files.exists(stale));
            assertFalse(Files.exists(reason));
            assertTrue(Files.exists(recent));
            assertEquals(1, pair.back.transport.metrics().get("hoft_quarantine_removed_total", "reason", "age"));
            assertEquals(1, pair.back.transport.metrics().get("hoft_quarantine_files"));
        }
    }

    private static String newestEntry(Path quarantine) throws Exception {
        try (Stream<Path> files = Files.list(quarantine)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> !n.endsWith(".reason")).max(String::compareTo).orElseThrow();
        }
    }
}
