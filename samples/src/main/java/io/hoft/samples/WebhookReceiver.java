package io.hoft.samples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * A webhook receiver on the JDK's own HTTP server: {@code POST /webhook} takes result callbacks,
 * {@code POST /status} status events. Each delivery is verified ({@link WebhookVerifier}): a bad
 * one gets 401 and is dropped; a good one gets 204, once per {@code webhook-id} (a repeat is
 * acknowledged again but not handled again).
 */
public final class WebhookReceiver implements AutoCloseable {

    /** One verified delivery. {@code requestId} comes from {@code Hoft-Request-Id}. */
    public record Callback(String webhookId, String requestId, String contentType, String hoftStatus, byte[] body) {
        /** The {@code status} field of a JSON callback, or {@code Hoft-Status} of a raw one. */
        public String status() {
            if (hoftStatus != null) {
                return "responded";
            }
            try {
                return new ObjectMapper().readTree(body).path("status").asText(null);
            } catch (IOException e) {
                return null;
            }
        }

        public JsonNode json() throws IOException {
            return new ObjectMapper().readTree(body);
        }
    }

    private final HttpServer server;
    private final WebhookVerifier verifier;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();
    private final Map<String, CompletableFuture<Callback>> results = new ConcurrentHashMap<>();
    private volatile Consumer<Callback> statusListener = callback -> { };
    private volatile Consumer<String> refusalListener = reason -> { };

    private WebhookReceiver(HttpServer server, WebhookVerifier verifier) {
        this.server = server;
        this.verifier = verifier;
    }

    /** Listens on {@code host:port} (0 for any free port). */
    public static WebhookReceiver start(String host, int port, WebhookVerifier verifier) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
        WebhookReceiver receiver = new WebhookReceiver(server, verifier);
        server.createContext("/webhook", exchange -> receiver.receive(exchange, true));
        server.createContext("/status", exchange -> receiver.receive(exchange, false));
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        return receiver;
    }

    public URI resultUrl() {
        return url("/webhook");
    }

    public URI statusUrl() {
        return url("/status");
    }

    private URI url(String path) {
        InetSocketAddress address = server.getAddress();
        return URI.create("http://" + address.getHostString() + ":" + address.getPort() + path);
    }

    /** Completes with the result callback of {@code requestId}, whenever it arrives (before this call too). */
    public CompletableFuture<Callback> resultOf(String requestId) {
        return results.computeIfAbsent(requestId, id -> new CompletableFuture<>());
    }

    public void onStatus(Consumer<Callback> listener) {
        this.statusListener = listener;
    }

    public void onRefusal(Consumer<String> listener) {
        this.refusalListener = listener;
    }

    private void receive(HttpExchange exchange, boolean result) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readAllBytes(); // verify the raw bytes, before any parsing
            String webhookId = exchange.getRequestHeaders().getFirst("webhook-id");
            if (!exchange.getRequestMethod().equals("POST")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            try {
                verifier.verify(webhookId, exchange.getRequestHeaders().getFirst("webhook-timestamp"),
                        exchange.getRequestHeaders().getFirst("webhook-signature"), body);
            } catch (GeneralSecurityException e) {
                refusalListener.accept(e.getMessage());
                exchange.sendResponseHeaders(401, -1);
                return;
            }
            // Acknowledge first, then handle: a slow handler must not make the sender time out and retry.
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
            if (seen.add(webhookId)) {
                Callback callback = new Callback(webhookId, requestId(exchange, body),
                        exchange.getRequestHeaders().getFirst("Content-Type"),
                        exchange.getRequestHeaders().getFirst("Hoft-Status"), body);
                if (result) {
                    resultOf(callback.requestId()).complete(callback);
                } else {
                    statusListener.accept(callback);
                }
            }
        }
    }

    /** The request a callback is about: {@code Hoft-Request-Id}, else the JSON's {@code id}. */
    private static String requestId(HttpExchange exchange, byte[] body) {
        String header = exchange.getRequestHeaders().getFirst("Hoft-Request-Id");
        if (header != null) {
            return header;
        }
        try {
            return new ObjectMapper().readTree(body).path("id").asText("");
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
