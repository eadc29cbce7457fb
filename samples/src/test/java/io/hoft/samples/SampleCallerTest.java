package io.hoft.samples;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The caller against a fake front that speaks the contract's three modes, and in async mode
 * first sends a forged callback, then a status event, then the real result.
 */
class SampleCallerTest {
    private static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));

    private HttpServer front;
    private final List<Integer> callbackAnswers = new CopyOnWriteArrayList<>();
    private final AtomicInteger polls = new AtomicInteger();
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void startFakeFront() throws IOException {
        front = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        front.createContext("/echo", this::call);
        front.createContext("/_hoft/requests/", this::requests);
        front.start();
    }

    @AfterEach
    void stop() {
        front.stop(0);
    }

    private SampleCaller caller() {
        return new SampleCaller(URI.create("http://127.0.0.1:" + front.getAddress().getPort()), "/echo", Duration.ofSeconds(10));
    }

    @Test
    void syncPrintsTheApisOwnAnswer() throws Exception {
        assertTrue(caller().sync());
    }

    @Test
    void asyncWaitsForTheSignedCallbackAndRefusesAForgedOne() throws Exception {
        assertTrue(caller().async(new WebhookVerifier(SECRET), 0));
        await().atMost(Duration.ofSeconds(5)).until(() -> callbackAnswers.size() == 3);
        assertEquals(List.of(401, 204, 204), callbackAnswers, "forged result, status event, result");
    }

    @Test
    void pollAsksUntilTheCallIsDoneThenFetchesTheResponse() throws Exception {
        assertTrue(caller().poll());
        assertEquals(3, polls.get());
    }

    private void call(HttpExchange exchange) throws IOException {
        exchange.getRequestBody().readAllBytes();
        String callback = exchange.getRequestHeaders().getFirst("Hoft-Callback");
        String statusCallback = exchange.getRequestHeaders().getFirst("Hoft-Status-Callback");
        if (callback != null) {
            respond(exchange, 202, "A1", "{\"id\":\"A1\",\"status\":\"queued\"}");
            new Thread(() -> deliver(callback, statusCallback)).start();
        } else if ("respond-async".equals(exchange.getRequestHeaders().getFirst("Prefer"))) {
            respond(exchange, 202, "P1", "{\"id\":\"P1\",\"status\":\"queued\"}");
        } else {
            respond(exchange, 200, "S1", "{\"echoed\":true}");
        }
    }

    private void requests(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        if (path.endsWith("/response")) {
            respond(exchange, 200, "P1", "{\"polled\":true}");
        } else {
            String status = polls.incrementAndGet() < 3 ? "transferred" : "responded";
            respond(exchange, 200, "P1", "{\"id\":\"P1\",\"status\":\"" + status + "\"}");
        }
    }

    private void deliver(String callback, String statusCallback) {
        try {
            String result = "{\"id\":\"A1\",\"status\":\"responded\",\"response\":{\"status\":200,\"headers\":[],"
                    + "\"body\":\"hi\",\"bodyEncoding\":\"utf-8\"}}";
            long now = Instant.now().getEpochSecond();
            callbackAnswers.add(post(callback, "A1-result", now, result, "v1,"
                    + Base64.getEncoder().encodeToString(new byte[32])));
            callbackAnswers.add(post(statusCallback, "A1-status-transferred", now,
                    "{\"id\":\"A1\",\"status\":\"transferred\",\"at\":\"2026-11-22T12:00:00.000Z\"}", null));
            callbackAnswers.add(post(callback, "A1-result", now, result, null));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private int post(String url, String webhookId, long timestamp, String body, String forgedSignature) throws Exception {
        String signature = forgedSignature != null ? forgedSignature : TestSigning.sign(SECRET, webhookId, timestamp, body);
        return http.send(HttpRequest.newBuilder(URI.create(url))
                .header("webhook-id", webhookId)
                .header("webhook-timestamp", Long.toString(timestamp))
                .header("webhook-signature", signature)
                .header("Hoft-Request-Id", "A1")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static void respond(HttpExchange exchange, int status, String id, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Hoft-Request-Id", id);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        if (status == 202) {
            exchange.getResponseHeaders().add("Location", "/_hoft/requests/" + id);
        }
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }
}
