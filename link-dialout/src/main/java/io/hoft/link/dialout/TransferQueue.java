package io.hoft.link.dialout;

import io.hoft.transport.spool.SpoolFileName;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The transfers waiting in one direction, smallest first, each name at most once (queued or
 * running). One worker takes only small files, so a large body never holds up small calls;
 * the others take the smallest waiting file of any size. Its workers ({@link TransferWorker})
 * poll it and are woken when a transfer is queued; the queue's lock is held for its own state
 * only, never while a worker is woken.
 */
final class TransferQueue {
    /** Files up to this size count as small. */
    static final long SMALL_BYTES = 1 << 20;

    record Transfer(SpoolFileName name, long size, int attempt, long order) {
        boolean small() {
            return size <= SMALL_BYTES;
        }
    }

    private final AtomicLong order = new AtomicLong();
    private final TreeSet<Transfer> waiting = new TreeSet<>(Comparator.comparingLong(Transfer::size).thenComparingLong(Transfer::order));
    private final Set<String> names = new HashSet<>();
    private final List<Runnable> wakers = new CopyOnWriteArrayList<>();
    private boolean closed;

    /** {@code waker} runs whenever a transfer is queued (a worker's wake-up). */
    void onWork(Runnable waker) {
        wakers.add(waker);
    }

    /** Queues a first attempt unless the name is queued or running; returns whether it was added. */
    boolean add(SpoolFileName name, long size) {
        synchronized (this) {
            if (closed || !names.add(name.toString())) {
                return false;
            }
            waiting.add(new Transfer(name, size, 1, order.incrementAndGet()));
        }
        wakers.forEach(Runnable::run);
        return true;
    }

    /** Queues another attempt of a transfer that is still counted as running. */
    void retry(Transfer transfer) {
        synchronized (this) {
            if (closed) {
                return;
            }
            waiting.add(new Transfer(transfer.name(), transfer.size(), transfer.attempt() + 1, order.incrementAndGet()));
        }
        wakers.forEach(Runnable::run);
    }

    /** The transfer is over (done or given up): its name may be queued again. */
    synchronized void done(Transfer transfer) {
        names.remove(transfer.name().toString());
    }

    /** The next transfer (small only if {@code smallOnly}); null if none waits, or once closed. */
    synchronized Transfer poll(boolean smallOnly) {
        Transfer first = closed || waiting.isEmpty() ? null : waiting.first();
        if (first != null && (!smallOnly || first.small())) {
            waiting.remove(first);
            return first;
        }
        return null;
    }

    synchronized void close() {
        closed = true;
    }
}
