package io.hoft.front;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.MessageId;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The front's side of a new attempt under the same id ({@code /_hoft/admin/requests/{id}/attempt}):
 * the REQUEST goes again as a new message naming the request and its attempt number, the call
 * is open again, answers are matched by the current attempt's message id (an answer naming an
 * earlier attempt changes nothing), and a call that may have reached its callee is refused.
 */
class SameIdAttemptTest {
    @TempDir
    Path root;

    @Test
    void aCallIsSentAgainUnderItsIdAndOnlyTheCurrentAttemptsAnswerCounts() throws Exception {
        try (FrontFixture fixture = FrontFixture.in(root).start()) {
            Map<String, TestBack.Call> attempts = new ConcurrentHashMap<>();
            fixture.back.respondWith((call, back) -> {
                attempts.put(call.request().target() + "#" + call.request().attempt(), call);
                if (call.request().attempt() == 1) {
                    back.error(call, 502, call.request().target().equals("/slow") ? "upstream-timeout" : "upstream-unreachable");
                }
                // later attempts: the test answers them itself
            });
            byte[] body = "{\"order\":7}".getBytes(StandardCharsets.UTF_8);
            HttpResponse<byte[]> failed = fixture.post("/orders", body, "Content-Type", "application/json");
            assertEquals(502, failed.statusCode());
            String id = failed.headers().firstValue("Hoft-Request-Id").orElseThrow();
            assertEquals("failed", fixture.poll(id).get("status").asText());

            HttpResponse<String> started = admin(fixture, id, "attempt");
            assertEquals(200, started.statusCode(), started.body());
            JsonNode result = FrontFixture.JSON.readTree(started.body());
            assertEquals(id, result.get("id").asText());
            assertEquals(2, result.get("attempt").asInt());
            await().atMost(Duration.ofSeconds(30)).until(() -> attempts.containsKey("/orders#2"));
            TestBack.Call second = attempts.get("/orders#2");
            assertNotEquals(id, second.id().value(), "a new message id");
            assertEquals(MessageId.of(id), second.request().requestId());
            assertEquals("POST", second.request().method());
            assertEquals("/orders", second.request().target());
            assertArrayEquals(body, second.body());
            JsonNode open = fixture.poll(id);
            assertTrue(List.of("queued", "transferred").contains(open.get("status").asText()), open.toString());
            assertEquals(2, open.get("attempt").asInt());
            assertEquals(409, admin(fixture, id, "attempt").statusCode(), "an open call is not sent again");

            // An answer naming the first attempt's message is not the current attempt's: ignored.
            fixture.back.reply(attempts.get("/orders#1"), 200, "OK", List.of(), "stale".getBytes(StandardCharsets.UTF_8));
            Thread.sleep(1500);
            assertTrue(List.of("queued", "transferred").contains(fixture.poll(id).get("status").asText()));

            fixture.back.delivered(second);
            fixture.back.reply(second, 201, "Created", List.of(new HeaderField("Content-Type", "text/plain")),
                    "made".getBytes(StandardCharsets.UTF_8));
            JsonNode responded = fixture.awaitStatus(id, "responded");
            assertEquals(201, responded.get("response").get("status").asInt());
            HttpResponse<byte[]> response = fixture.get("/_hoft/requests/" + id + "/response");
            assertEquals(201, response.statusCode());
            assertEquals("made", new String(response.body(), StandardCharsets.UTF_8));
            assertEquals(1, fixture.back.deliveries(second.id().value()));

            // A call that may have reached its callee is refused under its own id.
            HttpResponse<byte[]> slow = fixture.post("/slow", new byte[0]);
            assertEquals(502, slow.statusCode());
            String slowId = slow.headers().firstValue("Hoft-Request-Id").orElseThrow();
            HttpResponse<String> refused = admin(fixture, slowId, "attempt");
            assertEquals(409, refused.statusCode(), refused.body());
            assertEquals("not-safe", refused.headers().firstValue("Hoft-Error").orElse(""));
            assertTrue(refused.body().contains("upstream-timeout"), refused.body());
            Thread.sleep(1000);
            assertEquals("failed", fixture.poll(slowId).get("status").asText());
            assertEquals(List.of("/orders#1", "/orders#2", "/slow#1"), attempts.keySet().stream().sorted().toList());
        }
    }

    private static HttpResponse<String> admin(FrontFixture fixture, String id, String action) throws Exception {
        JsonNode file = FrontFixture.JSON.readTree(Files.readString(fixture.root.resolve("state/front/admin.json")));
        return fixture.http.send(HttpRequest.newBuilder(URI.create(file.get("url").asText() + "requests/" + id + "/" + action))
                .header("Authorization", "Bearer " + file.get("token").asText()).POST(HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
