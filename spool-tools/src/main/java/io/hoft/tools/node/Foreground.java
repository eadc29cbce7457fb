package io.hoft.tools.node;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Runs a node in the foreground until SIGTERM or SIGINT. The signals are taken over instead of
 * left to the JVM's shutdown hooks so that draining happens on the main thread and the process
 * then exits 0, as the contract wants; a second signal during the drain stops at once.
 */
final class Foreground {
    private static final Logger log = LoggerFactory.getLogger(Foreground.class);

    private final CountDownLatch stop = new CountDownLatch(1);
    private final AtomicInteger signals = new AtomicInteger();

    /** Installs the handlers; call before starting the node, so no signal is missed. */
    static Foreground install() {
        Foreground foreground = new Foreground();
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), foreground::onSignal);
        }
        return foreground;
    }

    private void onSignal(Signal signal) {
        if (signals.incrementAndGet() == 1) {
            log.info("SIG{}: draining, then stopping (send it again to stop at once)", signal.getName());
            stop.countDown();
        } else {
            log.warn("SIG{} again: stopping without finishing the drain", signal.getName());
            Runtime.getRuntime().halt(130);
        }
    }

    /** Blocks until the first signal. */
    void awaitStop() throws InterruptedException {
        stop.await();
    }
}
