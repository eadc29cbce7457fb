package io.hoft.front.internal;

import io.hoft.front.StoredResponse;
import io.hoft.transport.message.CallError;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.store.BodyFiles;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;
import org.xnio.channels.Channels;
import org.xnio.channels.StreamSinkChannel;

/**
 * Writes answers on blocking exchanges: a stored response as the callee sent it, and the
 * front's own JSON answers (202, errors).
 *
 * <p>A stored response goes out with the callee's status, reason phrase and header fields,
 * each value byte for byte (Undertow writes every char of a value as one byte) and repeats of
 * one name in their order; Undertow's header map keeps no order between different names, so
 * fields of different names may come out in another order than the callee's (RFC 9110 section
 * 5.3: that order carries no meaning). The front sets {@code Hoft-Request-Id}, for a response
 * the back made itself {@code Hoft-Error}, and {@code Content-Length} from the stored body when
 * a body goes out; any callee fields of those names are replaced. HEAD answers and 1xx, 204
 * and 304 statuses carry no body and keep the callee's fields as they are, with two changes
 * Undertow makes: it drops {@code Content-Length} from a 304, and a HEAD answer whose callee
 * sent no {@code Content-Length} says {@code Transfer-Encoding: chunked}.
 */
final class ReplyWriter {
    static final HttpString REQUEST_ID = new HttpString("Hoft-Request-Id");
    static final HttpString ERROR = new HttpString("Hoft-Error");
    private static final HttpString RETRY_AFTER = new HttpString("Retry-After");

    private static final Logger log = LoggerFactory.getLogger(ReplyWriter.class);

    /** A handler's work on a blocking exchange. */
    @FunctionalInterface
    interface Work {
        void run() throws IOException;
    }

    private final BodyFiles bodies;
    private final FrontMetrics metrics;

    ReplyWriter(BodyFiles bodies, FrontMetrics metrics) {
        this.bodies = bodies;
        this.metrics = metrics;
    }

    /**
     * Runs a handler's work and answers what it throws: an {@link HttpError} as such (counted
     * in {@code hoft_front_rejected_total} when {@code counted}), an {@link IOException} (the
     * caller went away) by closing the connection, anything else with 500.
     */
    void guarded(HttpServerExchange exchange, boolean counted, Work work) {
        try {
            work.run();
        } catch (HttpError e) {
            if (counted) {
                metrics.counters.increment("hoft_front_rejected_total", "reason", e.code());
            }
            error(exchange, e);
        } catch (IOException e) {
            log.debug("caller went away: {}", e.toString());
            IoUtils.safeClose(exchange.getConnection());
        } catch (RejectedExecutionException e) {
            log.debug("the server is stopping: {}", e.toString()); // its workers refuse the next step
            IoUtils.safeClose(exchange.getConnection());
        } catch (RuntimeException e) {
            log.error("{} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
            if (counted) {
                metrics.counters.increment("hoft_front_rejected_total", "reason", "internal");
            }
            error(exchange, HttpError.of(500, "internal", "the front failed: " + e).closing());
        }
    }

    /** The stored response of call {@code id}; the body streams from its file. */
    void stored(HttpServerExchange exchange, String id, StoredResponse response) throws IOException {
        int status = response.status();
        boolean head = exchange.getRequestMethod().equalToString("HEAD");
        boolean body = !head && status >= 200 && status != 204 && status != 304;
        exchange.setStatusCode(status);
        exchange.setReasonPhrase(response.reason());
        HeaderMap headers = exchange.getResponseHeaders();
        for (HeaderField field : response.headers()) {
            if (field.hasName(REQUEST_ID.toString()) || field.hasName(ERROR.toString())
                    || (body && field.hasName("Content-Length"))) {
                continue;
            }
            headers.add(new HttpString(field.name()), field.value());
        }
        headers.put(REQUEST_ID, id);
        if (response.error() != null) {
            headers.put(ERROR, response.error());
        }
        if (!body) {
            if (head && !headers.contains(Headers.CONTENT_LENGTH)) {
                // Ending a bodiless exchange makes Undertow say "Content-Length: 0", which would claim
                // the GET body is empty; shutting the channel makes it say chunked: length unknown.
                StreamSinkChannel channel = exchange.getResponseChannel();
                channel.shutdownWrites();
                Channels.flushBlocking(channel);
            }
            exchange.endExchange();
            return;
        }
        headers.put(Headers.CONTENT_LENGTH, response.bodyLength());
        OutputStream out = exchange.getOutputStream();
        if (response.bodyName() != null) {
            byte[] buffer = new byte[64 * 1024];
            try (InputStream in = Files.newInputStream(bodies.path(response.bodyName()))) {
                int n;
                while ((n = in.read(buffer)) != -1) {
                    out.write(buffer, 0, n);
                }
            }
        } else if (response.inlineBody() != null) {
            out.write(response.inlineBody());
        }
        out.close();
        exchange.endExchange();
    }

    /** 202 for a stored call that goes on: {@code Hoft-Request-Id}, {@code Location} and {@code {"id", "status"}}. */
    void accepted(HttpServerExchange exchange, String id, String status) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("status", status);
        exchange.getResponseHeaders().put(REQUEST_ID, id);
        exchange.getResponseHeaders().put(Headers.LOCATION, "/_hoft/requests/" + id);
        json(exchange, 202, body);
    }

