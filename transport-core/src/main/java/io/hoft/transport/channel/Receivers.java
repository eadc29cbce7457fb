package io.hoft.transport.channel;

import io.hoft.transport.agent.Agent;
import io.hoft.transport.agent.AgentRunner;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.Link;
import java.time.Clock;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's two receivers, each an agent on a thread of its own: {@code hoft-receive} takes
 * every incoming file but fragments, {@code hoft-receive-bulk} takes fragments, so a large body
 * never delays small calls on the way in. A file offered is queued once until it was processed
 * (a rescan offering it again meanwhile changes nothing). Each cycle processes one file, so a
 * close waits only for the file in progress; what is still queued is offered again at the next
 * start, since it stays in the inbox until processed.
 */
final class Receivers {
    private static final Logger log = LoggerFactory.getLogger(Receivers.class);

    private final InboundProcessor inbound;
    private final Set<String> queued = ConcurrentHashMap.newKeySet();
    private final Receiver small;
    private final Receiver bulk;

    Receivers(InboundProcessor inbound, BooleanSupplier running) {
        this.inbound = inbound;
        this.small = new Receiver("hoft-receive", running);
        this.bulk = new Receiver("hoft-receive-bulk", running);
    }

    void start(Clock clock) {
        small.runner = AgentRunner.start(small, clock);
        bulk.runner = AgentRunner.start(bulk, clock);
    }

    /** Queues a file its receiver wants now, unless it is queued already. */
    void offer(Link.IncomingFile file, long nowMs) {
        if (!inbound.wanted(file, nowMs) || !queued.add(file.name().toString())) {
            return;
        }
        Receiver receiver = file.name().isFragment() ? bulk : small;
        receiver.queue.add(file);
        AgentRunner runner = receiver.runner;
        if (runner != null) {
            runner.wake();
        }
    }

    /** How many files from {@code peer} wait to be processed. */
    long pending(NodeId peer) {
        return small.queue.stream().filter(f -> f.name().sender().equals(peer)).count()
                + bulk.queue.stream().filter(f -> f.name().sender().equals(peer)).count();
    }

    /** Stops both receivers, each after the file in progress. */
    void close() {
        for (Receiver receiver : new Receiver[] {small, bulk}) {
            if (receiver.runner != null) {
                receiver.runner.close();
            }
        }
    }

    private final class Receiver implements Agent {
        private final String name;
        private final BooleanSupplier running;
        private final BlockingQueue<Link.IncomingFile> queue = new LinkedBlockingQueue<>();
        private volatile AgentRunner runner;

        Receiver(String name, BooleanSupplier running) {
            this.name = name;
            this.running = running;
        }

        @Override
        public long doWork(long nowMs) {
            Link.IncomingFile file = running.getAsBoolean() ? queue.poll() : null;
            if (file == null) {
                return IDLE;
            }
            try {
                inbound.process(file);
            } catch (RuntimeException e) {
                log.error("unexpected failure processing {}", file.name(), e);
            } finally {
                queued.remove(file.name().toString());
            }
            return queue.isEmpty() ? IDLE : nowMs;
        }

        @Override
        public String roleName() {
            return name;
        }
    }
}
