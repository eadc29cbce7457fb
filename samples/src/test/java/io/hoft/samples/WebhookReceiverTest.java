package io.hoft.samples;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WebhookReceiverTest {
    private static final String SECRET = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    private final HttpClient http = HttpClient.newHttpClient();

    private int post(URI url, String webhookId, long timestamp, String body, String signature) throws Exception {
        return http.send(HttpRequest.newBuilder(url)
                .header("webhook-id", webhookId)
                .header("webhook-timestamp", Long.toString(timestamp))
                .header("webhook-signature", signature)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void aRepeatedWebhookIdIsAcknowledgedButHandledOnce() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start("127.0.0.1", 0, new WebhookVerifier(SECRET))) {
            List<String> events = new CopyOnWriteArrayList<>();
            receiver.onStatus(event -> events.add(event.status()));
            String body = "{\"id\":\"R1\",\"status\":\"queued\",\"at\":\"2026-11-22T12:00:00.000Z\"}";
            long now = Instant.now().getEpochSecond();
            assertEquals(204, post(receiver.statusUrl(), "R1-status-queued", now, body, sign("R1-status-queued", now, body)));
            assertEquals(204, post(receiver.statusUrl(), "R1-status-queued", now + 1, body, sign("R1-status-queued", now + 1, body)));
            await().atMost(Duration.ofSeconds(5)).until(() -> events.size() == 1);
            Thread.sleep(100);
            assertEquals(List.of("queued"), events);
        }
    }

    @Test
    void aResultWithoutHoftRequestIdIsMatchedByTheJsonId() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start("127.0.0.1", 0, new WebhookVerifier(SECRET))) {
            String body = "{\"id\":\"R2\",\"status\":\"failed\",\"error\":\"upstream-unreachable\"}";
            long now = Instant.now().getEpochSecond();
            assertEquals(204, post(receiver.resultUrl(), "R2-result", now, body, sign("R2-result", now, body)));
            assertEquals("failed", receiver.resultOf("R2").get(5, TimeUnit.SECONDS).status());
        }
    }

    @Test
    void aBadSignatureIs401AndReported() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start("127.0.0.1", 0, new WebhookVerifier(SECRET))) {
            List<String> refusals = new CopyOnWriteArrayList<>();
            receiver.onRefusal(refusals::add);
            long now = Instant.now().getEpochSecond();
            String signature = sign("R3-result", now, "{\"id\":\"R3\"}");
            assertEquals(401, post(receiver.resultUrl(), "R3-result", now, "{\"id\":\"R4\"}", signature));
            assertEquals(List.of("no valid signature"), refusals);
        }
    }

    private static String sign(String id, long timestamp, String body) throws Exception {
        return TestSigning.sign(SECRET, id, timestamp, body);
    }
}
