package io.hoft.transport.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AgentRunnerTest {

    @Test
    void aWakeUpRunsAnIdleAgentAgainBeforeItsMaximumSleep() {
        AtomicInteger cycles = new AtomicInteger();
        try (AgentRunner runner = AgentRunner.start(agent("idle", now -> {
            cycles.incrementAndGet();
            return Agent.IDLE;
        }), Clock.systemUTC(), Duration.ofHours(1), Duration.ofSeconds(1))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> cycles.get() == 1);
            runner.wake();
            await().atMost(Duration.ofSeconds(10)).until(() -> cycles.get() == 2);
            assertEquals("idle", runner.thread().getName());
            assertTrue(runner.thread().isDaemon());
        }
    }

    @Test
    void aWakeUpThatArrivesWhileTheAgentWorksIsNotLost() throws Exception {
        CountDownLatch working = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger cycles = new AtomicInteger();
        try (AgentRunner runner = AgentRunner.start(agent("busy", now -> {
            if (cycles.incrementAndGet() == 1) {
                working.countDown();
                release.await(10, TimeUnit.SECONDS);
            }
            return Agent.IDLE;
        }), Clock.systemUTC(), Duration.ofHours(1), Duration.ofSeconds(1))) {
            assertTrue(working.await(10, TimeUnit.SECONDS));
            runner.wake();
            release.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> cycles.get() == 2);
        }
    }

    @Test
    void aFailingAgentIsRetriedAfterTheBackOffAndKeepsItsThread() {
        AtomicInteger cycles = new AtomicInteger();
        try (AgentRunner runner = AgentRunner.start(agent("flaky", now -> {
            if (cycles.incrementAndGet() < 3) {
                throw new IllegalStateException("not yet");
            }
            return Agent.IDLE;
        }), Clock.systemUTC(), Duration.ofHours(1), Duration.ofMillis(10))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> cycles.get() == 3);
            assertTrue(runner.thread().isAlive());
        }
    }

    @Test
    void closingStopsTheCycleAndRunsOnCloseOnTheAgentsThread() {
        AtomicInteger cycles = new AtomicInteger();
        String[] closedOn = new String[1];
        AgentRunner runner = AgentRunner.start(new Agent() {
            @Override
            public long doWork(long nowMs) {
                cycles.incrementAndGet();
                return nowMs + 5;
            }

            @Override
            public String roleName() {
                return "ticking";
            }

            @Override
            public void onClose() {
                closedOn[0] = Thread.currentThread().getName();
            }
        }, Clock.systemUTC());
        await().atMost(Duration.ofSeconds(10)).until(() -> cycles.get() >= 2);
        runner.close();
        int after = cycles.get();
        assertFalse(runner.thread().isAlive());
        assertEquals("ticking", closedOn[0]);
        assertEquals(after, cycles.get());
    }

    @Test
    void stoppingNowInterruptsWorkBlockedInTheAgent() throws Exception {
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        AgentRunner runner = AgentRunner.start(agent("blocked", now -> {
            blocked.countDown();
            try {
                Thread.sleep(Duration.ofHours(1).toMillis());
            } catch (InterruptedException e) {
                interrupted.countDown();
                throw e;
            }
            return Agent.IDLE;
        }), Clock.systemUTC());
        assertTrue(blocked.await(10, TimeUnit.SECONDS));
        runner.stopNow();
        assertTrue(interrupted.await(10, TimeUnit.SECONDS));
        runner.close();
        assertFalse(runner.thread().isAlive());
    }

    private interface Work {
        long doWork(long nowMs) throws Exception;
    }

    private static Agent agent(String name, Work work) {
        return new Agent() {
            @Override
            public long doWork(long nowMs) throws Exception {
                return work.doWork(nowMs);
            }

            @Override
            public String roleName() {
                return name;
            }
        };
    }
}
