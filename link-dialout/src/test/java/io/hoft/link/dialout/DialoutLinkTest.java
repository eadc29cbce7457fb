package io.hoft.link.dialout;

import static io.hoft.link.dialout.DialoutFixture.BACK;
import static io.hoft.link.dialout.DialoutFixture.BACK_KEYS;
import static io.hoft.link.dialout.DialoutFixture.FRONT;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.spool.SpoolFileName;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two ends of the dial-out link without a channel above them: files go both ways whole,
 * a held file is dropped once the dialer has it, a control connection that goes silent is
 * restarted by the heartbeat timeout, and reconnection backs off as documented.
 */
class DialoutLinkTest {
    @TempDir
    Path dir;

    private DialoutFixture front;
    private DialoutClientLink back;
    private FreezableForwarder forwarder;
    private final Map<SpoolFileName, Path> arrived = new ConcurrentHashMap<>();
    private final List<SpoolFileName> arrivalOrder = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws Exception {
        DialoutFixture.closeInOrder(back, forwarder, front);
    }

    private DialoutClientLink startBack(URI url, Duration heartbeat) throws Exception {
        DialoutSettings settings = new DialoutSettings(url, null, heartbeat, 3, null,
                new DialoutSettings.Reconnect(3, Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(1), 0.3));
        DialoutClientLink link = new DialoutClientLink(BACK, FRONT, settings, DialoutFixture.keyringOf(BACK_KEYS),
                dir.resolve("back"), Clock.systemUTC());
        link.start(BACK, file -> {
            arrived.put(file.name(), file.path());
            arrivalOrder.add(file.name());
        });
        return link;
    }

    private Path file(String name, int size, long seed) throws Exception {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return Files.write(dir.resolve(name), bytes);
    }

    @Test
    void filesGoBothWaysWholeAndAHeldFileIsDroppedOnceFetched() throws Exception {
        front = new DialoutFixture(dir, Duration.ofSeconds(10));
        back = startBack(front.url(), Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(10)).until(back::connected);

        Path up = file("up", 300_000, 1);
        SpoolFileName upName = DialoutFixture.name(BACK, FRONT, 1);
        back.send(up, upName);
        await().atMost(Duration.ofSeconds(10)).until(() -> front.offered.contains(upName));
        assertArrayEquals(Files.readAllBytes(up), Files.readAllBytes(dir.resolve("front/in/" + upName)));
        await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(dir.resolve("back/out/" + upName)));

        Path down = file("down", 2_000_000, 2);
        SpoolFileName downName = DialoutFixture.name(FRONT, BACK, 1);
        front.link.send(down, downName);
        await().atMost(Duration.ofSeconds(10)).until(() -> arrived.containsKey(downName));
        assertArrayEquals(Files.readAllBytes(down), Files.readAllBytes(arrived.get(downName)));
        // the back said "fetched": the front holds it no longer
        await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(dir.resolve("front/held/" + downName)));
        assertEquals(1, front.link.connections().get(0).connections());
    }

    @Test
    void filesHeldWhileTheDialerWasAwayAreFetchedWhenItConnects() throws Exception {
        front = new DialoutFixture(dir, Duration.ofSeconds(10));
        SpoolFileName first = DialoutFixture.name(FRONT, BACK, 1);
        SpoolFileName second = DialoutFixture.name(FRONT, BACK, 2);
        front.link.send(file("a", 10, 3), first);
        front.link.send(file("b", 20, 4), second);
        front.link.retract(first); // acknowledged meanwhile: never fetched
        back = startBack(front.url(), Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(10)).until(() -> arrived.containsKey(second));
        assertFalse(arrived.containsKey(first));
    }

    @Test
    void aSilentControlConnectionIsRestartedByTheHeartbeatTimeout() throws Exception {
        front = new DialoutFixture(dir, Duration.ofSeconds(30)); // the front is patient: the dialer must notice
        forwarder = new FreezableForwarder(front.port());
        back = startBack(URI.create("http://127.0.0.1:" + forwarder.port()), Duration.ofMillis(200));
        await().atMost(Duration.ofSeconds(10)).until(back::connected);
        assertEquals(1, back.connections());

        forwarder.freezeAll(); // no FIN, no RST: only silence
        long frozenAt = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> back.connections() >= 2);
        long tookMs = (System.nanoTime() - frozenAt) / 1_000_000;
        assertTrue(tookMs >= 400 && tookMs < 5000, "restarted after " + tookMs + " ms (3 heartbeats of 200 ms, then a fast retry)");

        // and the new connection works: an announcement reaches the dialer
        SpoolFileName name = DialoutFixture.name(FRONT, BACK, 7);
        front.link.send(file("after", 1000, 5), name);
        await().atMost(Duration.ofSeconds(10)).until(() -> arrived.containsKey(name));
    }

    @Test
    void reconnectionMakesAFewFastAttemptsThenBacksOffExponentiallyUpToTheCap() {
        DialoutSettings.Reconnect reconnect = DialoutSettings.Reconnect.DEFAULT;
        SplittableRandom random = new SplittableRandom(1);
        for (int failures = 1; failures <= 3; failures++) {
            long ms = reconnect.delayMillis(failures, random);
            assertTrue(ms >= 175 && ms <= 325, failures + ": " + ms);
        }
        long[] expected = {1000, 2000, 4000, 8000, 16000, 30000, 30000};
        for (int i = 0; i < expected.length; i++) {
            long ms = reconnect.delayMillis(4 + i, random);
            assertTrue(ms >= expected[i] * 0.7 && ms <= expected[i] * 1.3, (4 + i) + ": " + ms);
        }
        assertTrue(reconnect.delayMillis(1000, random) <= 39_000, "capped however many failures");
    }

    @Test
    void controlMessagesAreCheckedAndUnknownTypesPassed() {
        assertEquals("available", ControlMessage.decode(ControlMessage.available(DialoutFixture.name(FRONT, BACK, 1), 5).encode())
                .type());
        assertEquals("future-thing", ControlMessage.decode("{\"type\":\"future-thing\",\"x\":1}").type());
        assertThrows(IllegalArgumentException.class, () -> ControlMessage.decode("[1]"));
        assertThrows(IllegalArgumentException.class, () -> ControlMessage.decode("{\"name\":\"x\"}"));
        assertThrows(IllegalArgumentException.class, () -> ControlMessage.decode("{\"type\":\"available\",\"name\":\"../etc/passwd\",\"size\":1}"));
        assertThrows(IllegalArgumentException.class, () -> ControlMessage.decode("{\"type\":\"fetched\"}"));
        assertThrows(IllegalArgumentException.class, () -> ControlMessage.decode("{\"type\":\"ping\",\"at\":\"soon\"}"));
        assertThrows(IllegalArgumentException.class, () -> ControlMessage.decode("{\"type\":\"hello\",\"node\":\"back\"}"));
        assertThrows(IllegalArgumentException.class, () -> ControlMessage.decode("x".repeat(ControlMessage.MAX_CHARS + 1)));
    }
}
