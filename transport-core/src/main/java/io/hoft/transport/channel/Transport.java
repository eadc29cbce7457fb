package io.hoft.transport.channel;

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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's reliable transport: one channel in each direction to every peer, over the peers'
 * links, delivering every message exactly once to the {@link ChannelListener} whatever the
 * links do (lose, duplicate, truncate, corrupt, delay, reorder), across crashes of either side.
 *
 * <p>Threads: per peer a small-message lane and a bulk lane; two receivers (fragment files
 * and everything else, so a large body never delays small calls on the way in either); the
 * links' watchers; and a maintenance task that prunes what the rules allow (received ids a
 * grace period after they expired, settled rows after an hour, partial messages that expired,
 * the quarantine beyond its age and size caps, link temporary files no transfer uses).
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
    private static final long MAX_IDLE_WAIT_MS = 1000;
    private static final Duration SETTLED_RETENTION = Duration.ofHours(1);

    private final ChannelContext ctx;
    private final Map<NodeId, Link> links;
    private final Map<NodeId, IncomingChannel> incoming = new ConcurrentHashMap<>();
    private final Map<NodeId, OutgoingChannel> outgoing = new ConcurrentHashMap<>();
    private final InboundProcessor inbound;
    private final BlockingQueue<Link.IncomingFile> smallInbound = new LinkedBlockingQueue<>();
    private final BlockingQueue<Link.IncomingFile> bulkInbound = new LinkedBlockingQueue<>();
    private final Set<String> queued = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new ArrayList<>();
    private final ScheduledExecutorService maintenance =
            Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "hoft-maintenance"));
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
        this.inbound = new InboundProcessor(ctx, this);
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
        boolean afterReboot = ctx.store().inTransaction(tx -> {
            Optional<String> last = tx.queryOne("SELECT value FROM channel_meta WHERE name = 'boot_id'", row -> row.getString(1));
            return boot.isEmpty() || !boot.equals(last);
        });
        for (OutgoingChannel out : outgoing.values()) {
            ctx.store().inTransaction(tx -> {
                out.load(tx, nowMs);
                long lastHeard = tx.queryLong("SELECT last_heard_ms FROM channel WHERE peer = ?", out.peer().value());
                incoming.get(out.peer()).load(tx, lastHeard);
                out.recover(tx, nowMs, afterReboot);
                return null;
            });
        }
        // Recorded once every channel has marked its files for rebuilding: a crash before this
        // line makes the next start rebuild them again, which is harmless.
        boot.ifPresent(id -> ctx.store().inTransaction(tx -> tx.update(
                "INSERT OR REPLACE INTO channel_meta (name, value) VALUES ('boot_id', ?)", id)));
        running = true;
        SpoolFileWriter.warmUpInBackground(); // before the first large body, not during it
        for (OutgoingChannel out : outgoing.values()) {
            startThread("hoft-send-" + out.peer(), () -> laneLoop(out, OutgoingChannel.SMALL));
            startThread("hoft-bulk-" + out.peer(), () -> laneLoop(out, OutgoingChannel.BULK));
        }
        startThread("hoft-receive", () -> receiveLoop(smallInbound));
        startThread("hoft-receive-bulk", () -> receiveLoop(bulkInbound));
        Set<Link> distinct = Collections.newSetFromMap(new IdentityHashMap<>());
        distinct.addAll(links.values());
        for (Link link : distinct) {
            link.start(node(), this::offer);
        }
        maintenance.scheduleWithFixedDelay(this::maintain, 1, 60, TimeUnit.SECONDS);
        maintenance.execute(this::removeStaleTemporaryFiles);
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
            long[] backlog = ctx.store().inTransaction(tx -> new long[] {
                tx.queryLong("SELECT COUNT(*) FROM out_message WHERE peer = ? AND lane IN (0, 1)"
                        + " AND state IN ('queued', 'sending', 'growing')", peer.value()),
                tx.queryLong("SELECT COUNT(*) FROM out_file WHERE peer = ? AND state = 'sent'", peer.value()),
                tx.queryLong("SELECT COALESCE(SUM(size), 0) FROM out_file WHERE peer = ? AND state = 'sent'", peer.value()),
                tx.queryLong("SELECT COALESCE(MIN(first_sent_ms), 0) FROM out_file WHERE peer = ? AND state = 'sent'", peer.value()),
                tx.queryLong("SELECT COUNT(*) FROM in_reassembly WHERE peer = ?", peer.value())});
            long pending = smallInbound.stream().filter(f -> f.name().sender().equals(peer)).count()
                    + bulkInbound.stream().filter(f -> f.name().sender().equals(peer)).count();
            result.add(new PeerHealth(peer, state, heard <= 0 ? null : Instant.ofEpochMilli(heard), backlog[0], backlog[1],
                    backlog[2], backlog[3] == 0 ? null : Instant.ofEpochMilli(backlog[3]), out.resends(), pending, backlog[4]));
        }
        return result;
    }

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
            out.lane(OutgoingChannel.SMALL).signal();
        }
    }

    private void offer(Link.IncomingFile file) {
        if (!running || !incoming.containsKey(file.name().sender())) {
            return; // not a peer of ours: leave it for whoever it is meant for
        }
        if (!inbound.wanted(file, ctx.now()) || !queued.add(file.name().toString())) {
            return;
        }
        (file.name().isFragment() ? bulkInbound : smallInbound).add(file);
    }

    private void receiveLoop(BlockingQueue<Link.IncomingFile> queue) {
        while (running) {
            Link.IncomingFile file;
            try {
                file = queue.poll(MAX_IDLE_WAIT_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (file == null) {
                continue;
            }
            try {
                inbound.process(file);
            } catch (RuntimeException e) {
                log.error("unexpected failure processing {}", file.name(), e);
            } finally {
                queued.remove(file.name().toString());
            }
        }
    }

    private void laneLoop(OutgoingChannel out, int lane) {
        SpoolFileWriter writer = ctx.newWriter();
        Wakeup wakeup = out.lane(lane);
        while (running) {
            long nextMs;
            try {
                long nowMs = ctx.now();
                nextMs = lane == OutgoingChannel.SMALL ? out.workSmall(writer, nowMs) : out.workBulk(writer, nowMs);
            } catch (IOException | RuntimeException e) {
                log.error("sending to {} failed; retrying in a second", out.peer(), e);
                nextMs = ctx.now() + 1000;
            }
            try {
                wakeup.await(nextMs, ctx.clock(), MAX_IDLE_WAIT_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void removeStaleTemporaryFiles() {
        Set<Link> distinct = Collections.newSetFromMap(new IdentityHashMap<>());
        distinct.addAll(links.values());
        for (Link link : distinct) {
            int removed = link.removeStaleTemporaryFiles();
            if (removed > 0) {
                ctx.metrics().add("hoft_temp_files_removed_total", removed);
            }
        }
    }

    /** Prunes by rule; see the class comment. */
    private void maintain() {
        long nowMs = ctx.now();
        try {
            ctx.store().inTransaction(tx -> {
                tx.update("DELETE FROM in_message WHERE expires_ms < ?", nowMs - ctx.config().dedupeGrace().toMillis());
                long settledBefore = nowMs - SETTLED_RETENTION.toMillis();
                tx.update("DELETE FROM out_file_frame WHERE EXISTS (SELECT 1 FROM out_file f WHERE f.peer = out_file_frame.peer"
                        + " AND f.epoch = out_file_frame.epoch AND f.seq = out_file_frame.seq"
                        + " AND f.state IN ('acked', 'abandoned') AND f.settled_ms < ?)", settledBefore);
                tx.update("DELETE FROM out_file WHERE state IN ('acked', 'abandoned') AND settled_ms < ?", settledBefore);
                tx.update("DELETE FROM out_message WHERE state IN ('acked', 'expired') AND settled_ms < ?", settledBefore);
                for (String[] partial : tx.query("SELECT peer, id, body_name FROM in_reassembly WHERE expires_ms < ?",
                        row -> new String[] {row.getString(1), row.getString(2), row.getString(3)}, nowMs)) {
                    tx.update("DELETE FROM in_fragment WHERE peer = ? AND id = ?", partial[0], partial[1]);
                    tx.update("DELETE FROM in_reassembly WHERE peer = ? AND id = ?", partial[0], partial[1]);
                    ctx.bodies().release(tx, partial[2]);
                    ctx.metrics().increment("hoft_messages_expired_total", "peer", partial[0], "side", "receiver");
                }
                for (IncomingChannel in : incoming.values()) {
                    tx.update("UPDATE channel SET last_heard_ms = ? WHERE peer = ?", in.lastHeardMs(), in.peer().value());
                }
                return null;
            });
        } catch (RuntimeException e) {
            log.warn("maintenance failed: {}", e.toString());
        }
        quarantine.prune(nowMs);
        for (Link link : links.values()) {
            link.rescan();
        }
        removeStaleTemporaryFiles();
    }

    private void startThread(String name, Runnable loop) {
        Thread thread = daemon(loop, name);
        threads.add(thread);
        thread.start();
    }

    private static Thread daemon(Runnable runnable, String name) {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
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
        maintenance.shutdownNow();
        Set<Link> distinct = Collections.newSetFromMap(new IdentityHashMap<>());
        distinct.addAll(links.values());
        for (Link link : distinct) {
            link.close();
        }
        for (OutgoingChannel out : outgoing.values()) {
            out.lane(OutgoingChannel.SMALL).signal();
            out.lane(OutgoingChannel.BULK).signal();
        }
        for (Thread thread : threads) {
            try {
                thread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        try {
            ctx.store().inTransaction(tx -> {
                for (IncomingChannel in : incoming.values()) {
                    tx.update("UPDATE channel SET last_heard_ms = ? WHERE peer = ?", in.lastHeardMs(), in.peer().value());
                }
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
