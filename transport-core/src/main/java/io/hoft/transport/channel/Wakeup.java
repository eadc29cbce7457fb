package io.hoft.transport.channel;

import java.time.Clock;

/** Lets a worker sleep until a deadline or until signalled, whichever comes first; a signal is never lost. */
final class Wakeup {
    private boolean signalled;

    synchronized void signal() {
        signalled = true;
        notifyAll();
    }

    /** Waits until {@code deadlineMs} on {@code clock}, a signal, or {@code maxWaitMs}, whichever is first. */
    synchronized void await(long deadlineMs, Clock clock, long maxWaitMs) throws InterruptedException {
        long waitMs = Math.min(maxWaitMs, deadlineMs - clock.millis());
        if (!signalled && waitMs > 0) {
            wait(waitMs);
        }
        signalled = false;
    }
}
