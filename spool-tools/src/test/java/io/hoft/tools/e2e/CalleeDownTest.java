package io.hoft.tools.e2e;

import static io.hoft.tools.e2e.Chain.json;
import static io.hoft.tools.e2e.Chain.text;
import static io.hoft.tools.e2e.ModesTest.acceptedId;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.hoft.samples.WebhookReceiver;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The callee's port is closed (nothing listens): the back tries {@code retry.maxRetries + 1}
 * times to connect (kept fast here: 1 retry after 100 ms), then answers for the callee. A sync
 * caller gets 502 with {@code Hoft-Error: upstream-unreachable}; an async caller gets a signed
 * callback with {@code "status": "failed"} and that error, and the status events end in
 * {@code failed}; a poll shows the same.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CalleeDownTest {
    Chain chain;
    WebhookReceiver receiver;
    final Map<String, List<String>> statusEvents = new ConcurrentHashMap<>();

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        chain = Chain.in(dir).upstream("http://127.0.0.1:" + Chain.closedPort())
                .back("HOFT_BACK_RETRY_MAX_RETRIES", "1")
                .back("HOFT_BACK_RETRY_DELAY", "100ms")
                .start();
        receiver = WebhookReceiver.start("127.0.0.1", 0, chain.verifier());
        receiver.onStatus(event -> statusEvents.computeIfAbsent(event.requestId(), id -> new CopyOnWriteArrayList<>())
                .add(event.status()));
    }

    @AfterAll
    void stop() throws Exception {
        if (receiver != null) {
            receiver.close();
        }
        if (chain != null) {
            chain.close();
        }
    }

    @Test
    void syncCallerGets502UpstreamUnreachable() throws Exception {
        HttpResponse<byte[]> response = chain.send(chain.request("/echo").POST(BodyPublishers.ofString("anyone there?")));

        assertEquals(502, response.statusCode(), text(response));
        assertEquals("upstream-unreachable", response.headers().firstValue("Hoft-Error").orElse(null));
        String id = response.headers().firstValue("Hoft-Request-Id").orElseThrow();
        assertEquals("upstream-unreachable", json(response).path("error").asText());
        JsonNode state = chain.state(id);
        assertEquals("failed", state.path("status").asText());
        assertEquals("upstream-unreachable", state.path("error").asText());
    }

    @Test
    void asyncCallerGetsAFailedCallbackWithTheError() throws Exception {
        String id = acceptedId(chain.send(chain.request("/echo")
                .header("Hoft-Callback", receiver.resultUrl().toString())
                .header("Hoft-Status-Callback", receiver.statusUrl().toString())
                .POST(BodyPublishers.ofString("call me back"))));

        JsonNode callback = receiver.resultOf(id).get(30, TimeUnit.SECONDS).json();
        assertEquals(id, callback.path("id").asText());
        assertEquals("failed", callback.path("status").asText());
        assertEquals("upstream-unreachable", callback.path("error").asText());
        await().atMost(Chain.WAIT).until(() -> statusEvents.getOrDefault(id, List.of()).contains("failed"));
        List<String> events = statusEvents.get(id);
        assertEquals("queued", events.get(0));
        assertEquals("failed", events.get(events.size() - 1));
        assertEquals(List.of(), events.stream().filter("responded"::equals).toList(), "a failure is never 'responded'");
        assertEquals("failed", chain.state(id).path("status").asText());
    }
}
