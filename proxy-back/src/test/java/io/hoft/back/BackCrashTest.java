package io.hoft.back;

import static io.hoft.back.BackHarness.fields;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hoft.transport.message.MessageId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The back runs as a real process and is killed with SIGKILL while a call is in flight, with a
 * second request queued behind it; a third arrives while it is down. After the restart the
 * front gets exactly one RESPONSE per request id, and the callee saw each id at most once: the
 * interrupted call is answered 502 upstream-interrupted without calling again, the others are
 * called once.
 */
class BackCrashTest {
    @TempDir
    Path root;

    @Test
    void aBackKilledDuringACallAnswersEveryRequestOnceAndCallsNoIdTwice() throws Exception {
        try (RawCallee callee = RawCallee.start(null)) {
            callee.script((request, out) -> {
                if (request.headText().startsWith("POST /hang ")) {
                    return callee.hang().answer(request, out);
                }
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
                return true;
            });
            BackHarness harness = new BackHarness(root, String.join("\n",
                    "  upstreams:",
                    "    api: {url: '" + callee.url() + "', maxConcurrent: 1, responseTimeout: 60s}"));
            Path log = root.resolve("back.log");
            Process back = BackProcess.start(harness.config, "128m", log);
            try (harness) {
                harness.startFront();
                MessageId inFlight = harness.send("POST", "/hang", "api", fields("Host", "h"), "pay 1".getBytes());
                // The second request is sent once the first holds the callee's one permit, so it
                // is queued behind it whatever order the link delivers files in.
                await().atMost(Duration.ofSeconds(30)).until(() -> state(harness, inFlight).equals("calling"));
                MessageId queued = harness.send("POST", "/later", "api", fields("Host", "h"), "pay 2".getBytes());
                await().atMost(Duration.ofSeconds(30)).until(() -> state(harness, inFlight).equals("calling")
                        && state(harness, queued).equals("queued"));
                callee.awaitRequests(1, 10_000);

                back.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                MessageId whileDown = harness.send("POST", "/while-down", "api", fields("Host", "h"), "pay 3".getBytes());
                back = BackProcess.start(harness.config, "128m", log);

                BackHarness.Delivered interrupted = harness.awaitResponse(inFlight, Duration.ofSeconds(60));
                assertEquals(502, interrupted.envelope().status());
                assertEquals("upstream-interrupted", interrupted.header("Hoft-Error"));
                assertEquals(200, harness.awaitResponse(queued, Duration.ofSeconds(60)).envelope().status());
                assertEquals(200, harness.awaitResponse(whileDown, Duration.ofSeconds(60)).envelope().status());
                Thread.sleep(1500);
                for (MessageId id : List.of(inFlight, queued, whileDown)) {
                    assertEquals(1, harness.responses(id).size(), "RESPONSE messages for " + id);
                }
                Map<String, Integer> calls = new TreeMap<>();
                for (RawCallee.Recorded request : callee.requests()) {
                    calls.merge(request.headText().substring(0, request.headText().indexOf(" HTTP/1.1")), 1, Integer::sum);
                }
                assertEquals(Map.of("POST /hang", 1, "POST /later", 1, "POST /while-down", 1), calls);
            } finally {
                back.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static String state(BackHarness harness, MessageId id) throws Exception {
        return harness.readBack(tx -> {
            if (tx.queryLong("SELECT COUNT(*) FROM sqlite_master WHERE name = 'back_request'") == 0) {
                return "";
            }
            return tx.queryOne("SELECT state FROM back_request WHERE id = ?", row -> row.getString(1), id.value()).orElse("");
        });
    }
}
