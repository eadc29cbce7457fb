package io.hoft.front.callback;

import static io.hoft.front.callback.ScriptedReceiver.status;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.front.CallbackFormat;
import io.hoft.front.StoredResponse;
import io.hoft.front.callback.ScriptedReceiver.Received;
import io.hoft.transport.channel.Backoff;
import io.hoft.transport.fs.Disk;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.store.BodyFiles;
import io.hoft.transport.store.NodeStore;
import io.hoft.transport.store.StoreTx;
import io.hoft.transport.testing.MutableClock;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.hc.client5.http.utils.DateUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dispatcher against real HTTP receivers on loopback that fail on purpose. Time is a
 * {@link MutableClock} the tests move: backoff and Retry-After are checked without sleeping
 * through them. Backoff has no jitter here (1 s, 2 s, 4 s ... up to 1 min).
 */
class CallbackDispatcherTest {
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final StandardWebhooks WEBHOOKS = StandardWebhooks.fromSecret(SECRET);
    private static final Instant START = Instant.parse("2026-11-22T12:00:00.123Z");
    private static final Duration HOUR = Duration.ofHours(1);

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(START);
    private NodeStore store;
    private BodyFiles bodies;
    private ScriptedReceiver receiver;
    private CallbackDispatcher dispatcher;
    private CallbackSettings settings = CallbackSettings.defaults(SECRET, true, List.of())
            .withBackoff(new Backoff(Duration.ofSeconds(1), 2, Duration.ofMinutes(1), 0))
            .withPollInterval(Duration.ofMillis(10))
            .withAttemptTimeout(Duration.ofSeconds(5));

    @BeforeEach
    void open() throws IOException {
        store = NodeStore.open(dir.resolve("state"));
        bodies = new BodyFiles(dir.resolve("state/bodies"), Disk.REAL);
        receiver = new ScriptedReceiver();
    }

    @AfterEach
    void close() throws IOException {
        if (dispatcher != null) {
            dispatcher.close();
        }
        receiver.close();
        store.close();
    }

    private CallbackDispatcher start(CallbackSettings withSettings) {
        return start(withSettings, CallbackUrlPolicy.of(withSettings));
    }

    private CallbackDispatcher start(CallbackSettings withSettings, CallbackUrlPolicy policy) {
        dispatcher = new CallbackDispatcher(store, bodies, withSettings, policy, clock, new SplittableRandom(7));
        dispatcher.start();
        return dispatcher;
    }

    private void inTx(Consumer<StoreTx> work) {
        store.inTransaction(tx -> {
            work.accept(tx);
            return null;
        });
    }

    private static StoredResponse response(int status, byte[] body, String... headerPairs) {
        List<HeaderField> headers = new java.util.ArrayList<>();
        for (int i = 0; i < headerPairs.length; i += 2) {
            headers.add(new HeaderField(headerPairs[i], headerPairs[i + 1]));
        }
        return new StoredResponse(status, "OK", headers, body, null, body.length, null);
    }

    private void scheduleResult(String requestId, URI url, StoredResponse response) {
        inTx(tx -> dispatcher.scheduleResult(tx, requestId, url, CallbackFormat.JSON, response, clock.millis() + HOUR.toMillis()));
    }

