package io.hoft.back;

import static io.hoft.back.BackHarness.fields;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.NodeStore;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commit points of a call fail on purpose ("no commit for you", in the manner of Tape's
 * QueueFileTest): a call thread commits when it reads the request and marks it calling (1), and
 * when it records the answer (2, then retries). Whatever fails, the callee sees the request at
 * most once and the front gets exactly one answer.
 */
class CommitFailureTest {
    @TempDir
    Path root;

    RawCallee callee;
    BackHarness harness;

    @BeforeEach
    void start() throws Exception {
        callee = RawCallee.start(RawCallee.reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        harness = new BackHarness(root, "  upstreams:\n    api: {url: '" + callee.url() + "'}").startFront().startBack();
    }

    @AfterEach
    void stop() throws Exception {
        harness.close();
        callee.close();
    }

    /** Fails the chosen commits (counted from 1) of the first call thread that commits. */
    static final class CallThreadFaults implements NodeStore.CommitGate {
        private final IntPredicate failing;
        private final AtomicInteger commits = new AtomicInteger();
        private volatile String victim;

        CallThreadFaults(IntPredicate failing) {
            this.failing = failing;
        }

        @Override
        public synchronized void beforeCommit() throws SQLException {
            String thread = Thread.currentThread().getName();
            if (!thread.startsWith("hoft-back-call-")) {
                return;
            }
            if (victim == null) {
                victim = thread;
            }
            int n = thread.equals(victim) ? commits.incrementAndGet() : 0;
            if (n > 0 && failing.test(n)) {
                throw new SQLException("no commit for you (commit " + n + " of " + thread + ")");
            }
        }
    }

    private MessageId send() throws Exception {
        return harness.send("POST", "/once", "api", fields("Host", "h"), "x".getBytes());
    }

    @Test
    void aFailedCallingMarkSendsNothingAndTheRequestIsCalledOnceLater() throws Exception {
        harness.back().store().setCommitGate(new CallThreadFaults(n -> n == 1));
        MessageId id = send();
        BackHarness.Delivered response = harness.awaitResponse(id);
        assertEquals(200, response.envelope().status());
        Thread.sleep(500);
        assertEquals(1, callee.requests().size());
        assertEquals(1, harness.responses(id).size());
    }

    @Test
    void aFailedAnswerCommitIsRetriedAndTheAnswerLeavesOnce() throws Exception {
        harness.back().store().setCommitGate(new CallThreadFaults(n -> n == 2 || n == 3));
        MessageId id = send();
        assertEquals("ok", harness.awaitResponse(id).bodyText());
        Thread.sleep(500);
        assertEquals(1, callee.requests().size());
        assertEquals(1, harness.responses(id).size());
    }

    @Test
    void anAnswerThatCannotBeCommittedIsAnsweredInterruptedAfterARestart() throws Exception {
        harness.back().store().setCommitGate(new CallThreadFaults(n -> n >= 2));
        MessageId id = send();
        callee.awaitRequests(1, 10_000);
        Thread.sleep(1500);
        assertEquals(0, harness.responses(id).size());
        harness.stopBack();
        harness.startBack();
        BackHarness.Delivered response = harness.awaitResponse(id);
        assertEquals(502, response.envelope().status());
        assertEquals("upstream-interrupted", response.header("Hoft-Error"));
        Thread.sleep(500);
        assertEquals(1, callee.requests().size());
        assertEquals(1, harness.responses(id).size());
    }
}
