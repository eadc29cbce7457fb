package io.hoft.back.share;

import io.hoft.share.CatalogEntry;
import io.hoft.share.CatalogUpdate;
import io.hoft.share.ShareProtocol;
import io.hoft.transport.agent.Agent;
import io.hoft.transport.agent.AgentRunner;
import io.hoft.transport.agent.Threads;
import io.hoft.transport.channel.Transport;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.NodeStore;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the peers' catalogs of the published folders current: a full catalog at start; a
 * full rescan every {@code refresh}, which sends a full catalog when anything differs from the
 * last one sent (so whatever watching missed, such as a change on a network share where no
 * event fires, drops out or appears then) and otherwise only every tenth time; and in between,
 * when the watcher sees a change, a rescan after {@code settle} and a change update against the
 * last catalog sent. A send that fails (the channel is full) makes the next update a full one.
 */
final class SharePublisher implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(SharePublisher.class);
    private static final Duration MIN_LIFETIME = Duration.ofMinutes(10);
    private static final int FULL_EVERY = 10;
    /** At most this many bytes are hashed per scan, so a large folder's first catalog is not held up; the rest follow. */
    static final long HASH_BYTES_PER_SCAN = 512L << 20;

    private final PublishedFolders folders;
    private final ShareConfig config;
    private final NodeStore store;
    private final Transport transport;
    private final Clock clock;
    private final Scanner scanner = new Scanner();
    private volatile AgentRunner scanRunner;
    private final Map<String, CatalogEntry> hashes = new ConcurrentHashMap<>();
    private final AtomicBoolean rescanQueued = new AtomicBoolean();
    private WatchService watcher;
    private Thread watchThread;
    private Map<String, CatalogEntry> lastSent;
    private long rev;
    private boolean needFull = true;
    private long lastFullMs;

    SharePublisher(PublishedFolders folders, ShareConfig config, NodeStore store, Transport transport, Clock clock) {
        this.folders = folders;
        this.config = config;
        this.store = store;
        this.transport = transport;
        this.clock = clock;
        this.rev = clock.millis() * 1000;
    }

    void start() throws IOException {
        if (config.watch()) {
            watcher = folders.roots().values().iterator().next().getFileSystem().newWatchService();
            for (Path root : folders.roots().values()) {
                registerTree(root);
            }
            watchThread = Threads.daemon("hoft-share-watch", this::watchLoop);
            watchThread.start();
        }
        // scheduling runs on real time, whatever the publisher's clock
        scanRunner = AgentRunner.start(scanner, Clock.systemUTC());
    }

    /** Something changed (or may have): scan again after the settle time, once however many ask. */
    void changed() {
        AgentRunner runner = scanRunner;
        if (rescanQueued.compareAndSet(false, true) && runner != null) {
            runner.wake();
        }
    }

    /**
     * The scanner's duty cycle ({@code hoft-share-scan}): the full rescan every {@code refresh},
     * and a change update {@code settle} after the first of a burst of changes.
     */
    private final class Scanner implements Agent {
        long nextRefreshMs;
        long settledMs = IDLE;

        @Override
        public long doWork(long nowMs) {
            if (nowMs >= nextRefreshMs) {
                refresh();
                nextRefreshMs = nowMs + config.refresh().toMillis();
            }
            if (settledMs == IDLE && rescanQueued.get()) {
                settledMs = nowMs + config.settle().toMillis();
            }
            if (nowMs >= settledMs) {
                settledMs = IDLE;
                rescanQueued.set(false);
                publish(false);
            }
            return Math.min(nextRefreshMs, settledMs);
        }

        @Override
        public String roleName() {
            return "hoft-share-scan";
        }
    }

    /**
     * The interval's full scan: a full catalog if anything changed since the last one sent, or
     * if the last full one is {@value #FULL_EVERY} intervals old (so a front that lost a change
     * update, which only happens when it expired on the way, catches up); nothing otherwise.
     */
    synchronized void refresh() {
        boolean due = clock.millis() - lastFullMs >= config.refresh().toMillis() * FULL_EVERY - config.refresh().toMillis() / 2;
        publish(due ? Publish.FULL : Publish.FULL_IF_CHANGED);
    }

    /** Scans and sends a full catalog ({@code full}), or the changes since the last one sent. */
    synchronized void publish(boolean full) {
        publish(full ? Publish.FULL : Publish.CHANGES);
    }

    private enum Publish { FULL, FULL_IF_CHANGED, CHANGES }

    private synchronized void publish(Publish what) {
        try {
            Map<String, CatalogEntry> now = new java.util.TreeMap<>();
            long[] budget = {HASH_BYTES_PER_SCAN};
            folders.scan().forEach((path, scanned) -> now.put(path, entry(path, scanned, budget)));
            if (budget[0] < 0) {
                changed(); // files left without a hash: hash more of them in the next scan
            }
            if (what == Publish.FULL_IF_CHANGED && !needFull && now.equals(lastSent)) {
                return;
            }
            CatalogUpdate update;
            if (what != Publish.CHANGES || needFull || lastSent == null) {
                update = CatalogUpdate.full(rev + 1, new ArrayList<>(now.values()));
            } else {
                List<CatalogEntry> changed = new ArrayList<>();
                List<String> removed = new ArrayList<>();
                now.forEach((path, entry) -> {
                    if (!entry.equals(lastSent.get(path))) {
                        changed.add(entry);
                    }
                });
                lastSent.keySet().stream().filter(path -> !now.containsKey(path)).forEach(removed::add);
                if (changed.isEmpty() && removed.isEmpty()) {
                    return;
                }
                update = new CatalogUpdate(rev + 1, rev, changed, removed);
            }
            hashes.keySet().retainAll(now.keySet());
            if (send(update)) {
                rev = update.rev();
                lastSent = now;
                if (update.isFull()) {
                    lastFullMs = clock.millis();
                }
                needFull = false;
                log.debug("share: sent {} catalog rev {} ({} files)", update.isFull() ? "full" : "change", update.rev(),
                        update.files().size());
            } else {
                needFull = true;
            }
        } catch (RuntimeException e) {
            needFull = true;
            log.warn("share: publishing the catalog failed: {}", e.toString());
        }
    }

    private boolean send(CatalogUpdate update) {
        Instant now = clock.instant();
        Duration lifetime = config.refresh().multipliedBy(3);
        Instant expires = now.plus(lifetime.compareTo(MIN_LIFETIME) < 0 ? MIN_LIFETIME : lifetime);
        Body body = Body.ofBytes(update.encode());
        boolean all = true;
        for (NodeId peer : transport.peers()) {
            Message message = new Message(MessageId.generate(clock), now, expires,
                    new Envelope.Request("PUT", ShareProtocol.CATALOG_TARGET, ShareProtocol.UPSTREAM,
                            List.of(new HeaderField("Content-Type", "application/json"))), body);
            try {
                store.inTransaction(tx -> {
                    transport.send(tx, peer, message);
                    return null;
                });
            } catch (RuntimeException e) {
                log.warn("share: cannot send the catalog to {} now: {}", peer, e.toString());
                all = false;
            }
        }
        return all;
    }

    /** The catalog entry of a scanned file, with a SHA-256 for files up to {@code hashUpTo} (kept while size and time hold). */
    private CatalogEntry entry(String path, PublishedFolders.Scanned scanned, long[] budget) {
        if (scanned.size() > config.hashUpTo().bytes()) {
            return new CatalogEntry(path, scanned.size(), scanned.modifiedMs(), null);
        }
        CatalogEntry known = hashes.get(path);
        if (known != null && known.size() == scanned.size() && known.modifiedMs() == scanned.modifiedMs()) {
            return known;
        }
        if (budget[0] <= 0) {
            budget[0] = -1;
            return new CatalogEntry(path, scanned.size(), scanned.modifiedMs(), null);
        }
        budget[0] -= scanned.size();
        try {
            String sha = CatalogEntry.sha256Of(scanned.file());
            BasicFileAttributes after = Files.readAttributes(scanned.file(), BasicFileAttributes.class);
            if (after.size() != scanned.size() || after.lastModifiedTime().toMillis() != scanned.modifiedMs()) {
                changed(); // still being written: list it without a hash now, look again soon
                return new CatalogEntry(path, scanned.size(), scanned.modifiedMs(), null);
            }
            CatalogEntry entry = new CatalogEntry(path, scanned.size(), scanned.modifiedMs(), sha);
            hashes.put(path, entry);
            return entry;
        } catch (IOException e) {
            return new CatalogEntry(path, scanned.size(), scanned.modifiedMs(), null);
        }
    }

    // ---------------------------------------------------------------- watching

    private final Map<WatchKey, Path> keys = new HashMap<>();

    private void registerTree(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                try {
                    synchronized (keys) {
                        keys.put(d.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                                StandardWatchEventKinds.ENTRY_MODIFY), d);
                    }
                } catch (IOException e) {
                    log.debug("share: cannot watch {}: {}", d, e.toString());
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private void watchLoop() {
        try {
            while (true) {
                WatchKey key = watcher.take();
                Path dir;
                synchronized (keys) {
                    dir = keys.get(key);
                }
                for (var event : key.pollEvents()) {
                    if (event.kind() == StandardWatchEventKinds.ENTRY_CREATE && dir != null) {
                        Path created = dir.resolve((Path) event.context());
                        if (Files.isDirectory(created, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                            try {
                                registerTree(created);
                            } catch (IOException e) {
                                log.debug("share: cannot watch {}: {}", created, e.toString());
                            }
                        }
                    }
                }
                if (!key.reset()) {
                    synchronized (keys) {
                        keys.remove(key);
                    }
                }
                changed();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        AgentRunner runner = scanRunner;
        if (runner != null) {
            runner.close(Duration.ofSeconds(5));
        }
        if (watcher != null) {
            watcher.close();
        }
        if (watchThread != null) {
            watchThread.interrupt();
        }
    }
}
