package io.hoft.front.callback;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.front.callback.ScriptedReceiver.Received;
import io.hoft.transport.store.NodeStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the dispatcher's JVM at random moments, mid-attempt included, against a receiver
 * that fails, hangs and resets often: after the last restart every job is delivered (a 2xx was
 * answered to its webhook id at least once), each id stays the same across attempts and
 * restarts, and every request the receiver saw carries a valid signature.
 */
class CallbackCrashTest {
    private static final int REQUESTS = 30;
    private static final StandardWebhooks WEBHOOKS = DispatcherProcess.settings().webhooks();

    @TempDir
    Path root;

    @Test
    void everyJobIsDeliveredAtLeastOnceAcrossKillsWithItsWebhookIdUnchanged() throws Exception {
        SplittableRandom random = new SplittableRandom(11);
        Set<String> answered2xx = ConcurrentHashMap.newKeySet();
        try (ScriptedReceiver receiver = new ScriptedReceiver()) {
            Map<String, Integer> attemptsSeen = new ConcurrentHashMap<>();
            receiver.otherwise(request -> {
                String id = request.header("webhook-id");
                int seen = attemptsSeen.merge(id, 1, Integer::sum);
                int roll;
                synchronized (random) {
                    roll = random.nextInt(10);
                }
                if (seen <= 2 || roll < 2) { // every job fails at least twice, so each round leaves work
                    return roll % 3 == 0 ? new ScriptedReceiver.Hang() : roll % 3 == 1 ? new ScriptedReceiver.Reset()
                            : ScriptedReceiver.status(500);
                }
                answered2xx.add(id);
                return ScriptedReceiver.status(200);
            });
            int killsWithWorkPending = 0;
            for (int round = 0; round < 4; round++) {
                int before = receiver.count();
                Process process = start(receiver);
                try {
                    // Kill while deliveries are under way, not while the JVM is still starting.
                    await().atMost(Duration.ofSeconds(30)).until(() -> receiver.count() >= before + 8);
                    Thread.sleep(random.nextInt(300));
                } finally {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
                killsWithWorkPending += pending() > 0 ? 1 : 0;
            }
            assertTrue(killsWithWorkPending >= 2, "kills that interrupted work: " + killsWithWorkPending);
            Process last = start(receiver);
            try {
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                        .until(() -> answered2xx.size() == 2 * REQUESTS && pending() == 0);
            } finally {
                last.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }

            Set<String> expected = new HashSet<>();
            for (int n = 0; n < REQUESTS; n++) {
                expected.add("C" + n + "-result");
                expected.add("C" + n + "-status-transferred");
            }
            assertEquals(expected, answered2xx);
            List<Received> requests = receiver.received();
            assertTrue(requests.size() > 2 * REQUESTS + 10, "retries happened: " + requests.size() + " requests");
            assertEquals(expected, requests.stream().map(r -> r.header("webhook-id")).collect(Collectors.toSet()),
                    "no other webhook ids ever appeared");
            for (Received request : requests) {
                assertDoesNotThrow(() -> WEBHOOKS.verify(request.header("webhook-id"), request.header("webhook-timestamp"),
                        request.header("webhook-signature"), request.body(), Instant.now()));
                String id = request.header("webhook-id");
                assertTrue(request.bodyText().startsWith("{\"id\":\"" + id.substring(0, id.indexOf('-')) + "\""),
                        request.bodyText());
            }
            Map<String, Long> states = read(tx -> tx.query("SELECT state, COUNT(*) FROM callback_job GROUP BY state",
                    row -> Map.entry(row.getString(1), row.getLong(2)))).stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
            assertEquals(Map.of("delivered", (long) (2 * REQUESTS)), states);
        }
    }

    private Process start(ScriptedReceiver receiver) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx96m", "-cp", System.getProperty("java.class.path"),
                DispatcherProcess.class.getName(), root.toString(), receiver.url("/hook").toString(), Integer.toString(REQUESTS));
        builder.redirectErrorStream(true);
        builder.redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve("dispatcher.log").toFile()));
        return builder.start();
    }

    private long pending() throws IOException {
        return read(tx -> tx.queryLong("SELECT COUNT(*) FROM sqlite_master WHERE name = 'callback_job'") == 0 ? 1
                : tx.queryLong("SELECT COUNT(*) FROM callback_job WHERE state <> 'delivered'"));
    }

    private <T> T read(NodeStore.Work<T> work) throws IOException {
        try (NodeStore store = NodeStore.open(root.resolve("state"))) {
            return store.inTransaction(work);
        }
    }
}
