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
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Calls that outlive their TTL while the back is down: with {@code front.requestTtl: 2s} a sync
 * caller that would wait longer gets 504 {@code Hoft-Error: expired}; a call with
 * {@code Hoft-Ttl: 1} gets a signed callback {@code "status": "expired"} with an error, the
 * status events {@code queued, expired}, and its poll shows {@code expired} (its response 504).
 * When the back comes up afterwards, the expired calls never reach the callee.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ExpiryTest {
    Chain chain;
    WebhookReceiver receiver;
    final Map<String, List<String>> statusEvents = new ConcurrentHashMap<>();

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        chain = Chain.in(dir).withoutBack().front("HOFT_FRONT_REQUEST_TTL", "2s").start();
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
    @Order(1)
    void syncCallerGets504ExpiredWhenTheTtlEndsBeforeTheWait() throws Exception {
        HttpResponse<byte[]> response = chain.send(chain.request("/echo").header("X-Test-Id", "expiry-sync")
                .header("Prefer", "wait=20").GET());

        assertEquals(504, response.statusCode(), text(response));
        assertEquals("expired", response.headers().firstValue("Hoft-Error").orElse(null));
        String id = response.headers().firstValue("Hoft-Request-Id").orElseThrow();
        assertEquals("expired", json(response).path("status").asText());
        assertEquals("expired", chain.state(id).path("status").asText());
    }

    @Test
    @Order(2)
    void asyncCallWithShortHoftTtlEndsInAnExpiredCallbackAndPoll() throws Exception {
        String id = acceptedId(chain.send(chain.request("/echo").header("X-Test-Id", "expiry-async")
                .header("Hoft-Ttl", "1")
                .header("Hoft-Callback", receiver.resultUrl().toString())
                .header("Hoft-Status-Callback", receiver.statusUrl().toString())
                .POST(BodyPublishers.ofString("too late"))));

        JsonNode callback = receiver.resultOf(id).get(30, TimeUnit.SECONDS).json();
        assertEquals(id, callback.path("id").asText());
        assertEquals("expired", callback.path("status").asText());
        assertEquals("expired", callback.path("error").asText());
        JsonNode state = chain.state(id);
        assertEquals("expired", state.path("status").asText());
        assertEquals("expired", state.path("error").asText());
        HttpResponse<byte[]> response = chain.send(chain.request("/_hoft/requests/" + id + "/response").GET());
        assertEquals(504, response.statusCode());
        assertEquals("expired", response.headers().firstValue("Hoft-Error").orElse(null));
        await().atMost(Chain.WAIT).until(() -> statusEvents.getOrDefault(id, List.of()).contains("expired"));
        assertEquals(List.of("queued", "expired"), statusEvents.get(id));
    }

    @Test
    @Order(3)
    void expiredCallsNeverReachTheCalleeOnceTheBackIsUp() throws Exception {
        chain.startBack();
        // a fresh call goes through, so the back has read the link folder with the expired calls in it
        HttpResponse<byte[]> fresh = chain.send(chain.request("/echo").header("X-Test-Id", "expiry-fresh").GET());
        assertEquals(200, fresh.statusCode(), text(fresh));
        // the expired ones may still be in the folder; give the back a few poll intervals to (not) call them
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
                .until(() -> chain.calleeCount("expiry-sync") + chain.calleeCount("expiry-async") == 0);
        assertEquals(1, chain.calleeCount("expiry-fresh"));
    }
}
