package io.hoft.transport.channel;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.link.MirrorFaults;
import io.hoft.transport.link.WatchMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A link with no inotify at all (a network share), polled at a long interval, with a mirror
 * slower than the resend timeout: acks always come late, files are resent many times, and
 * still every message is delivered exactly once and the spools drain.
 */
class SlowLinkTest {
    @TempDir
    Path root;

    @Test
    void pollingOnlyLinkWithAcksSlowerThanTheResendTimeoutDeliversExactlyOnce() throws Exception {
        ChannelConfig config = ChannelConfig.DEFAULT.withFastTimers().toBuilder()
                .resend(new Backoff(Duration.ofMillis(300), 1.5, Duration.ofSeconds(2), 0.2))
                .minNackResendInterval(Duration.ofMillis(200))
                .reorderWindow(Duration.ofSeconds(5))
                .build();
        MirrorFaults slow = new MirrorFaults(0, 0, 0, 0, 0, Duration.ofMillis(1500), Duration.ZERO, 5);
        try (LinkedPair pair = new LinkedPair(root, config, slow, WatchMode.POLL, Duration.ofSeconds(2)).start()) {
            for (int i = 0; i < 50; i++) {
                pair.front.send(("slow " + i).getBytes());
                pair.back.send(("slow back " + i).getBytes());
            }
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() ->
                    pair.back.received().size() == 50 && pair.front.received().size() == 50
                            && pair.front.unsettled() == 0 && pair.back.unsettled() == 0);
            for (Map<String, Long> ledger : java.util.List.of(pair.front.received(), pair.back.received())) {
                ledger.values().forEach(deliveries -> assertEquals(1L, deliveries));
            }
            long resends = pair.front.transport.metrics().total("hoft_files_resent_total");
            long duplicates = pair.back.transport.metrics().total("hoft_files_duplicate_total");
            System.out.printf("slow link: %d resends by front, %d duplicates dropped by back%n", resends, duplicates);
            assertTrue(resends > 0, "acks slower than the resend timeout cause resends");
        }
    }
}
