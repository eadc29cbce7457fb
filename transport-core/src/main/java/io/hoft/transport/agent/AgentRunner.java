package io.hoft.transport.agent;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link Agent} on a daemon thread of its own, named after the agent's role. The duty
 * cycle: call {@link Agent#doWork}, then sleep until the deadline it returned, a {@link #wake}
 * or {@code maxIdle}, whichever comes first. A wake-up is never lost: one that arrives while the
 * agent works makes the next sleep return at once. A failure is logged and retried after
 * {@code failureBackoff}; it never ends the thread.
 *
 * <p>{@link #close} stops the cycle, waits for the current {@code doWork} to finish (up to
 * {@code joinTimeout}) and then runs {@link Agent#onClose} on the agent's thread.
 */
public final class AgentRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AgentRunner.class);

    private final Agent agent;
    private final Clock clock;
    private final long maxIdleMs;
    private final long failureBackoffMs;
    private final Thread thread;
    private final Object signal = new Object();
    private boolean signalled;
    private volatile boolean running = true;

    private AgentRunner(Agent agent, Clock clock, Duration maxIdle, Duration failureBackoff) {
        this.agent = Objects.requireNonNull(agent, "agent");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.maxIdleMs = Math.max(1, maxIdle.toMillis());
        this.failureBackoffMs = Math.max(1, failureBackoff.toMillis());
        this.thread = Threads.daemon(agent.roleName(), this::run);
    }

    /** Starts {@code agent} on its own thread: sleeps of at most a second, a second's back-off after a failure. */
    public static AgentRunner start(Agent agent, Clock clock) {
        return start(agent, clock, Duration.ofSeconds(1), Duration.ofSeconds(1));
    }

    /** Starts {@code agent} on its own thread. */
    public static AgentRunner start(Agent agent, Clock clock, Duration maxIdle, Duration failureBackoff) {
        AgentRunner runner = new AgentRunner(agent, clock, maxIdle, failureBackoff);
        runner.thread.start();
        return runner;
    }

    /** New work arrived: run the agent now (or right after its current cycle). */
    public void wake() {
        synchronized (signal) {
            signalled = true;
            signal.notifyAll();
        }
    }

    /** The agent's thread, for a test that waits on it or a diagnostic that names it. */
    public Thread thread() {
        return thread;
    }

    private void run() {
        try {
            while (running) {
                long deadlineMs = cycle();
                synchronized (signal) {
                    long waitMs = Math.min(maxIdleMs, deadlineMs - clock.millis());
                    if (!signalled && running && waitMs > 0) {
                        signal.wait(waitMs);
                    }
                    signalled = false;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                agent.onClose();
            } catch (RuntimeException e) {
                log.warn("{} failed to close: {}", agent.roleName(), e.toString());
            }
        }
    }

    private long cycle() {
        long nowMs = clock.millis();
        try {
            return agent.doWork(nowMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
            return nowMs;
        } catch (Exception e) {
            log.error("{} failed; trying again in {} ms", agent.roleName(), failureBackoffMs, e);
            return nowMs + failureBackoffMs;
        }
    }

    /** Ends the cycle after the current {@link Agent#doWork}, without waiting for it (see {@link #close}). */
    public void stop() {
        running = false;
        wake();
    }

    /**
     * Ends the cycle and interrupts the agent's thread: for an agent whose current work an
     * interrupt cuts short (a transfer blocked in I/O), when stopping must not wait for it.
     */
    public void stopNow() {
        stop();
        thread.interrupt();
    }

    /** Stops the cycle and waits (up to 30 seconds) for the current one to finish. */
    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    /** Stops the cycle and waits up to {@code joinTimeout} for the current one to finish. */
    public void close(Duration joinTimeout) {
        stop();
        if (Thread.currentThread() == thread) {
            return;
        }
        try {
            thread.join(joinTimeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
