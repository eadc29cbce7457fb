package io.hoft.transport.agent;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one way hoft makes a thread: a daemon (a stuck thread never keeps a stopping process
 * alive; every owner stops its threads in its own {@code close}) with a name that says whose it
 * is, as listed in the thread table ({@code README.md}, "Threads").
 */
public final class Threads {
    private Threads() {
    }

    /** An unstarted daemon thread named {@code name}. */
    public static Thread daemon(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        return thread;
    }

    private static ThreadFactory factory(String name, boolean numbered) {
        AtomicInteger count = new AtomicInteger();
        return body -> daemon(numbered ? name + "-" + count.incrementAndGet() : name, body);
    }

    /** A factory of daemon threads named {@code name-1}, {@code name-2}...; for pools. */
    public static ThreadFactory numbered(String name) {
        return factory(name, true);
    }

    /** A factory of daemon threads all named {@code name}; for single-thread executors. */
    public static ThreadFactory named(String name) {
        return factory(name, false);
    }
}
