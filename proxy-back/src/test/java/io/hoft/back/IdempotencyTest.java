package io.hoft.back;

import static io.hoft.back.BackHarness.fields;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.hoft.transport.message.Body;
import io.hoft.transport.message.MessageId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request id reaches the callee once, whatever repeats it: a second delivery of an answered
 * id gets the recorded answer again; one during the call gets the one answer the call makes;
 * a back closed while a call is in flight answers it once, after its restart if need be.
 */
class IdempotencyTest {
    @TempDir
    Path root;

    RawCallee callee;
    BackHarness harness;

    @BeforeEach
    void start() throws Exception {
        callee = RawCallee.start(RawCallee.reply("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
        harness = new BackHarness(root, String.join("\n",
                "  upstreams:",
                "    api: {url: '" + callee.url() + "', responseTimeout: 20s}",
                "  drainTimeout: 300ms"))
                .startFront().startBack();
    }

    @AfterEach
    void stop() throws Exception {
        harness.close();
        callee.close();
    }

    private MessageId send(MessageId id) throws Exception {
        return harness.send(id, "POST", "/orders", "api", fields("Host", "h", "Content-Type", "text/plain"),
                Body.ofBytes("one order".getBytes(StandardCharsets.UTF_8)), Duration.ofMinutes(10));
    }

    private long column(MessageId id, String column) throws Exception {
        return harness.readBack(tx -> tx.queryLong("SELECT " + column + " FROM back_request WHERE id = ?", id.value()));
    }

    @Test
    void anAnsweredIdDeliveredAgainGetsTheRecordedAnswerAgainWithoutASecondCall() throws Exception {
        byte[] big = new byte[200_000];
        new java.util.Random(7).nextBytes(big);
        callee.script((request, out) -> {
            out.write(("HTTP/1.1 201 Created\r\nLocation: /orders/1\r\nContent-Length: " + big.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.write(big);
            return true;
        });
        MessageId id = send(MessageId.generate(Clock.systemUTC()));
        BackHarness.Delivered first = harness.awaitResponse(id);
        assertEquals(201, first.envelope().status());

        harness.forgetDelivery(id);
        send(id);
        await().atMost(Duration.ofSeconds(30)).until(() -> harness.responses(id).size() == 2);
        BackHarness.Delivered second = harness.responses(id).get(1);
        assertEquals(first.envelope(), second.envelope());
        assertEquals(first.sha256(), second.sha256());
        assertEquals(big.length, second.length());
        assertNotEquals(first.messageId(), second.messageId(), "each RESPONSE message has its own id");
        assertEquals(1, callee.requests().size(), "the callee saw the id once");
        assertEquals(1, column(id, "duplicates"));
        assertEquals(2, column(id, "replies"));
    }

    @Test
    void anIdDeliveredAgainDuringItsCallIsCalledOnceAndAnsweredOnce() throws Exception {
        callee.script(RawCallee.delayed(1500, RawCallee.reply("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone")));
        MessageId id = send(MessageId.generate(Clock.systemUTC()));
        callee.awaitRequests(1, 10_000);
        harness.forgetDelivery(id);
        send(id);
        await().atMost(Duration.ofSeconds(30)).until(() -> column(id, "duplicates") == 1);
        assertEquals("done", harness.awaitResponse(id).bodyText());
        Thread.sleep(1000);
        assertEquals(1, harness.responses(id).size());
        assertEquals(1, callee.requests().size());
    }

    @Test
    void aCallFinishingWithinTheDrainIsAnsweredAndSentAfterTheRestart() throws Exception {
        callee.script(RawCallee.delayed(150, RawCallee.reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")));
        MessageId id = send(MessageId.generate(Clock.systemUTC()));
        callee.awaitRequests(1, 10_000);
        harness.stopBack();
        assertEquals(200, column(id, "status"), "the answer was recorded during the drain");
        harness.startBack();
        assertEquals("ok", harness.awaitResponse(id).bodyText());
        Thread.sleep(500);
        assertEquals(1, harness.responses(id).size());
        assertEquals(1, callee.requests().size());
    }

    @Test
    void aCallBrokenOffAtShutdownIsAnsweredInterruptedAndNeverCalledAgain() throws Exception {
        callee.script(callee.hang());
        MessageId id = send(MessageId.generate(Clock.systemUTC()));
        MessageId queued = send(MessageId.generate(Clock.systemUTC()));
        callee.awaitRequests(2, 10_000);
        harness.stopBack();
        callee.script(RawCallee.reply("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
        harness.startBack();
        for (MessageId each : List.of(id, queued)) {
            BackHarness.Delivered response = harness.awaitResponse(each);
            assertEquals(502, response.envelope().status());
            assertEquals("upstream-interrupted", response.header("Hoft-Error"));
        }
        Thread.sleep(500);
        assertEquals(2, callee.requests().size(), "each id reached the callee once");
        assertEquals(2, harness.responseCount());
    }
}
