package io.hoft.front;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hoft.transport.message.HeaderField;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract's modes end to end: sync (answered, timed out into 202 and poll, expired),
 * async with the exact 202, poll and its response, callbacks and status events handed to the
 * scheduler with the right arguments, the back's synthetic errors, a duplicate response, TTL.
 */
class ModesTest {
    @TempDir
    Path root;
    FrontFixture f;
    final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void start() throws Exception {
        f = FrontFixture.in(root).front("sync: {defaultWait: 10s, maxWait: 20s}").start();
        f.back.respondWith((call, back) -> {
            String target = call.request().target();
            if (target.startsWith("/hold")) {
                release.await(60, TimeUnit.SECONDS);
            }
            if (target.startsWith("/error/")) {
                String error = target.substring("/error/".length());
                int status = error.equals("upstream-timeout") || error.equals("expired") ? 504
                        : error.equals("upstream-forbidden") ? 403 : 502;
                back.error(call, status, error);
            } else if (target.startsWith("/twice")) {
                back.delivered(call);
                back.reply(call, 200, "OK", List.of(new HeaderField("X-N", "first")), "first".getBytes());
                back.reply(call, 201, "Created", List.of(new HeaderField("X-N", "second")), "second".getBytes());
            } else {
                TestBack.ECHO.respond(call, back);
            }
        });
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        f.close();
    }