    /** 504 with {@code Hoft-Error: expired} for a call whose TTL passed without a response. */
    void expired(HttpServerExchange exchange, String id) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("status", "expired");
        body.put("error", CallError.EXPIRED.code());
        exchange.getResponseHeaders().put(REQUEST_ID, id);
        exchange.getResponseHeaders().put(ERROR, CallError.EXPIRED.code());
        json(exchange, CallError.EXPIRED.status(), body);
    }

    /** The front's own refusal or failure, with {@code Hoft-Error}; closes the connection when a body was left unread. */
    void error(HttpServerExchange exchange, HttpError error) {
        if (exchange.isResponseStarted() || !exchange.getConnection().isOpen()) {
            IoUtils.safeClose(exchange.getConnection());
            return;
        }
        try {
            writeError(exchange, error);
        } catch (RuntimeException e) {
            // the connection died under us (a timeout closed it on the I/O thread): nobody to tell
            log.debug("cannot answer {}: {}", error.code(), e.toString());
            IoUtils.safeClose(exchange.getConnection());
        }
    }

    private void writeError(HttpServerExchange exchange, HttpError error) {
        exchange.getResponseHeaders().clear();
        exchange.getResponseHeaders().put(ERROR, error.code());
        if (error.retryAfter() != null) {
            exchange.getResponseHeaders().put(RETRY_AFTER, Math.max(1, (error.retryAfter().toMillis() + 999) / 1000));
        }
        error.headers().forEach((name, value) -> exchange.getResponseHeaders().put(new HttpString(name), value));
        if (error.close() && !exchange.isRequestComplete()) { // a body left unread: the connection cannot go on
            exchange.setPersistent(false);
            exchange.getResponseHeaders().put(Headers.CONNECTION, "close");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error.code());
        body.put("message", error.getMessage());
        json(exchange, error.status(), body);
    }

    void json(HttpServerExchange exchange, int status, Object value) {
        byte[] bytes = Json.bytes(value);
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, bytes.length);
        if (exchange.getRequestMethod().equalToString("HEAD")) {
            exchange.endExchange();
        } else {
            exchange.getResponseSender().send(ByteBuffer.wrap(bytes));
        }
    }

    void text(HttpServerExchange exchange, int status, String contentType, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, contentType);
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, bytes.length);
        exchange.getResponseSender().send(ByteBuffer.wrap(bytes));
    }
}
