package io.hoft.transport.channel;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What a lane knows without asking the database, so that a pass asks only about what may
 * have changed. Every hint errs towards looking: a stale one costs a query, never a file left
 * behind. Set from any thread (acceptances, acks, nacks), reset by the lane's own thread
 * before it looks, so a change made while it looks is seen on the next pass.
 */
final class LaneHints {
    /** How long a resend time read from the database is trusted (tools may change rows meanwhile). */
    static final long RESEND_RECHECK_MS = 5000;

    /** Files may be {@code writing} (after a start, a lost stored copy, a session ending). */
    volatile boolean rebuild = true;
    /** Small messages may wait in {@code open} files that the lane has not taken yet. */
    volatile boolean open = true;
    /** Messages may wait in {@code queued} (the window was full when they came) or {@code sending}. */
    volatile boolean queued = true;
    /** No stored file is due for a resend before this (epoch millis); 0 means look now. */
    final AtomicLong resendAtMs = new AtomicLong();

    void resendBy(long atMs) {
        resendAtMs.accumulateAndGet(atMs, Math::min);
    }
}