    private void awaitRequests(int count) {
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.count() >= count);
        assertEquals(count, receiver.count(), "requests received");
    }

    private CallbackHistory onlyJob(String requestId) {
        List<CallbackHistory> jobs = CallbackDispatcher.history(store, requestId);
        assertEquals(1, jobs.size(), jobs.toString());
        return jobs.get(0);
    }

    private void awaitState(String requestId, String state) {
        await().atMost(Duration.ofSeconds(10)).until(() -> onlyJob(requestId).state().equals(state));
    }

    /** Waits until the job recorded {@code attempts} attempts (the receiver sees a request before it is recorded). */
    private void awaitAttempts(String requestId, int attempts) {
        await().atMost(Duration.ofSeconds(10)).until(() -> onlyJob(requestId).attempts().size() >= attempts);
    }

    private static void assertSignedAt(Received request) {
        String timestamp = request.header("webhook-timestamp");
        assertDoesNotThrow(() -> WEBHOOKS.verify(request.header("webhook-id"), timestamp, request.header("webhook-signature"),
                request.body(), Instant.ofEpochSecond(Long.parseLong(timestamp))));
    }

    /** Nothing more arrives: gives the scheduler a few real polls with the clock far ahead. */
    private void assertNoMoreRequests(int count) throws InterruptedException {
        clock.advance(Duration.ofDays(2));
        dispatcher.wakeUp();
        Thread.sleep(200);
        assertEquals(count, receiver.count(), "requests received");
    }

    @Test
    void aReceiverThatFailsFourWaysThenSucceedsGetsOneDeliveryWithOneWebhookIdAndFreshSignatures() throws Exception {
        start(settings.withAttemptTimeout(Duration.ofSeconds(1)));
        receiver.then(status(500), new ScriptedReceiver.Reset(), new ScriptedReceiver.Hang(), status(404), status(204));
        scheduleResult("R1", receiver.url("/hook"), response(200, "{\"ok\":true}".getBytes(StandardCharsets.UTF_8)));

        for (int attempt = 1; attempt <= 5; attempt++) {
            awaitAttempts("R1", attempt);
            clock.advance(Duration.ofMinutes(1));
            dispatcher.wakeUp();
        }
        awaitState("R1", "delivered");
        assertNoMoreRequests(5);

        List<Received> requests = receiver.received();
        assertEquals(Set.of("R1-result"), requests.stream().map(r -> r.header("webhook-id")).collect(Collectors.toSet()));
        List<Long> timestamps = requests.stream().map(r -> Long.parseLong(r.header("webhook-timestamp"))).toList();
        for (int i = 1; i < timestamps.size(); i++) {
            assertTrue(timestamps.get(i) > timestamps.get(i - 1), "fresh timestamp per attempt: " + timestamps);
        }
        requests.forEach(CallbackDispatcherTest::assertSignedAt);
        assertEquals(List.of("http-error", "io-error", "timeout", "http-error", "delivered"),
                onlyJob("R1").attempts().stream().map(CallbackHistory.Attempt::outcome).toList());
        assertEquals(List.of(500, 404, 204), onlyJob("R1").attempts().stream().map(CallbackHistory.Attempt::httpStatus)
                .filter(java.util.Objects::nonNull).toList());
        Map<String, Long> metrics = dispatcher.metricsSnapshot();
        assertEquals(1L, metrics.get("hoft_callback_delivered_total{kind=\"result\"}"));
        assertEquals(2L, metrics.get("hoft_callback_attempts_total{kind=\"result\",outcome=\"http-error\"}"));
        assertEquals(1L, metrics.get("hoft_callback_attempts_total{kind=\"result\",outcome=\"timeout\"}"));
        assertEquals(0L, dispatcher.pendingJobs());
    }

    @Test
    void backoffGrowsBetweenAttemptsAndNothingIsSentBeforeItIsDue() throws Exception {
        start(settings);
        receiver.then(status(500), status(500), status(500));
        scheduleResult("R2", receiver.url("/hook"), response(200, new byte[0]));
        awaitAttempts("R2", 1);
        CallbackHistory.Attempt first = onlyJob("R2").attempts().get(0);
        assertEquals(first.startedMs() + 1000, first.nextAttemptMs());
        clock.advance(Duration.ofMillis(999));
        dispatcher.wakeUp();
        Thread.sleep(100);
        assertEquals(1, receiver.count());
        clock.advance(Duration.ofMillis(1));
        awaitAttempts("R2", 2);
        CallbackHistory.Attempt second = onlyJob("R2").attempts().get(1);
        assertEquals(second.startedMs() + 2000, second.nextAttemptMs());
    }

    @Test
    void goneStopsForGoodAndEndsTheRestOfTheStream() throws Exception {
        start(settings);
        receiver.then(status(410));
        URI url = receiver.url("/hook");
        inTx(tx -> {
            dispatcher.scheduleStatus(tx, "R3", url, "queued", clock.millis(), clock.millis() + HOUR.toMillis());
            dispatcher.scheduleResult(tx, "R3", url, CallbackFormat.JSON, response(200, new byte[0]), clock.millis() + HOUR.toMillis());
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> CallbackDispatcher.history(store, "R3").stream()
                .allMatch(job -> job.state().equals("failed")));
        assertNoMoreRequests(1);
        assertEquals(List.of("gone", "gone"), CallbackDispatcher.history(store, "R3").stream().map(CallbackHistory::failure).toList());
        assertEquals("R3-status-queued", receiver.received().get(0).header("webhook-id"));
        assertEquals(2L, dispatcher.metricsSnapshot().entrySet().stream()
                .filter(e -> e.getKey().startsWith("hoft_callback_failed_total")).mapToLong(Map.Entry::getValue).sum());
    }

    @Test
    void retryAfterInSecondsDelaysTheNextAttempt() throws Exception {
        start(settings);
        receiver.then(status(429, "Retry-After", "120"));
        scheduleResult("R4", receiver.url("/hook"), response(200, new byte[0]));
        awaitAttempts("R4", 1);
        CallbackHistory.Attempt first = onlyJob("R4").attempts().get(0);
        assertEquals("rate-limited", first.outcome());
        assertEquals(first.startedMs() + 120_000, first.nextAttemptMs());
        clock.advance(Duration.ofSeconds(119));
        dispatcher.wakeUp();
        Thread.sleep(100);
        assertEquals(1, receiver.count());
        clock.advance(Duration.ofSeconds(1));
        dispatcher.wakeUp();
        awaitState("R4", "delivered");
        assertEquals(2, receiver.count());
    }

    @Test
    void retryAfterAsAnHttpDateDelaysTheNextAttempt() throws Exception {
        start(settings);
        String date = DateUtils.formatStandardDate(START.plusSeconds(300).plusMillis(500));
        receiver.then(status(503, "Retry-After", date));
        scheduleResult("R5", receiver.url("/hook"), response(200, new byte[0]));
        awaitAttempts("R5", 1);
        CallbackHistory.Attempt first = onlyJob("R5").attempts().get(0);
        assertEquals("rate-limited", first.outcome());
        assertEquals(Instant.parse("2026-11-22T12:05:00Z").toEpochMilli(), first.nextAttemptMs()); // the date has whole seconds
    }

    @Test
    void aRetryAfterBeyondTheCapIsCapped() throws Exception {
        start(settings);
        receiver.then(status(503, "Retry-After", "86400"));
        inTx(tx -> dispatcher.scheduleResult(tx, "R6", receiver.url("/hook"), CallbackFormat.JSON, response(200, new byte[0]),
                clock.millis() + Duration.ofDays(3).toMillis()));
        awaitAttempts("R6", 1);
        CallbackHistory.Attempt first = onlyJob("R6").attempts().get(0);
        assertEquals(first.startedMs() + Duration.ofHours(1).toMillis(), first.nextAttemptMs());
    }

    @Test
    void aRedirectIsNotFollowedAndCountsAsAFailure() throws Exception {
        try (ScriptedReceiver elsewhere = new ScriptedReceiver()) {
            start(settings);
            receiver.then(status(302, "Location", elsewhere.url("/other").toString()), status(307, "Location", "/x"));
            scheduleResult("R7", receiver.url("/hook"), response(200, new byte[0]));
            awaitAttempts("R7", 1);
            clock.advance(Duration.ofMinutes(1));
            awaitAttempts("R7", 2);
            assertEquals(List.of("redirect", "redirect"), onlyJob("R7").attempts().stream().map(CallbackHistory.Attempt::outcome).toList());
            assertEquals(0, elsewhere.count());
            assertEquals("pending", onlyJob("R7").state());
        }
    }

    @Test
    void expiryEndsRetriesWithTheJobFailed() throws Exception {
        start(settings.withMinRetryWindow(Duration.ZERO));
        receiver.then(status(500), status(500), status(500), status(500), status(500), status(500));
        inTx(tx -> dispatcher.scheduleResult(tx, "R8", receiver.url("/hook"), CallbackFormat.JSON, response(200, new byte[0]),
                clock.millis() + 5_000));
        awaitAttempts("R8", 1);
        clock.advance(Duration.ofSeconds(1));
        awaitAttempts("R8", 2);
        clock.advance(Duration.ofSeconds(2));
        awaitAttempts("R8", 3); // at +3 s; the next would be at +7 s, after the expiry at +5 s
        awaitState("R8", "failed");
        CallbackHistory job = onlyJob("R8");
        assertEquals("expired", job.failure());
        assertNull(job.attempts().get(2).nextAttemptMs());
        assertNoMoreRequests(3);
        assertEquals(1L, dispatcher.metricsSnapshot().get("hoft_callback_failed_total{kind=\"result\",reason=\"expired\"}"));
    }

    @Test
    void aJobWhoseExpiryPassesWhileWaitingEndsWithoutAnotherAttempt() throws Exception {
        start(settings.withMinRetryWindow(Duration.ZERO).withBackoff(new Backoff(Duration.ofSeconds(1), 2, Duration.ofSeconds(1), 0)));
        receiver.then(status(500));
        inTx(tx -> dispatcher.scheduleResult(tx, "R9", receiver.url("/hook"), CallbackFormat.JSON, response(200, new byte[0]),
                clock.millis() + 1_500));
        awaitAttempts("R9", 1);
        dispatcher.close(); // the expiry passes while nothing runs
        clock.advance(Duration.ofSeconds(2));
        start(settings.withMinRetryWindow(Duration.ZERO));
        awaitState("R9", "failed");
        assertEquals("expired", onlyJob("R9").failure());
        assertEquals(1, receiver.count());
    }

    @Test
    void aJobScheduledPastItsExpiryStillGetsOneAttempt() throws Exception {
        start(settings.withMinRetryWindow(Duration.ZERO));
        receiver.then(status(500));
        inTx(tx -> dispatcher.scheduleFailure(tx, "R9b", receiver.url("/hook"), "expired", "expired", clock.millis() - 1));
        awaitState("R9b", "failed");
        assertEquals("expired", onlyJob("R9b").failure());
        assertEquals(1, onlyJob("R9b").attemptCount());
        assertNoMoreRequests(1);
    }

    @Test
    void aJobSurvivesRestartMidRetryAndKeepsItsWebhookId() throws Exception {
        start(settings);
        receiver.then(status(500));
        scheduleResult("R10", receiver.url("/hook"), response(200, "x".getBytes(StandardCharsets.UTF_8)));
        awaitAttempts("R10", 1);
        dispatcher.close();
        store.close();

        store = NodeStore.open(dir.resolve("state"));
        clock.advance(Duration.ofSeconds(5));
        start(settings);
        awaitState("R10", "delivered");
        assertEquals(2, receiver.count());
        assertEquals(receiver.received().get(0).header("webhook-id"), receiver.received().get(1).header("webhook-id"));
        receiver.received().forEach(CallbackDispatcherTest::assertSignedAt);
    }

    @Test
    void anAttemptCutShortByShutdownIsMadeAgainAtOnceAfterRestart() throws Exception {
        CallbackSettings quickDrain = new CallbackSettings(settings.webhooks(), settings.connectTimeout(), Duration.ofMinutes(1),
                settings.backoff(), settings.maxRetryAfter(), settings.minRetryWindow(), true, List.of(), 4,
                settings.pollInterval(), settings.historyRetention(), Duration.ofMillis(100));
        start(quickDrain);
        receiver.then(new ScriptedReceiver.Hang());
        scheduleResult("R11", receiver.url("/hook"), response(200, new byte[0]));
        awaitRequests(1);
        long began = System.nanoTime();
        dispatcher.close();
        assertTrue(System.nanoTime() - began < Duration.ofSeconds(5).toNanos(), "close does not wait for the attempt timeout");
        assertEquals("shutdown", onlyJob("R11").attempts().get(0).outcome());

        start(quickDrain); // no clock movement: a shutdown is retried at once
        awaitState("R11", "delivered");
        assertEquals(2, receiver.count());
        assertEquals("R11-result", receiver.received().get(1).header("webhook-id"));
    }

    @Test
    void theResultEnvelopeKeepsHeaderOrderRepeatsAndIso88591ValuesAndCarriesUtf8Text() throws Exception {
        start(settings);
        byte[] body = "{\"msg\":\"h\u00e9llo \\\"q\\\"\"}\n\ttab \u20ac \uD83D\uDE00 \u0001".getBytes(StandardCharsets.UTF_8);
        scheduleResult("R12", receiver.url("/hook"), response(201, body,
                "Content-Type", "application/json; charset=utf-8",
                "Set-Cookie", "a=1; Path=/",
                "X-Obs", "caf\u00e9",
                "Set-Cookie", "b=\"2\""));
        awaitState("R12", "delivered");
        Received request = receiver.received().get(0);
        String expected = "{\"id\":\"R12\",\"status\":\"responded\",\"response\":{\"status\":201,\"headers\":["
                + "[\"Content-Type\",\"application/json; charset=utf-8\"],[\"Set-Cookie\",\"a=1; Path=/\"],"
                + "[\"X-Obs\",\"caf\u00e9\"],[\"Set-Cookie\",\"b=\\\"2\\\"\"]],"
                + "\"body\":\"{\\\"msg\\\":\\\"h\u00e9llo \\\\\\\"q\\\\\\\"\\\"}\\n\\ttab \u20ac \uD83D\uDE00 \\u0001\","
                + "\"bodyEncoding\":\"utf-8\"}}";
        assertEquals(expected, request.bodyText());
        assertEquals("application/json", request.header("Content-Type"));
        assertEquals("R12", request.header("Hoft-Request-Id"));
        assertEquals(Integer.toString(request.body().length), request.header("Content-Length"));
        assertSignedAt(request);
        com.fasterxml.jackson.databind.JsonNode parsed = new com.fasterxml.jackson.databind.ObjectMapper().readTree(request.body());
        assertArrayEquals(body, parsed.at("/response/body").asText().getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aBodyThatIsNotUtf8IsBase64() throws Exception {
        start(settings);
        byte[] body = {(byte) 0xff, 0, (byte) 0x80, 'a', (byte) 0xc3};
        scheduleResult("R13", receiver.url("/hook"), response(200, body, "Content-Type", "application/octet-stream"));
        awaitState("R13", "delivered");
        assertEquals("{\"id\":\"R13\",\"status\":\"responded\",\"response\":{\"status\":200,\"headers\":"
                + "[[\"Content-Type\",\"application/octet-stream\"]],\"body\":\"/wCAYcM=\",\"bodyEncoding\":\"base64\"}}",
                receiver.received().get(0).bodyText());
    }

    @Test
    void overlongAndSurrogateEncodingsAreNotUtf8() throws Exception {
        start(settings);
        scheduleResult("R14a", receiver.url("/a"), response(200, new byte[] {(byte) 0xc0, (byte) 0xaf}));
        scheduleResult("R14b", receiver.url("/b"), response(200, new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}));
        scheduleResult("R14c", receiver.url("/c"), response(204, new byte[0]));
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.count() == 3);
        Map<String, String> byTarget = receiver.received().stream().collect(Collectors.toMap(Received::target, Received::bodyText));
        assertTrue(byTarget.get("/a").endsWith("\"body\":\"wK8=\",\"bodyEncoding\":\"base64\"}}"), byTarget.get("/a"));
        assertTrue(byTarget.get("/b").endsWith("\"body\":\"7aCA\",\"bodyEncoding\":\"base64\"}}"), byTarget.get("/b"));
        assertTrue(byTarget.get("/c").endsWith("\"headers\":[],\"body\":\"\",\"bodyEncoding\":\"utf-8\"}}"), byTarget.get("/c"));
    }

    @Test
    void aLargeBodyFileIsStreamedIntoTheEnvelopeAndSignedWhole() throws Exception {
        start(settings);
        Path text = bodies.newPath();
        byte[] line = "line with \"quotes\" and \u00fcml\u00e4uts\n".getBytes(StandardCharsets.UTF_8);
        try (var out = Files.newOutputStream(text)) {
            for (int written = 0; written < 12 << 20; written += line.length) {
                out.write(line);
            }
        }
        Path binary = bodies.newPath();
        byte[] random = new byte[5 << 20];
        new java.util.Random(3).nextBytes(random);
        Files.write(binary, random);
        inTx(tx -> {
            dispatcher.scheduleResult(tx, "R15t", receiver.url("/t"), CallbackFormat.JSON, fileResponse(text), clock.millis() + HOUR.toMillis());
            dispatcher.scheduleResult(tx, "R15b", receiver.url("/b"), CallbackFormat.JSON, fileResponse(binary), clock.millis() + HOUR.toMillis());
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.count() == 2);
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        for (Received request : receiver.received()) {
            assertSignedAt(request);
            com.fasterxml.jackson.databind.JsonNode envelope = mapper.readTree(request.body());
            if (request.target().equals("/t")) {
                assertEquals("utf-8", envelope.at("/response/bodyEncoding").asText());
                assertArrayEquals(Files.readAllBytes(text), envelope.at("/response/body").asText().getBytes(StandardCharsets.UTF_8));
            } else {
                assertEquals("base64", envelope.at("/response/bodyEncoding").asText());
                assertArrayEquals(random, java.util.Base64.getDecoder().decode(envelope.at("/response/body").asText()));
            }
        }
    }

    private StoredResponse fileResponse(Path file) {
        try {
            return new StoredResponse(200, "OK", List.of(new HeaderField("Content-Type", "text/plain")), null,
                    file.getFileName().toString(), Files.size(file), null);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void theRawFormatPostsTheBodyByteForByteWithContentTypeStatusAndId() throws Exception {
        start(settings);
        byte[] body = {(byte) 0x89, 'P', 'N', 'G', 0, (byte) 0xff};
        inTx(tx -> dispatcher.scheduleResult(tx, "R16", receiver.url("/raw"), CallbackFormat.RAW,
                response(201, body, "X-First", "1", "Content-Type", "image/png", "Content-Encoding", "identity"),
                clock.millis() + HOUR.toMillis()));
        awaitState("R16", "delivered");
        Received request = receiver.received().get(0);
        assertArrayEquals(body, request.body());
        assertEquals("image/png", request.header("Content-Type"));
        assertEquals("201", request.header("Hoft-Status"));
        assertEquals("R16", request.header("Hoft-Request-Id"));
        assertEquals("R16-result", request.header("webhook-id"));
        assertNull(request.header("X-First"));
        assertSignedAt(request);
    }

    @Test
    void failureAndStatusEnvelopesHaveTheirExactShapes() throws Exception {
        start(settings);
        inTx(tx -> {
            dispatcher.scheduleStatus(tx, "R17", receiver.url("/status"), "transferred", START.toEpochMilli(),
                    clock.millis() + HOUR.toMillis());
            dispatcher.scheduleFailure(tx, "R17", receiver.url("/final"), "failed", "upstream-unreachable: \"refused\"",
                    clock.millis() + HOUR.toMillis());
            dispatcher.scheduleFailure(tx, "R18", receiver.url("/final"), "expired", "expired", clock.millis() + HOUR.toMillis());
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.count() == 3);
        Map<String, String> byId = receiver.received().stream()
                .collect(Collectors.toMap(r -> r.header("webhook-id"), Received::bodyText));
        assertEquals("{\"id\":\"R17\",\"status\":\"transferred\",\"at\":\"2026-11-22T12:00:00.123Z\"}", byId.get("R17-status-transferred"));
        assertEquals("{\"id\":\"R17\",\"status\":\"failed\",\"error\":\"upstream-unreachable: \\\"refused\\\"\"}", byId.get("R17-result"));
        assertEquals("{\"id\":\"R18\",\"status\":\"expired\",\"error\":\"expired\"}", byId.get("R18-result"));
        receiver.received().forEach(CallbackDispatcherTest::assertSignedAt);
        assertThrows(IllegalArgumentException.class, () -> inTx(tx ->
                dispatcher.scheduleFailure(tx, "R19", receiver.url("/final"), "responded", "x", clock.millis())));
    }

    @Test
    void statusTimestampsAlwaysHaveThreeFractionDigits() {
        assertEquals("2026-11-22T12:00:00.000Z", JsonText.timestamp(Instant.parse("2026-11-22T12:00:00Z").toEpochMilli()));
        assertEquals("1970-01-01T00:00:00.001Z", JsonText.timestamp(1));
    }

    @Test
    void eventsOfOneStreamArriveInOrderAndTheResultWaitsBehindThem() throws Exception {
        start(settings);
        receiver.then(status(500));
        URI url = receiver.url("/both");
        inTx(tx -> {
            dispatcher.scheduleStatus(tx, "R20", url, "queued", clock.millis(), clock.millis() + HOUR.toMillis());
            dispatcher.scheduleStatus(tx, "R20", url, "transferred", clock.millis(), clock.millis() + HOUR.toMillis());
        });
        inTx(tx -> dispatcher.scheduleResult(tx, "R20", url, CallbackFormat.JSON, response(200, new byte[0]),
                clock.millis() + HOUR.toMillis()));
        awaitRequests(1);
        Thread.sleep(100);
        assertEquals(1, receiver.count(), "later jobs wait while the first retries");
        clock.advance(Duration.ofSeconds(1));
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.count() == 4);
        assertEquals(List.of("R20-status-queued", "R20-status-queued", "R20-status-transferred", "R20-result"),
                receiver.received().stream().map(r -> r.header("webhook-id")).toList());
    }

    @Test
    void streamsToDifferentUrlsDoNotWaitForEachOther() throws Exception {
        try (ScriptedReceiver statusReceiver = new ScriptedReceiver()) {
            start(settings);
            statusReceiver.then(status(500));
            inTx(tx -> {
                dispatcher.scheduleStatus(tx, "R21", statusReceiver.url("/s"), "queued", clock.millis(), clock.millis() + HOUR.toMillis());
                dispatcher.scheduleResult(tx, "R21", receiver.url("/r"), CallbackFormat.JSON, response(200, new byte[0]),
                        clock.millis() + HOUR.toMillis());
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> CallbackDispatcher.history(store, "R21").stream()
                    .anyMatch(job -> job.kind().equals("result") && job.state().equals("delivered")));
            await().atMost(Duration.ofSeconds(10)).until(() -> statusReceiver.count() == 1);
            CallbackHistory statusJob = CallbackDispatcher.history(store, "R21").get(0);
            assertEquals("status", statusJob.kind());
            assertEquals("pending", statusJob.state());
        }
    }

    @Test
    void onlyTheFirstFinalCallbackOfARequestIsKept() throws Exception {
        start(settings);
        scheduleResult("R22", receiver.url("/hook"), response(200, new byte[0]));
        inTx(tx -> dispatcher.scheduleFailure(tx, "R22", receiver.url("/hook"), "expired", "expired", clock.millis() + HOUR.toMillis()));
        scheduleResult("R22", receiver.url("/hook"), response(500, new byte[0]));
        awaitState("R22", "delivered");
        assertNoMoreRequests(1);
        assertTrue(receiver.received().get(0).bodyText().contains("\"status\":\"responded\",\"response\":{\"status\":200"));
        assertEquals(1L, dispatcher.metricsSnapshot().get("hoft_callback_duplicates_ignored_total{kind=\"result\"}"));
        assertEquals(1L, dispatcher.metricsSnapshot().get("hoft_callback_duplicates_ignored_total{kind=\"failure\"}"));
    }

    @Test
    void aJobExistsOnlyIfTheCallersTransactionCommits() throws Exception {
        start(settings);
        assertThrows(IllegalStateException.class, () -> store.inTransaction(tx -> {
            dispatcher.scheduleResult(tx, "R23", receiver.url("/hook"), CallbackFormat.JSON, response(200, new byte[0]),
                    clock.millis() + HOUR.toMillis());
            throw new IllegalStateException("the front's work failed");
        }));
        assertEquals(List.of(), CallbackDispatcher.history(store, "R23"));
        assertNoMoreRequests(0);
    }

    @Test
    void aBodyFileThatIsGoneEndsTheJob() throws Exception {
        start(settings);
        Path missing = bodies.newPath();
        inTx(tx -> dispatcher.scheduleResult(tx, "R24", receiver.url("/hook"), CallbackFormat.JSON,
                new StoredResponse(200, "OK", List.of(), null, missing.getFileName().toString(), 10, null),
                clock.millis() + HOUR.toMillis()));
        awaitState("R24", "failed");
        assertEquals("body-missing", onlyJob("R24").failure());
        assertEquals(0, receiver.count());
    }

    @Test
    void deliveryRefusesAHostThatNowResolvesToAPrivateAddress() throws Exception {
        java.util.concurrent.atomic.AtomicReference<String> answer = new java.util.concurrent.atomic.AtomicReference<>("93.184.216.34");
        CallbackUrlPolicy rebinding = new CallbackUrlPolicy(false, List.of(),
                host -> host.equals("hooks.example") ? new InetAddress[] {InetAddress.getByName(answer.get())}
                        : InetAddress.getAllByName(host));
        URI url = URI.create("http://hooks.example:" + receiver.port() + "/hook");
        assertDoesNotThrow(() -> rebinding.check(url));
        answer.set("127.0.0.1"); // the attacker's DNS now points at the front's own network
        start(settings, rebinding);
        scheduleResult("R25", url, response(200, new byte[0]));
        awaitAttempts("R25", 1);
        CallbackHistory.Attempt attempt = onlyJob("R25").attempts().get(0);
        assertEquals("forbidden-address", attempt.outcome());
        assertTrue(attempt.error().contains("127.0.0.1"), attempt.error());
        assertEquals(0, receiver.count());
    }

    @Test
    void withPrivateNetworksAllowedALocalhostReceiverGetsItsCallback() throws Exception {
        start(settings);
        URI url = URI.create("http://localhost:" + receiver.port() + "/hook");
        assertDoesNotThrow(() -> dispatcher.urlGuard().check(url));
        scheduleResult("R26", url, response(200, new byte[0]));
        awaitState("R26", "delivered");
    }

    @Test
    void aUrlThePolicyNoLongerAllowsEndsTheJob() throws Exception {
        start(settings, new CallbackUrlPolicy(true, List.of("only.example")));
        scheduleResult("R27", receiver.url("/hook"), response(200, new byte[0]));
        awaitState("R27", "failed");
        assertEquals("forbidden", onlyJob("R27").failure());
        assertEquals(0, receiver.count());
    }

    @Test
    void forgettingARequestDeletesItsJobsAndAttempts() throws Exception {
        start(settings);
        scheduleResult("R28", receiver.url("/hook"), response(200, new byte[0]));
        awaitState("R28", "delivered");
        inTx(tx -> dispatcher.forget(tx, "R28"));
        assertEquals(List.of(), CallbackDispatcher.history(store, "R28"));
        assertEquals(0L, (long) store.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM callback_attempt")));
    }
}
