package io.hoft.link.dialout;

import io.hoft.transport.agent.Agent;
import io.hoft.transport.agent.AgentRunner;
import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker of a {@link TransferQueue}, as an {@link Agent}: it takes the smallest waiting
 * transfer (the small-files worker takes only small ones), runs one attempt, and queues a failed
 * one again after the link's backoff; a download is given up after {@value #MAX_DOWNLOAD_ATTEMPTS}
 * attempts (the front announces it again on the next list or connection). A name is released
 * from the queue only once its transfer is over, so no name runs twice at once.
 */
final class TransferWorker implements Agent {
    private static final Logger log = LoggerFactory.getLogger(TransferWorker.class);
    static final int MAX_DOWNLOAD_ATTEMPTS = 5;

    /** One attempt at a transfer; true when it is over (done, or nothing left to do). */
    @FunctionalInterface
    interface Attempt {
        boolean run(TransferQueue.Transfer transfer) throws IOException, InterruptedException;
    }

    /**
     * One direction's transfers and what its workers share: the queue, one attempt at a
     * transfer, whether it gives up after {@value #MAX_DOWNLOAD_ATTEMPTS} attempts, the backoff
     * between attempts and the timer that queues a transfer again, and whether the link closed.
     */
    record Lane(String kind, TransferQueue queue, Attempt attempt, boolean givesUp, DialoutSettings.Reconnect backoff,
            ScheduledExecutorService timer, BooleanSupplier closed) {}

    private final String role;
    private final boolean smallOnly;
    private final Lane lane;

    private TransferWorker(String role, boolean smallOnly, Lane lane) {
        this.role = role;
        this.smallOnly = smallOnly;
        this.lane = lane;
    }

    /** Starts a worker of {@code lane} (one that takes small files only, if {@code smallOnly}); the queue wakes it. */
    static AgentRunner start(String role, boolean smallOnly, Lane lane) {
        AgentRunner runner = AgentRunner.start(new TransferWorker(role, smallOnly, lane), Clock.systemUTC());
        lane.queue().onWork(runner::wake);
        return runner;
    }

    @Override
    public String roleName() {
        return role;
    }

    @Override
    public long doWork(long nowMs) throws InterruptedException {
        TransferQueue queue = lane.queue();
        TransferQueue.Transfer transfer = queue.poll(smallOnly);
        if (transfer == null) {
            return IDLE;
        }
        boolean over;
        try {
            over = lane.attempt().run(transfer);
        } catch (IOException | RuntimeException e) {
            log.info("{} of {} failed (attempt {}): {}", lane.kind(), transfer.name(), transfer.attempt(), e.toString());
            over = false;
        }
        if (over || lane.closed().getAsBoolean() || (lane.givesUp() && transfer.attempt() >= MAX_DOWNLOAD_ATTEMPTS)) {
            queue.done(transfer);
        } else {
            long delayMs = lane.backoff().delayMillis(transfer.attempt(), ThreadLocalRandom.current());
            try {
                lane.timer().schedule(() -> queue.retry(transfer), delayMs, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                queue.done(transfer);
            }
        }
        return nowMs; // at once: the next waiting transfer
    }
}
