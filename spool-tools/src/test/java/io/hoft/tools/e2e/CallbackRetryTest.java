package io.hoft.tools.e2e;

import static io.hoft.tools.e2e.ModesTest.acceptedId;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.samples.WebhookVerifier;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Callback delivery against a receiver that fails before it succeeds, through the real chain
 * with fast retries ({@code callbacks.retryInitial: 200ms}): the callback is retried until the
 * first 2xx and then never again, every attempt carries the same {@code webhook-id}, a valid
 * signature and a fresh {@code webhook-timestamp}; a 410 ends delivery at once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CallbackRetryTest {
    Chain chain;
    WebhookVerifier verifier;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        chain = Chain.in(dir)
                .front("HOFT_FRONT_CALLBACKS_RETRY_INITIAL", "200ms")
                .front("HOFT_FRONT_CALLBACKS_RETRY_MAX", "1s")
                .start();
        verifier = chain.verifier();
    }

    @AfterAll
    void stop() throws Exception {
        if (chain != null) {
            chain.close();
        }
    }

    @Test
    void failingReceiverGetsTheSameCallbackUntilItAnswers2xxThenNoMore() throws Exception {
        // 500, no answer at all, 503, then 204
        try (HookRecorder hook = new HookRecorder(n -> n == 1 ? 500 : n == 2 ? HookRecorder.DROP : n == 3 ? 503 : 204)) {
            String id = acceptedId(chain.send(chain.request("/echo").header("X-Test-Id", "retry-then-ok")
                    .header("Hoft-Callback", hook.url().toString()).POST(BodyPublishers.ofString("retry me"))));

            await().atMost(Chain.WAIT).until(() -> hook.attempts().size() >= 4);
            // after the 2xx nothing more comes, though retries are 200 ms apart
            await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5)).until(hook::attempts, hasSize(4));

            List<HookRecorder.Attempt> attempts = hook.attempts();
            assertEquals(List.of(500, HookRecorder.DROP, 503, 204), attempts.stream().map(HookRecorder.Attempt::answered).toList());
            String webhookId = attempts.get(0).webhookId();
            assertTrue(webhookId != null && !webhookId.isBlank());
            long previous = 0;
            for (HookRecorder.Attempt attempt : attempts) {
                assertEquals(webhookId, attempt.webhookId(), "every attempt is the same message");
                assertEquals(id, attempt.requestId());
                assertArrayEquals(attempts.get(0).body(), attempt.body(), "the same payload each time");
                // signed anew: valid at the time it arrived, with its own timestamp
                verifier.verify(attempt.webhookId(), attempt.timestamp(), attempt.signature(), attempt.body(), attempt.receivedAt());
                long timestamp = Long.parseLong(attempt.timestamp());
                assertTrue(Math.abs(timestamp - attempt.receivedAt().getEpochSecond()) <= 2,
                        "timestamp " + timestamp + " is fresh at " + attempt.receivedAt());
                assertTrue(timestamp >= previous);
                previous = timestamp;
            }
            // the retries span more than a second (200 ms, x3 each time): a replayed first timestamp would show
            assertTrue(Long.parseLong(attempts.get(3).timestamp()) > Long.parseLong(attempts.get(0).timestamp()),
                    "the last attempt has a later timestamp than the first");
            assertEquals("responded", Chain.JSON.readTree(attempts.get(3).body()).path("status").asText());
            assertEquals(1, chain.calleeCount("retry-then-ok"), "callback retries never repeat the call");
        }
    }

    @Test
    void gone410EndsDeliveryAtOnce() throws Exception {
        try (HookRecorder hook = new HookRecorder(n -> 410)) {
            acceptedId(chain.send(chain.request("/echo").header("X-Test-Id", "retry-gone")
                    .header("Hoft-Callback", hook.url().toString()).POST(BodyPublishers.ofString("gone"))));

            await().atMost(Chain.WAIT).until(() -> hook.attempts().size() >= 1);
            // a 500 would be retried within 200 ms; a 410 is not retried at all
            await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5)).until(hook::attempts, hasSize(1));
            assertEquals(1, chain.calleeCount("retry-gone"));
        }
    }
}
