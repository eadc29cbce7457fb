package io.hoft.transport.channel;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hoft.transport.link.MirrorFaults;
import io.hoft.transport.link.WatchMode;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.MessageId;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hundreds of messages each way, small and fragmented, through mirrors that lose 10%,
 * duplicate 10%, truncate 5%, corrupt 3% and reorder files: every message arrives exactly
 * once, intact, and both spools drain. {@code -Dhoft.long=true} runs a bigger version.
 */
class ChaosTest {
    @TempDir
    Path root;

    @Test
    void everyMessageArrivesExactlyOnceThroughAFaultyMirror() throws Exception {
        boolean big = Boolean.getBoolean("hoft.long");
        int small = big ? 2000 : 300;
        int large = big ? 20 : 4;
        MirrorFaults faults = new MirrorFaults(0.10, 0.10, 0.05, 0.03, 0.3, Duration.ofMillis(10), Duration.ofMillis(400), 42);
        ChannelConfig config = ChannelConfig.DEFAULT.withFastTimers().toBuilder().maxFileBytesAndCollation(4L * 1024 * 1024).build();
        long started = System.nanoTime();
        try (LinkedPair pair = new LinkedPair(root, config, faults, WatchMode.BOTH, Duration.ofMillis(100)).start()) {
            Map<MessageId, String> toBack = new LinkedHashMap<>();
            Map<MessageId, String> toFront = new LinkedHashMap<>();
            Random random = new Random(7);
            for (int i = 0; i < small; i++) {
                byte[] a = new byte[random.nextInt(3000)];
                random.nextBytes(a);
                toBack.put(pair.front.send(a), sha256(a));
                byte[] b = new byte[random.nextInt(3000)];
                random.nextBytes(b);
                toFront.put(pair.back.send(b), sha256(b));
                if (i % (small / large) == 0) {
                    Path body = randomFile(pair.root.resolve("big-" + i), 9 * 1024 * 1024 + random.nextInt(1024 * 1024), random);
                    toBack.put(pair.front.send(Body.ofFile(body)), sha256(body));
                }
            }
            await().atMost(Duration.ofMinutes(big ? 20 : 4)).pollInterval(Duration.ofMillis(500)).until(() ->
                    pair.back.received().size() == toBack.size() && pair.front.received().size() == toFront.size());
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).until(() ->
                    pair.front.unsettled() == 0 && pair.back.unsettled() == 0
                            && pair.front.unackedFiles() == 0 && pair.back.unackedFiles() == 0);
            for (Map.Entry<String, Long> e : pair.back.received().entrySet()) {
                assertEquals(1L, e.getValue(), "deliveries of " + e.getKey());
            }
            for (Map.Entry<String, Long> e : pair.front.received().entrySet()) {
                assertEquals(1L, e.getValue(), "deliveries of " + e.getKey());
            }
            toBack.forEach((id, sha) -> assertEquals(sha, pair.back.receivedSha256(id), "body of " + id));
            toFront.forEach((id, sha) -> assertEquals(sha, pair.front.receivedSha256(id), "body of " + id));
            System.out.printf("chaos: %d+%d messages in %.1f s; front->back mirror %s; back->front mirror %s%n",
                    toBack.size(), toFront.size(), (System.nanoTime() - started) / 1e9,
                    pair.frontToBack.stats(), pair.backToFront.stats());
            System.out.println("front " + pair.front.transport.metrics().snapshot());
            System.out.println("back " + pair.back.transport.metrics().snapshot());
        }
    }

    static Path randomFile(Path file, long size, Random random) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            long left = size;
            while (left > 0) {
                random.nextBytes(buffer);
                int n = (int) Math.min(buffer.length, left);
                out.write(buffer, 0, n);
                left -= n;
            }
        }
        return file;
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    static String sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(file)) {
            byte[] buffer = new byte[65536];
            int n;
            while ((n = in.read(buffer)) != -1) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
