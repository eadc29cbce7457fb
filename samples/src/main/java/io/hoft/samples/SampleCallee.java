package io.hoft.samples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.BlockingHandler;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;

/**
 * A small HTTP API to call through hoft: the far side of the demo, and a callee for tests.
 *
 * <pre>
 * /echo            any method: JSON with method, target, headers and the body (see below)
 * /status/{code}   answers with that status
 * /slow?ms=N       answers 200 after N milliseconds
 * /bytes?size=N&amp;seed=S   N deterministic bytes (see {@link #bytes}), streamed
 * /cookies         two Set-Cookie headers
 * /gzip            a gzip-encoded text with Content-Encoding: gzip
 * /redirect        302 with Location: /echo
 * /calls           JSON counts of requests per X-Test-Id header; ?id=X for one; DELETE resets
 * </pre>
 *
 * Every path answers HEAD with the headers of GET and no body. Every request that carries an
 * {@code X-Test-Id} header is counted, whatever its path ("the callee saw each id once").
 *
 * <p>The echo: {@code {"method", "target", "headers": [["Name","value"], ...], "bodyLength",
 * "bodySha256", "body", "bodyEncoding"}}; the target is the raw path and query as sent; headers
 * are grouped by name (Undertow does not keep the order between different names), the values
 * of one name in the order sent; the body is its UTF-8 text ({@code "utf-8"}) or base64
 * ({@code "base64"}), and left out ({@code null}) above 1 MiB, where length and digest still
 * tell what arrived.
 *
 * <p>Run: {@code java -cp ... io.hoft.samples.SampleCallee [--port 8081] [--host 127.0.0.1]}.
 */
public final class SampleCallee implements AutoCloseable {
    public static final int DEFAULT_PORT = 8081;
    static final String TEST_ID_HEADER = "X-Test-Id";
    static final String GZIP_TEXT = "This text was gzip-encoded by the callee, and must arrive byte for byte.\n";
    private static final int ECHO_BODY_LIMIT = 1 << 20;

    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, AtomicLong> callsById = new ConcurrentHashMap<>();
    private final byte[] gzipped = gzip(GZIP_TEXT.getBytes(StandardCharsets.UTF_8));
    private Undertow server;

    private SampleCallee() {}