    @Test
    void aSyncCallIsAnsweredWithTheCalleesResponseAndItsId() throws Exception {
        HttpResponse<byte[]> r = f.post("/orders?x=1", "{\"n\":1}".getBytes(), "Content-Type", "application/json");
        assertEquals(200, r.statusCode());
        assertEquals("{\"n\":1}", new String(r.body()));
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElseThrow());
        String id = r.headers().firstValue("Hoft-Request-Id").orElseThrow();
        JsonNode poll = f.poll(id);
        assertEquals("responded", poll.get("status").asText());
        assertEquals(200, poll.get("response").get("status").asInt());
        assertEquals("/_hoft/requests/" + id + "/response", poll.get("response").get("href").asText());
        assertEquals("POST", poll.get("method").asText());
        assertEquals("/orders?x=1", poll.get("target").asText());
        for (String step : List.of("accepted", "transferred", "delivered", "responded")) {
            assertTrue(poll.get("timestamps").has(step), step + " in " + poll);
        }
        assertTrue(Instant.parse(poll.get("expiresAt").asText()).isAfter(Instant.now().plus(Duration.ofMinutes(59))));
    }

    @Test
    void aSyncCallThatOutlastsItsWaitGets202ThenItsResponseByPoll() throws Exception {
        long start = System.nanoTime();
        HttpResponse<byte[]> r = f.post("/hold/1", "x".getBytes(), "Prefer", "wait=1");
        long waitedMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(202, r.statusCode());
        assertTrue(waitedMs >= 900 && waitedMs < 5000, "waited " + waitedMs + " ms");
        String id = r.headers().firstValue("Hoft-Request-Id").orElseThrow();
        assertEquals("/_hoft/requests/" + id, r.headers().firstValue("Location").orElseThrow());
        JsonNode body = FrontFixture.json(r);
        assertEquals(id, body.get("id").asText());
        assertTrue(List.of("queued", "transferred", "delivered").contains(body.get("status").asText()), body.toString());
        assertEquals(404, f.get("/_hoft/requests/" + id + "/response").statusCode(), "no response yet");
        release.countDown();
        f.awaitStatus(id, "responded");
        HttpResponse<byte[]> response = f.get("/_hoft/requests/" + id + "/response");
        assertEquals(200, response.statusCode());
        assertEquals("x", new String(response.body()));
        assertEquals(id, response.headers().firstValue("Hoft-Request-Id").orElseThrow());
    }

    @Test
    void anAsyncCallGetsExactlyTheContracts202AtOnce() throws Exception {
        HttpResponse<byte[]> r = f.post("/hold/async", "x".getBytes(), "Prefer", "respond-async");
        assertEquals(202, r.statusCode());
        String id = r.headers().firstValue("Hoft-Request-Id").orElseThrow();
        assertTrue(id.matches("[0-9A-Z]{26}"), id);
        assertEquals("/_hoft/requests/" + id, r.headers().firstValue("Location").orElseThrow());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElseThrow());
        JsonNode body = FrontFixture.json(r);
        assertEquals(2, body.size(), body.toString());
        assertEquals(id, body.get("id").asText());
        assertEquals("queued", body.get("status").asText());
        JsonNode poll = f.poll(id);
        assertEquals(id, poll.get("id").asText());
        assertFalse(poll.has("response"));
        HttpResponse<byte[]> early = f.get("/_hoft/requests/" + id + "/response");
        assertEquals(404, early.statusCode());
        assertEquals("no-response-yet", early.headers().firstValue("Hoft-Error").orElseThrow());
        release.countDown();
        f.awaitStatus(id, "responded");
        assertEquals("x", new String(f.get("/_hoft/requests/" + id + "/response").body()));
    }

    @Test
    void theCallbackIsScheduledOnceWithTheResponseFormatAndDeadline() throws Exception {
        HttpResponse<byte[]> r = f.post("/cb", "payload".getBytes(), "Hoft-Callback", "https://hooks.example/done",
                "Hoft-Callback-Format", "raw", "Hoft-Ttl", "600");
        assertEquals(202, r.statusCode());
        String id = r.headers().firstValue("Hoft-Request-Id").orElseThrow();
        JsonNode done = f.awaitStatus(id, "responded");
        // The recording scheduler notes a job after the commit that a poll may already see
        await().atMost(Duration.ofSeconds(10)).until(() -> !f.scheduler.of(id).isEmpty());
        List<RecordingScheduler.Job> jobs = f.scheduler.of(id);
        assertEquals(1, jobs.size(), jobs.toString());
        RecordingScheduler.Job job = jobs.get(0);
        assertEquals("result", job.kind());
        assertEquals(URI.create("https://hooks.example/done"), job.url());
        assertEquals(CallbackFormat.RAW, job.format());
        assertEquals(200, job.response().status());
        assertArrayEquals("payload".getBytes(), job.response().inlineBody());
        assertEquals(Instant.parse(done.get("expiresAt").asText()).toEpochMilli(), job.expiresMs());
        long accepted = Instant.parse(done.get("timestamps").get("accepted").asText()).toEpochMilli();
        assertEquals(600_000, job.expiresMs() - accepted, "Hoft-Ttl shortened the TTL");
    }

    @Test
    void statusEventsFollowTheCallInOrder() throws Exception {
        HttpResponse<byte[]> r = f.post("/s", "x".getBytes(), "Hoft-Status-Callback", "https://hooks.example/status");
        assertEquals(200, r.statusCode(), "a status callback alone does not make the call async");
        String id = r.headers().firstValue("Hoft-Request-Id").orElseThrow();
        await().atMost(Duration.ofSeconds(10)).until(() -> f.scheduler.statuses(id).contains("responded"));
        List<String> statuses = f.scheduler.statuses(id);
        // "delivered" travels in its own message; were it to arrive after the response, it would be recorded but not sent
        assertTrue(statuses.equals(List.of("queued", "transferred", "delivered", "responded"))
                || statuses.equals(List.of("queued", "transferred", "responded")), statuses.toString());
        await().atMost(Duration.ofSeconds(10)).until(() -> f.poll(id).get("timestamps").has("delivered"));
        for (RecordingScheduler.Job job : f.scheduler.of(id)) {
            assertEquals(URI.create("https://hooks.example/status"), job.url());
            assertTrue(job.atMs() > 0);
        }
    }

    @Test
    void theBacksSyntheticErrorsReachTheCallerWithHoftError() throws Exception {
        for (String error : List.of("upstream-unreachable", "upstream-timeout", "upstream-forbidden", "upstream-interrupted")) {
            HttpResponse<byte[]> r = f.get("/error/" + error);
            int expected = error.equals("upstream-timeout") ? 504 : error.equals("upstream-forbidden") ? 403 : 502;
            assertEquals(expected, r.statusCode(), error);
            assertEquals(error, r.headers().firstValue("Hoft-Error").orElseThrow());
            String id = r.headers().firstValue("Hoft-Request-Id").orElseThrow();
            JsonNode poll = f.poll(id);
            assertEquals("failed", poll.get("status").asText());
            assertEquals(error, poll.get("error").asText());
            assertTrue(poll.get("timestamps").has("failed"));
            HttpResponse<byte[]> stored = f.get("/_hoft/requests/" + id + "/response");
            assertEquals(expected, stored.statusCode());
            assertEquals(error, stored.headers().firstValue("Hoft-Error").orElseThrow());
        }
    }

    @Test
    void aFailedCallEndsInAFailureCallback() throws Exception {
        HttpResponse<byte[]> r = f.post("/error/upstream-unreachable", new byte[0], "Hoft-Callback", "https://hooks.example/cb");
        String id = r.headers().firstValue("Hoft-Request-Id").orElseThrow();
        f.awaitStatus(id, "failed");
        // The job is recorded after the commit that the poll may already see.
        await().atMost(Duration.ofSeconds(10)).until(() -> !f.scheduler.of(id).isEmpty());
        List<RecordingScheduler.Job> jobs = f.scheduler.of(id);
        assertEquals(1, jobs.size());
        assertEquals("failure", jobs.get(0).kind());
        assertEquals("failed", jobs.get(0).status());
        assertEquals("upstream-unreachable", jobs.get(0).error());
    }

    /** The channel does not order messages across files: whichever response arrives first is the one, for good. */
    @Test
    void aSecondResponseForOneIdIsIgnored() throws Exception {
        HttpResponse<byte[]> r = f.post("/twice", new byte[0], "Hoft-Callback", "https://hooks.example/cb");
        String id = r.headers().firstValue("Hoft-Request-Id").orElseThrow();
        f.awaitStatus(id, "responded");
        await().atMost(Duration.ofSeconds(10)).until(() -> metric("hoft_front_responses_ignored_total{reason=\"duplicate\"}") == 1);
        HttpResponse<byte[]> stored = f.get("/_hoft/requests/" + id + "/response");
        String kept = new String(stored.body());
        assertTrue(List.of("first", "second").contains(kept), kept);
        assertEquals(kept, stored.headers().firstValue("X-N").orElseThrow(), "status, fields and body of one response");
        assertEquals(kept.equals("first") ? 200 : 201, stored.statusCode());
        List<RecordingScheduler.Job> jobs = f.scheduler.of(id);
        assertEquals(1, jobs.size(), "one callback only");
        assertEquals(kept, new String(jobs.get(0).response().inlineBody()), "the callback has the kept response");

        HttpResponse<byte[]> sync = f.get("/twice/sync");
        String syncId = sync.headers().firstValue("Hoft-Request-Id").orElseThrow();
        await().atMost(Duration.ofSeconds(10)).until(() -> metric("hoft_front_responses_ignored_total{reason=\"duplicate\"}") == 2);
        assertArrayEquals(sync.body(), f.get("/_hoft/requests/" + syncId + "/response").body(),
                "the sync caller got the response that is kept");
    }

    @Test
    void anUnansweredCallExpiresAtItsTtl() throws Exception {
        HttpResponse<byte[]> r = f.post("/hold/ttl", new byte[0], "Hoft-Ttl", "1", "Hoft-Callback", "https://hooks.example/cb",
                "Hoft-Status-Callback", "https://hooks.example/st");
        String id = r.headers().firstValue("Hoft-Request-Id").orElseThrow();
        JsonNode expired = f.awaitStatus(id, "expired");
        assertEquals("expired", expired.get("error").asText());
        assertTrue(expired.get("timestamps").has("expired"));
        HttpResponse<byte[]> response = f.get("/_hoft/requests/" + id + "/response");
        assertEquals(504, response.statusCode());
        assertEquals("expired", response.headers().firstValue("Hoft-Error").orElseThrow());
        await().atMost(Duration.ofSeconds(5)).until(() -> f.scheduler.of(id).stream().anyMatch(j -> j.kind().equals("failure")));
        RecordingScheduler.Job failure = f.scheduler.of(id).stream().filter(j -> j.kind().equals("failure")).findFirst().orElseThrow();
        assertEquals("expired", failure.status());
        assertEquals("expired", failure.error());
        assertTrue(failure.expiresMs() > System.currentTimeMillis(), "the notice gets time to be delivered");
        List<String> statuses = f.scheduler.statuses(id);
        assertEquals("expired", statuses.get(statuses.size() - 1));
        release.countDown(); // the back answers after all: too late, ignored
        await().atMost(Duration.ofSeconds(10)).until(() -> metric("hoft_front_responses_ignored_total{reason=\"late\"}") == 1);
        assertEquals("expired", f.poll(id).get("status").asText());
    }

    @Test
    void aSyncCallerWaitingPastTheTtlGets504Expired() throws Exception {
        HttpResponse<byte[]> r = f.send(HttpRequest.newBuilder(f.uri("/hold/sync-ttl")).header("Hoft-Ttl", "1s")
                .header("Prefer", "wait=15"));
        assertEquals(504, r.statusCode());
        assertEquals("expired", r.headers().firstValue("Hoft-Error").orElseThrow());
        assertEquals("expired", FrontFixture.json(r).get("status").asText());
    }

    @Test
    void badInstructionsAreRefusedAndNothingIsStored() throws Exception {
        List<String[]> bad = List.of(
                new String[] {"Hoft-Callback", "not a url"},
                new String[] {"Hoft-Callback", "ftp://x/y"},
                new String[] {"Hoft-Callback-Format", "raw"},
                new String[] {"Hoft-Ttl", "soon"},
                new String[] {"Hoft-Calback", "https://typo.example/"});
        for (String[] header : bad) {
            HttpResponse<byte[]> r = f.post("/x", new byte[0], header);
            assertEquals(400, r.statusCode(), String.join(": ", header));
            assertEquals("bad-request", r.headers().firstValue("Hoft-Error").orElseThrow());
        }
        assertEquals(0L, (long) f.node.runtime().store().inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM front_request")));
    }

    @Test
    void pollingAnUnknownIdIs404() throws Exception {
        assertEquals(404, f.get("/_hoft/requests/01AAAAAAAAAAAAAAAAAAAAAAAA").statusCode());
        assertEquals(404, f.get("/_hoft/requests/01AAAAAAAAAAAAAAAAAAAAAAAA/response").statusCode());
        assertEquals(404, f.get("/_hoft/requests/no%20such").statusCode());
        HttpResponse<byte[]> head = f.send(HttpRequest.newBuilder(f.uri("/_hoft/requests/x")).method("HEAD",
                HttpRequest.BodyPublishers.noBody()));
        assertEquals(404, head.statusCode());
    }

    private long metric(String sample) throws Exception {
        String text = new String(f.get("/_hoft/metrics").body());
        for (Iterator<String> it = text.lines().iterator(); it.hasNext();) {
            String line = it.next();
            if (line.startsWith(sample + " ")) {
                return Long.parseLong(line.substring(sample.length() + 1));
            }
        }
        return 0;
    }

    static void assertNoHeader(HttpResponse<?> r, String name) {
        assertNull(r.headers().firstValue(name).orElse(null), name);
    }
}
