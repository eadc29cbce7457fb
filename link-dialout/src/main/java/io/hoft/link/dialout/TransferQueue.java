package io.hoft.link.dialout;

import io.hoft.transport.spool.SpoolFileName;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The transfers waiting in one direction, smallest first, each name at most once (queued or
 * running). One worker takes only small files, so a large body never holds up small calls;
 * the others take the smallest waiting file of any size.
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
    private boolean closed;

    /** Queues a first attempt unless the name is queued or running; returns whether it was added. */
    synchronized boolean add(SpoolFileName name, long size) {
        if (closed || !names.add(name.toString())) {
            return false;
        }
        waiting.add(new Transfer(name, size, 1, order.incrementAndGet()));
        notifyAll();
        return true;
    }

    /** Queues another attempt of a transfer that is still counted as running. */
    synchronized void retry(Transfer transfer) {
        if (closed) {
            return;
        }
        waiting.add(new Transfer(transfer.name(), transfer.size(), transfer.attempt() + 1, order.incrementAndGet()));
        notifyAll();
    }

    /** The transfer is over (done or given up): its name may be queued again. */
    synchronized void done(Transfer transfer) {
        names.remove(transfer.name().toString());
    }

    synchronized boolean contains(SpoolFileName name) {
        return names.contains(name.toString());
    }

    /** The next transfer (small only if {@code smallOnly}); null once closed. */
    synchronized Transfer take(boolean smallOnly) throws InterruptedException {
        while (!closed) {
            Transfer first = waiting.isEmpty() ? null : waiting.first();
            if (first != null && (!smallOnly || first.small())) {
                waiting.remove(first);
                return first;
            }
            wait();
        }
        return null;
    }

    synchronized void close() {
        closed = true;
        notifyAll();
    }
}