    /** Starts a callee on {@code host:port} (port 0 for any free one). */
    public static SampleCallee start(String host, int port) {
        SampleCallee callee = new SampleCallee();
        callee.server = Undertow.builder()
                .addHttpListener(port, host)
                // Undertow refuses bodies over 2 MiB by default; a callee for large-body tests takes any size.
                .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, Long.MAX_VALUE)
                .setHandler(new BlockingHandler(callee::handle))
                .build();
        callee.server.start();
        return callee;
    }

    public int port() {
        return ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
    }

    @Override
    public void close() {
        server.stop();
    }

    public static void main(String[] args) {
        int port = DEFAULT_PORT;
        String host = "127.0.0.1";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--host" -> host = args[++i];
                default -> {
                    System.err.println("usage: SampleCallee [--port N] [--host ADDRESS]");
                    System.exit(2);
                }
            }
        }
        SampleCallee callee = start(host, port);
        System.out.println("sample callee listening on http://" + host + ":" + callee.port());
        Runtime.getRuntime().addShutdownHook(new Thread(callee::close));
    }

    private void handle(HttpServerExchange exchange) throws Exception {
        String testId = exchange.getRequestHeaders().getFirst(TEST_ID_HEADER);
        if (testId != null) {
            callsById.computeIfAbsent(testId, id -> new AtomicLong()).incrementAndGet();
        }
        String path = exchange.getRelativePath();
        if (path.equals("/echo")) {
            echo(exchange);
        } else if (path.startsWith("/status/")) {
            status(exchange, path.substring("/status/".length()));
        } else if (path.equals("/slow")) {
            Thread.sleep(Long.parseLong(query(exchange, "ms", "1000")));
            text(exchange, 200, "slept\n");
        } else if (path.equals("/bytes")) {
            bytes(exchange, Long.parseLong(query(exchange, "size", "1024")), Long.parseLong(query(exchange, "seed", "0")));
        } else if (path.equals("/cookies")) {
            exchange.getResponseHeaders().add(Headers.SET_COOKIE, "session=abc123; Path=/; HttpOnly");
            exchange.getResponseHeaders().add(Headers.SET_COOKIE, "theme=dark; Path=/");
            text(exchange, 200, "two cookies\n");
        } else if (path.equals("/gzip")) {
            exchange.getResponseHeaders().put(Headers.CONTENT_ENCODING, "gzip");
            send(exchange, 200, "text/plain; charset=utf-8", gzipped);
        } else if (path.equals("/redirect")) {
            exchange.getResponseHeaders().put(Headers.LOCATION, "/echo");
            text(exchange, 302, "see /echo\n");
        } else if (path.equals("/calls")) {
            calls(exchange);
        } else {
            text(exchange, 404, "no such endpoint: " + path + "\n");
        }
    }

    private void echo(HttpServerExchange exchange) throws IOException {
        ObjectNode echo = json.createObjectNode();
        echo.put("method", exchange.getRequestMethod().toString());
        String query = exchange.getQueryString();
        echo.put("target", exchange.getRequestURI() + (query.isEmpty() ? "" : "?" + query));
        ArrayNode headers = echo.putArray("headers");
        for (HeaderValues values : exchange.getRequestHeaders()) {
            for (String value : values) {
                headers.addArray().add(values.getHeaderName().toString()).add(value);
            }
        }
        MessageDigest sha256 = sha256();
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        long length = 0;
        try (InputStream in = exchange.getInputStream()) {
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                sha256.update(buffer, 0, n);
                if (length + n <= ECHO_BODY_LIMIT) {
                    kept.write(buffer, 0, n);
                }
                length += n;
            }
        }
        echo.put("bodyLength", length);
        echo.put("bodySha256", HexFormat.of().formatHex(sha256.digest()));
        if (length > ECHO_BODY_LIMIT) {
            echo.putNull("body");
            echo.putNull("bodyEncoding");
        } else {
            byte[] body = kept.toByteArray();
            String text = utf8OrNull(body);
            echo.put("body", text != null ? text : java.util.Base64.getEncoder().encodeToString(body));
            echo.put("bodyEncoding", text != null ? "utf-8" : "base64");
        }
        send(exchange, 200, "application/json", json.writeValueAsBytes(echo));
    }

    private void status(HttpServerExchange exchange, String code) throws IOException {
        int status;
        try {
            status = Integer.parseInt(code);
        } catch (NumberFormatException e) {
            text(exchange, 400, "not a status code: " + code + "\n");
            return;
        }
        if (status < 200 || status > 599) {
            text(exchange, 400, "status must be 200 to 599\n");
        } else if (status == 204 || status == 304) {
            exchange.setStatusCode(status);
            exchange.endExchange();
        } else {
            text(exchange, status, "status " + status + "\n");
        }
    }

    /** Streams the bytes: memory stays small whatever the size. */
    private static void bytes(HttpServerExchange exchange, long size, long seed) throws IOException {
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/octet-stream");
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, size);
        if (exchange.getRequestMethod().equals(Methods.HEAD)) {
            exchange.endExchange();
            return;
        }
        try (InputStream in = bytes(seed, size); OutputStream out = exchange.getOutputStream()) {
            in.transferTo(out);
        }
    }

    private void calls(HttpServerExchange exchange) throws IOException {
        if (exchange.getRequestMethod().equals(Methods.DELETE)) {
            callsById.clear();
            exchange.setStatusCode(204);
            exchange.endExchange();
            return;
        }
        String id = query(exchange, "id", null);
        ObjectNode answer = json.createObjectNode();
        if (id != null) {
            AtomicLong count = callsById.get(id);
            answer.put("id", id).put("count", count == null ? 0 : count.get());
        } else {
            ObjectNode counts = answer.putObject("counts");
            new TreeMap<>(callsById).forEach((key, count) -> counts.put(key, count.get()));
        }
        send(exchange, 200, "application/json", json.writeValueAsBytes(answer));
    }

    /**
     * The body of {@code /bytes?size=N&seed=S}: {@code SplittableRandom(S).nextLong()} values
     * in little-endian order, cut at N bytes. Tests recompute it to check a body end to end.
     */
    public static InputStream bytes(long seed, long size) {
        return new InputStream() {
            private final SplittableRandom random = new SplittableRandom(seed);
            private final ByteBuffer block = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).position(8);
            private long remaining = size;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (remaining == 0) {
                    return -1;
                }
                int n = (int) Math.min(len, remaining);
                for (int i = 0; i < n; i++) {
                    if (!block.hasRemaining()) {
                        block.clear();
                        block.putLong(random.nextLong()).flip();
                    }
                    b[off + i] = block.get();
                }
                remaining -= n;
                return n;
            }
        };
    }

    private static void text(HttpServerExchange exchange, int status, String text) {
        send(exchange, status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpServerExchange exchange, int status, String contentType, byte[] body) {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, contentType);
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, body.length);
        exchange.getResponseSender().send(ByteBuffer.wrap(body));
    }

    private static String query(HttpServerExchange exchange, String name, String otherwise) {
        Deque<String> values = exchange.getQueryParameters().get(name);
        return values == null || values.isEmpty() ? otherwise : values.getFirst();
    }

    private static String utf8OrNull(byte[] body) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(data);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }
}
