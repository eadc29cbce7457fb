package io.hoft.tools.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.function.IntUnaryOperator;

/**
 * A webhook endpoint that records every delivery attempt as it arrived (signature headers, body,
 * when) and answers by script: attempt N (from 1) gets the status the script returns, where
 * {@link #DROP} closes the connection without an answer.
 */
final class HookRecorder implements AutoCloseable {
    static final int DROP = -1;

    /** One attempt as received, and the status it was answered with. */
    record Attempt(String webhookId, String timestamp, String signature, String requestId, byte[] body, Instant receivedAt,
            int answered) {}

    private final HttpServer server;
    private final List<Attempt> attempts = Collections.synchronizedList(new ArrayList<>());
    private final IntUnaryOperator script;

    HookRecorder(IntUnaryOperator script) throws IOException {
        this.script = script;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hook", this::receive);
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook");
    }

    List<Attempt> attempts() {
        synchronized (attempts) {
            return List.copyOf(attempts);
        }
    }

    private void receive(HttpExchange exchange) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        int status = script.applyAsInt(attempts.size() + 1);
        attempts.add(new Attempt(exchange.getRequestHeaders().getFirst("webhook-id"),
                exchange.getRequestHeaders().getFirst("webhook-timestamp"),
                exchange.getRequestHeaders().getFirst("webhook-signature"),
                exchange.getRequestHeaders().getFirst("Hoft-Request-Id"), body, Instant.now(), status));
        if (status == DROP) { // no answer at all: the JDK server closes a connection whose exchange sent no headers
            exchange.close();
            return;
        }
        exchange.sendResponseHeaders(status, -1);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
