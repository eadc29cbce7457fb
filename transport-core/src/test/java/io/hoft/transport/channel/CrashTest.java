package io.hoft.transport.channel;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.keys.NodeKeys;
import io.hoft.transport.link.Mirror;
import io.hoft.transport.link.MirrorFaults;
import io.hoft.transport.store.NodeStore;
import io.hoft.transport.testing.TestNodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both nodes run as real processes and are killed with SIGKILL at random moments while
 * traffic flows both ways through lossy mirrors, then restarted: in the end every planned
 * message was delivered exactly once, and nothing is left unacknowledged.
 */
class CrashTest {
    @TempDir
    Path root;

    private final Map<String, Process> processes = new HashMap<>();

    @Test
    void nodesKilledWithSigkillMidTrafficLoseNothingAndDeliverNothingTwice() throws Exception {
        int count = Boolean.getBoolean("hoft.long") ? 2000 : 400;
        int kills = Boolean.getBoolean("hoft.long") ? 20 : 6;
        Files.createDirectories(root.resolve("keys"));
        for (NodeKeys keys : List.of(TestNodes.frontKeys(), TestNodes.backKeys())) {
            String role = keys.node().value();
            KeyFiles.writePrivate(root.resolve("keys/" + role + ".jwks"), keys.toJwkSet(), true);
            KeyFiles.writePublic(root.resolve("keys/" + role + ".pub.jwks"), keys.publicKeys().toJwkSet(), true);
        }
        MirrorFaults faults = new MirrorFaults(0.05, 0.05, 0.02, 0.01, 0.2, Duration.ZERO, Duration.ofMillis(300), 9);
        try (Mirror a = new Mirror(root.resolve("link/front-out"), root.resolve("link/back-in"), Mirror.Mode.MOVE, faults,
                Duration.ofMillis(20), false).start();
             Mirror b = new Mirror(root.resolve("link/back-out"), root.resolve("link/front-in"), Mirror.Mode.MOVE, faults,
                Duration.ofMillis(20), false).start()) {
            start("front", count);
            start("back", count);
            Random random = new Random(3);
            for (int i = 0; i < kills; i++) {
                Thread.sleep(300 + random.nextInt(1500));
                String victim = random.nextBoolean() ? "front" : "back";
                processes.get(victim).destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                Thread.sleep(random.nextInt(500));
                start(victim, count);
            }
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1)).until(() ->
                    received("back").size() == count && received("front").size() == count
                            && unsettled("front") == 0 && unsettled("back") == 0);
            for (String role : List.of("front", "back")) {
                Map<String, Long> deliveries = received(role);
                String peer = role.equals("front") ? "back" : "front";
                List<String> planned = planned(peer);
                assertEquals(count, planned.size(), "messages planned by " + peer);
                for (String id : planned) {
                    assertEquals(1L, deliveries.getOrDefault(id, 0L), "deliveries of " + id + " at " + role);
                }
            }
        } finally {
            for (Process p : processes.values()) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private void start(String role, int count) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                NodeProcess.class.getName(), role, root.toString(), Integer.toString(count));
        builder.redirectErrorStream(true);
        builder.redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve(role + ".log").toFile()));
        processes.put(role, builder.start());
    }

    private <T> T read(String role, NodeStore.Work<T> work) throws IOException {
        // A second connection from this process: SQLite coordinates with the node's own.
        try (NodeStore store = NodeStore.open(root.resolve(role))) {
            return store.inTransaction(work);
        }
    }

    private Map<String, Long> received(String role) throws IOException {
        return read(role, tx -> {
            Map<String, Long> map = new HashMap<>();
            if (tx.queryLong("SELECT COUNT(*) FROM sqlite_master WHERE name = 'received'") > 0) {
                tx.query("SELECT id, deliveries FROM received", row -> map.put(row.getString(1), row.getLong(2)));
            }
            return map;
        });
    }

    private long unsettled(String role) throws IOException {
        return read(role, tx -> tx.queryLong("SELECT COUNT(*) FROM sqlite_master WHERE name = 'out_message'") == 0 ? 1
                : tx.queryLong("SELECT COUNT(*) FROM out_message WHERE state NOT IN ('acked', 'expired')"));
    }

    private List<String> planned(String role) throws IOException {
        return read(role, tx -> new ArrayList<>(tx.query("SELECT id FROM plan ORDER BY n", row -> row.getString(1))));
    }
}
