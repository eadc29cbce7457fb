package io.hoft.tools.e2e;

import static io.hoft.tools.e2e.Chain.json;
import static io.hoft.tools.e2e.Chain.text;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hoft.samples.SampleCallee;
import io.hoft.samples.WebhookReceiver;
import java.io.InputStream;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
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
 * Every answer mode of the contract through the real chain (front, shared link folders, back,
 * sample callee, a verifying webhook receiver): sync, sync that outlasts its wait and is then
 * polled, JSON and raw callbacks (signed, verified by the receiver, headers with their order and
 * repeats), status events, poll with {@code Prefer: respond-async}, and a binary body of every
 * byte value over 1 MiB each way. Each check looks at what the callee received as well as what
 * the caller got, and each call reaches the callee exactly once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModesTest {
    Chain chain;
    WebhookReceiver receiver;
    final Map<String, List<String>> statusEvents = new ConcurrentHashMap<>();
    final List<String> refusals = new CopyOnWriteArrayList<>();

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        chain = Chain.in(dir).start();
        receiver = WebhookReceiver.start("127.0.0.1", 0, chain.verifier());
        receiver.onStatus(event -> statusEvents.computeIfAbsent(event.requestId(), id -> new CopyOnWriteArrayList<>())
                .add(event.status()));
        receiver.onRefusal(refusals::add);
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
    void syncAnswersWithTheCalleesStatusHeadersAndBodyVerbatim() throws Exception {
        HttpResponse<byte[]> response = chain.send(chain.request("/echo?a=1&b=%41").header("X-Test-Id", "modes-sync")
                .header("X-Custom", "one").header("X-Custom", "two").header("Content-Type", "text/plain; charset=utf-8")
                .POST(BodyPublishers.ofString("h\u00e9llo", StandardCharsets.UTF_8)));

        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Hoft-Request-Id").orElse("").length() > 10, "Hoft-Request-Id: " + response.headers());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(null));
        JsonNode echo = json(response);
        assertEquals("POST", echo.path("method").asText());
        assertEquals("/echo?a=1&b=%41", echo.path("target").asText());
        assertEquals("h\u00e9llo", echo.path("body").asText());
        assertEquals(List.of("one", "two"), values(echo.path("headers"), "X-Custom"));
        assertEquals(1, chain.calleeCount("modes-sync"));
        // the caller's Content-Length and the body length agree: the body is exactly the callee's echo
        assertEquals(Long.toString(response.body().length), response.headers().firstValue("Content-Length").orElse(null));
    }

    @Test
    void syncPassesTheCalleesStatusAndRepeatedFieldsAsTheyAre() throws Exception {
        HttpResponse<byte[]> teapot = chain.send(chain.request("/status/418").header("X-Test-Id", "modes-418").GET());
        assertEquals(418, teapot.statusCode());
        assertEquals("status 418\n", text(teapot));
        HttpResponse<byte[]> cookies = chain.send(chain.request("/cookies").header("X-Test-Id", "modes-cookies").GET());
        assertEquals(List.of("session=abc123; Path=/; HttpOnly", "theme=dark; Path=/"), cookies.headers().allValues("Set-Cookie"));
        assertEquals(List.of("1.1 hoft"), cookies.headers().allValues("Via"));
        assertEquals(1, chain.calleeCount("modes-418"));
        assertEquals(1, chain.calleeCount("modes-cookies"));
    }

    @Test
    void syncCallThatOutlastsItsWaitTurnsInto202AndIsPolledToTheEnd() throws Exception {
        HttpResponse<byte[]> response = chain.send(chain.request("/slow?ms=2500").header("X-Test-Id", "modes-slow")
                .header("Prefer", "wait=1").GET());

        assertEquals(202, response.statusCode(), text(response));
        String id = json(response).path("id").asText();
        String location = response.headers().firstValue("Location").orElseThrow();
        assertEquals("/_hoft/requests/" + id, location);
        assertEquals(id, response.headers().firstValue("Hoft-Request-Id").orElse(null));
        chain.awaitStatus(id, "responded");
        HttpResponse<byte[]> result = chain.send(chain.request(location + "/response").GET());
        assertEquals(200, result.statusCode());
        assertEquals("slept\n", text(result));
        assertEquals(1, chain.calleeCount("modes-slow"));
    }

    @Test
    void asyncJsonCallbackIsSignedAndKeepsHeaderOrderAndRepeats() throws Exception {
        HttpResponse<byte[]> accepted = chain.send(chain.request("/cookies").header("X-Test-Id", "modes-json-callback")
                .header("Hoft-Callback", receiver.resultUrl().toString()).GET());

        String id = acceptedId(accepted);
        WebhookReceiver.Callback callback = receiver.resultOf(id).get(30, TimeUnit.SECONDS);
        assertTrue(callback.webhookId() != null && !callback.webhookId().isBlank());
        assertEquals("application/json", callback.contentType());
        JsonNode body = callback.json();
        assertEquals(id, body.path("id").asText());
        assertEquals("responded", body.path("status").asText());
        assertEquals(200, body.path("response").path("status").asInt());
        assertEquals(List.of("session=abc123; Path=/; HttpOnly", "theme=dark; Path=/"),
                values(body.path("response").path("headers"), "Set-Cookie"), "two Set-Cookie fields stay two, in order");
        assertEquals("two cookies\n", body.path("response").path("body").asText());
        assertEquals("utf-8", body.path("response").path("bodyEncoding").asText());
        assertEquals(List.of(), refusals, "every delivery verified with the webhook secret");
        assertEquals(1, chain.calleeCount("modes-json-callback"));
    }

    @Test
    void rawCallbackCarriesTheBodyByteForByteWithStatusAndContentType() throws Exception {
        int size = 300_000;
        HttpResponse<byte[]> accepted = chain.send(chain.request("/bytes?size=" + size + "&seed=3")
                .header("X-Test-Id", "modes-raw").header("Hoft-Callback", receiver.resultUrl().toString())
                .header("Hoft-Callback-Format", "raw").GET());

        String id = acceptedId(accepted);
        WebhookReceiver.Callback callback = receiver.resultOf(id).get(30, TimeUnit.SECONDS);
        assertEquals(id, callback.requestId());
        assertEquals("200", callback.hoftStatus());
        assertEquals("application/octet-stream", callback.contentType());
        try (InputStream expected = SampleCallee.bytes(3, size)) {
            assertArrayEquals(expected.readAllBytes(), callback.body());
        }
        assertEquals(1, chain.calleeCount("modes-raw"));
    }

    @Test
    void statusEventsFollowTheCallFromQueuedToResponded() throws Exception {
        HttpResponse<byte[]> accepted = chain.send(chain.request("/echo").header("X-Test-Id", "modes-status")
                .header("Hoft-Callback", receiver.resultUrl().toString())
                .header("Hoft-Status-Callback", receiver.statusUrl().toString())
                .POST(BodyPublishers.ofString("events")));

        String id = acceptedId(accepted);
        receiver.resultOf(id).get(30, TimeUnit.SECONDS);
        await().atMost(Chain.WAIT).until(() -> statusEvents.getOrDefault(id, List.of()).contains("responded"));
        assertEquals(List.of("queued", "transferred", "delivered", "responded"), statusEvents.get(id));
    }

    @Test
    void pollWithRespondAsyncAnswers202ThenTheResponseVerbatim() throws Exception {
        HttpResponse<byte[]> accepted = chain.send(chain.request("/echo?poll=%20x").header("X-Test-Id", "modes-poll")
                .header("Prefer", "respond-async, return=minimal").GET());

        String id = acceptedId(accepted);
        JsonNode state = chain.awaitStatus(id, "responded");
        assertEquals("GET", state.path("method").asText());
        assertEquals("/echo?poll=%20x", state.path("target").asText());
        for (String step : List.of("accepted", "transferred", "delivered", "responded")) {
            assertFalse(state.path("timestamps").path(step).isMissingNode(), step + " in " + state);
        }
        HttpResponse<byte[]> response = chain.send(chain.request("/_hoft/requests/" + id + "/response").GET());
        assertEquals(200, response.statusCode());
        assertEquals(id, response.headers().firstValue("Hoft-Request-Id").orElse(null));
        assertEquals("/echo?poll=%20x", json(response).path("target").asText());
        // the front acted on respond-async and keeps it; the other preferences go on (the contract's "Front HTTP API")
        assertEquals(List.of("return=minimal"), values(json(response).path("headers"), "Prefer"));
        assertEquals(1, chain.calleeCount("modes-poll"));
    }

    @Test
    void binaryBodyOfEveryByteValueOver1MiBPassesBothWays() throws Exception {
        byte[] body = new byte[(1 << 20) + 4099];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 7 + i / 256);
        }
        HttpResponse<byte[]> up = chain.send(chain.request("/echo").header("X-Test-Id", "modes-binary-up")
                .header("Content-Type", "application/octet-stream").POST(BodyPublishers.ofByteArray(body)));
        assertEquals(200, up.statusCode());
        assertEquals(body.length, json(up).path("bodyLength").asLong());
        assertEquals(sha256(body), json(up).path("bodySha256").asText());

        int size = (1 << 20) + 777;
        HttpResponse<byte[]> down = chain.send(chain.request("/bytes?size=" + size + "&seed=11").header("X-Test-Id", "modes-binary-down").GET());
        assertEquals(200, down.statusCode());
        byte[] expected;
        try (InputStream in = SampleCallee.bytes(11, size)) {
            expected = in.readAllBytes();
        }
        assertArrayEquals(expected, down.body());
        assertEquals(256, distinctBytes(down.body()), "the body holds every byte value");
        assertEquals(256, distinctBytes(body));
        assertEquals(1, chain.calleeCount("modes-binary-up"));
        assertEquals(1, chain.calleeCount("modes-binary-down"));
    }

    @Test
    void jsonCallbackOfABinaryBodyIsBase64() throws Exception {
        int size = 4096;
        HttpResponse<byte[]> accepted = chain.send(chain.request("/bytes?size=" + size + "&seed=9")
                .header("Hoft-Callback", receiver.resultUrl().toString()).GET());
        WebhookReceiver.Callback callback = receiver.resultOf(acceptedId(accepted)).get(30, TimeUnit.SECONDS);
        JsonNode response = callback.json().path("response");
        assertEquals("base64", response.path("bodyEncoding").asText());
        try (InputStream expected = SampleCallee.bytes(9, size)) {
            assertArrayEquals(expected.readAllBytes(), Base64.getDecoder().decode(response.path("body").asText()));
        }
    }

    static String acceptedId(HttpResponse<byte[]> accepted) throws Exception {
        assertEquals(202, accepted.statusCode(), text(accepted));
        JsonNode body = json(accepted);
        assertEquals("queued", body.path("status").asText());
        String id = body.path("id").asText();
        assertEquals(id, accepted.headers().firstValue("Hoft-Request-Id").orElse(null));
        assertEquals("/_hoft/requests/" + id, accepted.headers().firstValue("Location").orElse(null));
        return id;
    }

    /** The values of one header name in a {@code [["Name","value"], ...]} array, in order. */
    static List<String> values(JsonNode headers, String name) {
        List<String> values = new ArrayList<>();
        for (JsonNode field : headers) {
            if (field.path(0).asText().equalsIgnoreCase(name)) {
                values.add(field.path(1).asText());
            }
        }
        return values;
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static long distinctBytes(byte[] bytes) {
        boolean[] seen = new boolean[256];
        for (byte b : bytes) {
            seen[b & 0xff] = true;
        }
        long n = 0;
        for (boolean s : seen) {
            n += s ? 1 : 0;
        }
        return n;
    }
}
