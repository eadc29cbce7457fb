package io.hoft.front.internal;

import io.hoft.front.StoredResponse;
import io.hoft.transport.agent.Threads;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Sync callers waiting for their response, without a thread each: a waiter is registered
 * before the call is stored, armed once the handler has returned (so the exchange is no longer
 * in its handler's call stack), and fired exactly once, by whichever comes first: the response
 * or expiry (from an after-commit hook), the wait's timer, or shutdown.
 */
final class Waiters implements AutoCloseable {

    /** How a wait ended. */
    sealed interface Outcome permits Responded, Expired, TimedOut {}

    /** The response is stored (a callee's or the back's synthetic error). */
    record Responded(StoredResponse response) implements Outcome {}

    /** The call expired without a response. */
    record Expired() implements Outcome {}

    /** The wait ended first; the call goes on. */
    record TimedOut() implements Outcome {}

    /** One waiting caller. */
    final class Waiter {
        final String id;
        private final Consumer<Outcome> onOutcome;
        private Outcome outcome;
        private boolean armed;
        private boolean fired;
        private ScheduledFuture<?> timer;

        private Waiter(String id, Consumer<Outcome> onOutcome) {
            this.id = id;
            this.onOutcome = onOutcome;
        }

        /** The handler has returned: fire now if the outcome is already known, else wait at most {@code waitMs}. */
        void arm(long waitMs) {
            synchronized (this) {
                armed = true;
                if (outcome == null) {
                    timer = timers.schedule(() -> complete(new TimedOut()), waitMs, TimeUnit.MILLISECONDS);
                    return;
                }
            }
            fire();
        }

        /** Forgets the waiter (the call was not stored). */
        void cancel() {
            byId.remove(id, this);
        }

        boolean complete(Outcome result) {
            synchronized (this) {
                if (outcome != null) {
                    return false;
                }
                outcome = result;
                if (timer != null) {
                    timer.cancel(false);
                }
                if (!armed) {
                    return true;
                }
            }
            fire();
            return true;
        }

        private void fire() {
            Outcome result;
            synchronized (this) {
                if (fired) {
                    return;
                }
                fired = true;
                result = outcome;
            }
            byId.remove(id, this);
            onOutcome.accept(result);
        }
    }

    private final Map<String, Waiter> byId = new ConcurrentHashMap<>();
    private final ScheduledThreadPoolExecutor timers;
    private volatile boolean releasing;

    Waiters() {
        timers = new ScheduledThreadPoolExecutor(1, Threads.named("hoft-front-wait-timer"));
        timers.setRemoveOnCancelPolicy(true);
    }

    /**
     * Registers a waiter for call {@code id}; {@code onOutcome} runs once, on some thread, after
     * {@link Waiter#arm}. Once shutdown began, the wait ends as soon as it is armed.
     */
    Waiter register(String id, Consumer<Outcome> onOutcome) {
        Waiter waiter = new Waiter(id, onOutcome);
        byId.put(id, waiter);
        if (releasing) {
            waiter.complete(new TimedOut());
        }
        return waiter;
    }

    /** Ends the wait of call {@code id}, if anyone waits. */
    void complete(String id, Outcome outcome) {
        Waiter waiter = byId.get(id);
        if (waiter != null) {
            waiter.complete(outcome);
        }
    }

    int size() {
        return byId.size();
    }

    /** Ends every wait, and every later one, as timed out (the calls go on); used on shutdown. */
    void releaseAll() {
        releasing = true;
        for (Waiter waiter : List.copyOf(byId.values())) {
            waiter.complete(new TimedOut());
        }
    }

    @Override
    public void close() {
        releaseAll();
        timers.shutdownNow();
    }
}
