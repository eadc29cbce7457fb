package io.hoft.transport.channel;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hoft.transport.link.MirrorFaults;
import io.hoft.transport.link.WatchMode;
import io.hoft.transport.message.MessageId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeliveryTest {
    @TempDir
    Path root;

    @Test
    void messagesBothWaysArriveExactlyOnceOverCleanMirrors() throws Exception {
        try (LinkedPair pair = new LinkedPair(root, ChannelConfig.DEFAULT.withFastTimers(), MirrorFaults.NONE,
                WatchMode.BOTH, Duration.ofMillis(200)).start()) {
            List<MessageId> toBack = new ArrayList<>();
            List<MessageId> toFront = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                toBack.add(pair.front.send(("hello " + i).getBytes()));
                toFront.add(pair.back.send(("world " + i).getBytes()));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> pair.back.received().size() == 100 && pair.front.received().size() == 100);
            await().atMost(Duration.ofSeconds(30)).until(() -> pair.front.unsettled() == 0 && pair.back.unsettled() == 0);
            for (Map.Entry<String, Long> e : pair.back.received().entrySet()) {
                assertEquals(1L, e.getValue(), "deliveries of " + e.getKey());
            }
            System.out.println("front metrics " + pair.front.transport.metrics().snapshot());
            System.out.println("back health " + pair.back.transport.health());
        }
    }
}
