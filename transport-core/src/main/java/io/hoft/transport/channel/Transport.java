package io.hoft.transport.channel;

import io.hoft.transport.agent.AgentRunner;
import io.hoft.transport.fs.BootId;
import io.hoft.transport.fs.OwnerOnly;
import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.Link;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.spool.ModePolicy;
import io.hoft.transport.spool.SendingSessions;
import io.hoft.transport.spool.SpoolFileReader;
import io.hoft.transport.spool.SpoolFileWriter;
import io.hoft.transport.spool.SpoolLimits;
import io.hoft.transport.store.BodyFiles;
import io.hoft.transport.store.NodeStore;
import io.hoft.transport.store.StoreTx;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's reliable transport: one channel in each direction to every peer, over the peers'
 * links, delivering every message exactly once to the {@link ChannelListener} whatever the
 * links do (lose, duplicate, truncate, corrupt, delay, reorder), across crashes of either side.
 *
 * <p>Threads, each an agent on an {@link AgentRunner}: per peer a small-message lane and a bulk
 * lane ({@code hoft-send-PEER}, {@code hoft-bulk-PEER}, run by {@link OutgoingChannel}); two
 * receivers ({@code hoft-receive}, {@code hoft-receive-bulk}: {@link Receivers}); and the
 * maintenance ({@code hoft-maintenance}: {@link Maintenance}), which prunes what the rules allow.
 * The links run their own watchers. Every one of them meets the others only in the node's store
 * (its one lock) and in the lanes' wake-ups; {@link OutgoingTables} says how the lanes and the
 * receivers share the sent files' rows.
 *
 * <p>On {@link #start} it recovers first: temporary files go, body files no row owns go, files
 * in the sender's store that no row names go, half-written files are rebuilt, every
 * unacknowledged file is resent, and the inboxes are rescanned (what was half processed is
 * processed again and deduped).
 *
 * <p>The state directory holds {@code node.db}'s companions: {@code tmp/}, {@code bodies/},
 * {@code sent/PEER/} and {@code quarantine/}, all owner-only ({@link OwnerOnly}: a warning at start
 * names any that others may reach). The temporary folder must be on the outboxes'
 * filesystem for publishing to be one rename.
 */
public final class Transport implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(Transport.class);

    private final ChannelContext ctx;
    private final Map<NodeId, Link> links;
    private final Map<NodeId, IncomingChannel> incoming = new ConcurrentHashMap<>();
    private final Map<NodeId, OutgoingChannel> outgoing = new ConcurrentHashMap<>();
    private final Receivers receivers;
    private final Maintenance upkeep;
    private AgentRunner maintenance;
    private final long spoolQuotaBytes;
    private final Path stateDir;
    private final Supplier<Optional<String>> bootId;
    private final Quarantine quarantine;
    private NodeLock lock;
    private volatile boolean running;

    private Transport(Builder b) throws IOException {
        Path stateDir = b.stateDir;
        OwnerOnly.createDirectories(stateDir);
        BodyFiles bodies = new BodyFiles(stateDir.resolve("bodies"), b.disk);
        SpoolFileReader reader = new SpoolFileReader(b.keyring, b.modePolicy, b.limits, b.clock);
        this.ctx = new ChannelContext(b.keyring, b.config, b.store, bodies, reader, b.clock, b.disk, b.metrics, b.listener,
                new SendingSessions(b.keyring, b.config.sessions()), stateDir.resolve("sent"), stateDir.resolve("tmp"),
                stateDir.resolve("quarantine"));
        this.links = Collections.unmodifiableMap(new LinkedHashMap<>(b.links));
        this.spoolQuotaBytes = b.spoolQuotaBytes;
        this.stateDir = stateDir;
        this.bootId = b.bootId;
        this.quarantine = new Quarantine(ctx.quarantineDir(), b.quarantineMaxAge, b.quarantineMaxBytes, b.metrics);
        this.receivers = new Receivers(new InboundProcessor(ctx, this), () -> running);
        this.upkeep = new Maintenance(ctx, incoming.values(), links.values(), quarantine, Clock.systemUTC());
        OwnerOnly.createDirectories(ctx.tmpDir());
        OwnerOnly.createDirectories(ctx.sentDir());
        b.store.migrate("bodies", BodyFiles.SCHEMA);
        b.store.migrate(ChannelSchema.MODULE, ChannelSchema.STEPS);
        for (Map.Entry<NodeId, Link> entry : links.entrySet()) {
            NodeId peer = entry.getKey();
            if (!b.keyring.trust().trusts(peer)) {
                throw new IllegalArgumentException("peer " + peer + " has a link but is not in the trust list");
            }
            IncomingChannel in = new IncomingChannel(peer, b.config);
            incoming.put(peer, in);
            outgoing.put(peer, new OutgoingChannel(ctx, peer, entry.getValue(), in));
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public NodeId node() {
        return ctx.keyring().node();
    }

    public NodeStore store() {
        return ctx.store();
    }

    public BodyFiles bodies() {
        return ctx.bodies();
    }

    public TransportMetrics metrics() {
        return ctx.metrics();
    }

    /** The link to {@code peer}, if it has one (the file share uses a dial-out link's bulk transfers). */
    public Optional<Link> link(NodeId peer) {
        return Optional.ofNullable(links.get(peer));
    }

    public Set<NodeId> peers() {
        return links.keySet();
    }

    /** Recovers, then starts the lanes, receivers, links and maintenance. */
    public synchronized void start() throws IOException {
        if (running) {
            throw new IllegalStateException("already started");
        }
        lock = NodeLock.acquire(stateDir, node());
        OwnerOnly.warnIfLoosened(stateDir);
        long nowMs = ctx.now();
        deleteContents(ctx.tmpDir());
        quarantine.prune(nowMs);
        ctx.bodies().recover(ctx.store());
        Optional<String> boot = bootId.get();
        boolean afterReboot = ctx.store().inTransaction(tx -> boot.isEmpty() || !boot.equals(ChannelTable.lastBootId(tx)));
        for (OutgoingChannel out : outgoing.values()) {
            ctx.store().inTransaction(tx -> {
                out.load(tx, nowMs);
                long lastHeard = ChannelTable.lastHeardMs(tx, out.peer().value());
                incoming.get(out.peer()).load(tx, lastHeard);
                out.recover(tx, nowMs, afterReboot);
                return null;
            });
        }
        // Recorded once every channel has marked its files for rebuilding: a crash before this
        // line makes the next start rebuild them again, which is harmless.
        boot.ifPresent(id -> ctx.store().inTransaction(tx -> {
            ChannelTable.recordBootId(tx, id);
            return null;
        }));
        running = true;
        SpoolFileWriter.warmUpInBackground(); // before the first large body, not during it
        for (OutgoingChannel out : outgoing.values()) {
            out.startLanes(() -> running);
        }
        receivers.start(ctx.clock());
        for (Link link : distinctLinks()) {
            link.start(node(), this::offer);
        }
        maintenance = AgentRunner.start(upkeep, Clock.systemUTC());
        log.info("node {} started with peers {}", node(), links.keySet());
    }

    /**
     * Accepts a message for {@code peer} inside the caller's transaction: it is sent if and
     * only if the transaction commits. A body in a file of this node's body store is taken
     * over (the caller must have forced it); a body elsewhere is copied in (small ones are
     * kept inline).
     *
     * @throws ChannelFullException when a send limit is reached; nothing was stored
     */
    public void send(StoreTx tx, NodeId peer, Message message) throws ChannelFullException, IOException {
        OutgoingChannel out = outgoing(peer);
        long length = message.body().length();
        String bodyName = null;
        byte[] inline = null;
        if (length > 0 && length <= ChannelContext.INLINE_BODY_MAX && message.body().file().isEmpty()) {
            try (InputStream in = message.body().open()) {
                inline = in.readAllBytes();
            }
        } else if (length > 0) {
            Path file = message.body().file().filter(ctx.bodies()::holds).orElse(null);
            if (file == null) {
                file = ctx.bodies().newPath();
                try (InputStream in = message.body().open(); OutputStream copy = OwnerOnly.newOutputStream(file)) {
                    in.transferTo(copy);
                }
                ctx.bodies().force(file); // if the transaction rolls back, recovery deletes this unowned file
            }
            bodyName = ctx.bodies().register(tx, file, "out:" + peer + ":" + message.id(), ctx.now());
        }
        out.enqueue(tx, message, bodyName, inline, ctx.now(), spoolQuotaBytes);
    }

    /**
     * The bytes of body each fragment carries: a body over this length may be sent while it still
     * arrives ({@link #sendGrowing}), one fragment per slice of this length.
     */
    public long fragmentBodyBytes() {
        return ctx.config().fragmentBodyBytes();
    }

    /**
     * Starts sending, inside the caller's transaction, a message whose body is still being
     * written into {@code message.body().file()} (a new file of this node's body store, which
     * the channel takes over) and will hold exactly {@code message.body().length()} bytes, more
     * than {@link #fragmentBodyBytes()}. Report each durable prefix with {@link #grown}; every
     * fragment but the last may leave the node before the body is whole. Then either {@link
     * #completeGrowing} in the transaction that accepts the message (only then can the last
     * fragment leave, so the peer never delivers a message this node did not accept), or
     * {@link #cancelGrowing}. A message not completed when the node stops is cancelled at the
     * next start. Returns false, with nothing stored, for a body too short to be sent so (it is
     * sent whole with {@link #send} once complete).
     *
     * @throws ChannelFullException when a send limit is reached; nothing was stored
     */
    public boolean sendGrowing(StoreTx tx, NodeId peer, Message message) throws ChannelFullException, IOException {
        long length = message.body().length();
        if (length <= ctx.config().fragmentBodyBytes() || length <= ctx.config().bulkThresholdBytes()) {
            return false;
        }
        Path file = message.body().file().filter(ctx.bodies()::holds)
                .orElseThrow(() -> new IllegalArgumentException("a growing body must be a file of the body store"));
        String bodyName = file.getFileName().toString();
        outgoing(peer).enqueueGrowing(tx, message, bodyName, ctx.now(), spoolQuotaBytes); // first: it may refuse
        ctx.bodies().register(tx, file, "out:" + peer + ":" + message.id(), ctx.now());
        return true;
    }

    /** The first {@code durableBytes} of a growing message's body are written and forced (see {@link #sendGrowing}). */
    public void grown(NodeId peer, MessageId id, long durableBytes) {
        outgoing(peer).grown(id, durableBytes);
    }

    /**
     * Inside the transaction that accepts it: the growing message's body is whole and forced,
     * and the message is sent like any other. False if it was cancelled meanwhile.
     */
    public boolean completeGrowing(StoreTx tx, NodeId peer, MessageId id) {
        return outgoing(peer).completeGrowing(tx, id);
    }

    /** Gives up a growing message in a transaction of its own (see {@link #sendGrowing}); nothing if it completed. */
    public void cancelGrowing(NodeId peer, MessageId id) {
        OutgoingChannel out = outgoing(peer);
        ctx.store().inTransactionDurableLater(tx -> {
            out.cancelGrowing(tx, id, ctx.now());
            return null;
        });
    }

    /** The link state and backlog of every peer. */
    public List<PeerHealth> health() {
        long nowMs = ctx.now();
        ChannelConfig config = ctx.config();
        List<PeerHealth> result = new ArrayList<>();
        for (OutgoingChannel out : outgoing.values()) {
            NodeId peer = out.peer();
            IncomingChannel in = incoming.get(peer);
            long heard = in.lastHeardMs();
            long silence = nowMs - heard;
            LinkState state = heard <= 0 ? LinkState.DOWN
                    : silence <= config.lateAfter().toMillis() ? LinkState.UP
                    : silence <= config.downAfter().toMillis() ? LinkState.LATE : LinkState.DOWN;
            Counts counts = ctx.store().inTransaction(tx -> new Counts(out.health(tx),
                    IncomingTables.partialMessages(tx, peer.value())));
            OutgoingTables.Health sending = counts.sending();
            long oldest = sending.oldestUnackedMs();
            result.add(new PeerHealth(peer, state, heard <= 0 ? null : Instant.ofEpochMilli(heard), sending.queuedMessages(),
                    sending.unackedFiles(), sending.unackedBytes(), oldest == 0 ? null : Instant.ofEpochMilli(oldest),
                    out.resends(), receivers.pending(peer), counts.partialMessages()));
        }
        return result;
    }

    /** One peer's counts for {@link #health}, read in one transaction. */
    private record Counts(OutgoingTables.Health sending, long partialMessages) {}

    Quarantine quarantine() {
        return quarantine;
    }

    IncomingChannel incoming(NodeId peer) {
        IncomingChannel in = incoming.get(peer);
        if (in == null) {
            throw new IllegalArgumentException("no channel to " + peer);
        }
        return in;
    }

    OutgoingChannel outgoing(NodeId peer) {
        OutgoingChannel out = outgoing.get(peer);
        if (out == null) {
            throw new IllegalArgumentException("no channel to " + peer + " (peers: " + links.keySet() + ")");
        }
        return out;
    }

    void signalSmallLane(NodeId peer) {
        OutgoingChannel out = outgoing.get(peer);
        if (out != null) {
            out.wake(OutgoingChannel.SMALL);
        }
    }

    private void offer(Link.IncomingFile file) {
        if (!running || !incoming.containsKey(file.name().sender())) {
            return; // not a peer of ours: leave it for whoever it is meant for
        }
        receivers.offer(file, ctx.now());
    }

    private Set<Link> distinctLinks() {
        Set<Link> distinct = Collections.newSetFromMap(new IdentityHashMap<>());
        distinct.addAll(links.values());
        return distinct;
    }

    private void deleteContents(Path dir) throws IOException {
        try (var entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                ctx.disk().deleteIfExists(entry);
            }
        }
    }

    /** Stops the threads and links, waiting for work in progress to finish (a drain). */
    @Override
    public synchronized void close() throws IOException {
        if (!running) {
            return;
        }
        running = false;
        maintenance.close();
        for (Link link : distinctLinks()) {
            link.close();
        }
        for (OutgoingChannel out : outgoing.values()) {
            out.closeLanes();
        }
        receivers.close();
        try {
            ctx.store().inTransaction(tx -> {
                upkeep.recordLastHeard(tx);
                return null;
            });
        } catch (RuntimeException e) {
            // Only bookkeeping for the health report; a close must always finish.
            log.warn("could not record when peers were last heard: {}", e.toString());
        }
        lock.close();
    }

    /** Builds a transport; every field but the links has a default or is required. */
    public static final class Builder {
        private Keyring keyring;
        private NodeStore store;
        private Path stateDir;
        private ChannelConfig config = ChannelConfig.DEFAULT;
        private ModePolicy modePolicy = ModePolicy.SIGNED_ONLY;
        private SpoolLimits limits = SpoolLimits.DEFAULT;
        private Clock clock = Clock.systemUTC();
        private Disk disk = Disk.REAL;
        private TransportMetrics metrics = new TransportMetrics();
        private ChannelListener listener;
        private long spoolQuotaBytes = 64L * 1024 * 1024 * 1024;
        private Supplier<Optional<String>> bootId = BootId::current;
        private Duration quarantineMaxAge = Duration.ofDays(7);
        private long quarantineMaxBytes = 1L << 30;
        private final Map<NodeId, Link> links = new LinkedHashMap<>();

        public Builder keyring(Keyring keyring) {
            this.keyring = keyring;
            return this;
        }

        public Builder store(NodeStore store) {
            this.store = store;
            return this;
        }

        /** The folder for {@code tmp/}, {@code bodies/}, {@code sent/} and {@code quarantine/}. */
        public Builder stateDir(Path stateDir) {
            this.stateDir = stateDir;
            return this;
        }

        public Builder config(ChannelConfig config) {
            this.config = config;
            return this;
        }

        public Builder modePolicy(ModePolicy modePolicy) {
            this.modePolicy = modePolicy;
            return this;
        }

        public Builder limits(SpoolLimits limits) {
            this.limits = limits;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public Builder disk(Disk disk) {
            this.disk = disk;
            return this;
        }

        public Builder metrics(TransportMetrics metrics) {
            this.metrics = metrics;
            return this;
        }

        public Builder listener(ChannelListener listener) {
            this.listener = listener;
            return this;
        }

        /** The most body bytes all peers' queues may hold together. */
        public Builder spoolQuotaBytes(long bytes) {
            this.spoolQuotaBytes = bytes;
            return this;
        }

        /** Where the machine's boot id comes from (tests simulate a reboot with it). */
        public Builder bootId(Supplier<Optional<String>> bootId) {
            this.bootId = Objects.requireNonNull(bootId, "bootId");
            return this;
        }

        /** Quarantined files older than {@code maxAge}, or beyond {@code maxBytes} in all (oldest first), are deleted. */
        public Builder quarantine(Duration maxAge, long maxBytes) {
            this.quarantineMaxAge = maxAge;
            this.quarantineMaxBytes = maxBytes;
            return this;
        }

        /** Reaches {@code peer} over {@code link}; several peers may share one link. */
        public Builder link(NodeId peer, Link link) {
            links.put(peer, link);
            return this;
        }

        public Transport build() throws IOException {
            Objects.requireNonNull(keyring, "keyring");
            Objects.requireNonNull(store, "store");
            Objects.requireNonNull(stateDir, "stateDir");
            Objects.requireNonNull(listener, "listener");
            if (links.isEmpty()) {
                throw new IllegalArgumentException("a transport needs at least one peer link");
            }
            return new Transport(this);
        }
    }
}
