package io.hoft.back;

import static io.hoft.back.BackHarness.fields;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hoft.transport.message.MessageId;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With {@code retryIdempotentOnTimeout: true} an idempotent request whose response timed out is
 * sent again (the operator accepts that the callee may see it more than once); a POST never is.
 */
class RetryPolicyTest extends RawCalleeSuite {
    @BeforeAll
    static void start() throws Exception {
        start(callee -> String.join("\n",
                "  upstreams:",
                "    slow: {url: '" + callee.url() + "', responseTimeout: 300ms}",
                "  retry: {maxRetries: 2, delay: 100ms, retryIdempotentOnTimeout: true}"));
    }

    @BeforeEach
    void neverAnswer() {
        callee.script(callee.hang());
    }

    @Test
    void aTimedOutGetIsTriedAgainUpToTheRetryLimit() throws Exception {
        MessageId id = harness.send("GET", "/report", "slow", fields("Host", "h"), new byte[0]);
        BackHarness.Delivered response = harness.awaitResponse(id);
        assertEquals(504, response.envelope().status());
        assertEquals("upstream-timeout", response.header("Hoft-Error"));
        assertEquals(3, callee.requests().size());
    }

    @Test
    void aTimedOutPostIsNeverTriedAgain() throws Exception {
        MessageId id = harness.send("POST", "/pay", "slow", fields("Host", "h"), "1".getBytes());
        assertEquals(504, harness.awaitResponse(id).envelope().status());
        Thread.sleep(600);
        assertEquals(1, callee.requests().size());
    }
}
