package io.hoft.transport.link;

import io.hoft.transport.agent.Agent;
import io.hoft.transport.agent.AgentRunner;
import io.hoft.transport.agent.Threads;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports names of regular files in one folder: at once on inotify events (when enabled) and
 * on every poll, a poll's names in name order. A name may be reported many times; deciding
 * what is new is the caller's job.
 * An inotify overflow triggers a full scan, so no event loss loses a file.
 *
 * <p>Two threads: the scanner, an {@link Agent} ({@code NAME-scan}) that scans every poll
 * interval and at once when {@link #scanSoon} asks, and with inotify on the event thread
 * ({@code NAME-events}), which blocks on the watch service. Neither takes a lock of its own;
 * the listener is called from both.
 */
final class FolderWatcher implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(FolderWatcher.class);
    /** With inotify on, a safety scan still runs at least this often. */
    private static final Duration SAFETY_SCAN = Duration.ofSeconds(30);

    private final Path folder;
    private final WatchMode mode;
    private final Duration pollInterval;
    private final Consumer<Path> listener;
    private final String threadName;
    private final Scanner scanner;
    private volatile AgentRunner scanRunner;
    private WatchService watchService;
    private Thread eventThread;
    private volatile boolean closed;

    FolderWatcher(Path folder, WatchMode mode, Duration pollInterval, Consumer<Path> listener, String threadName) {
        this.folder = Objects.requireNonNull(folder, "folder");
        this.mode = Objects.requireNonNull(mode, "mode");
        this.pollInterval = Objects.requireNonNull(pollInterval, "pollInterval");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.threadName = threadName;
        this.scanner = new Scanner();
    }

    void start() throws IOException {
        if (mode != WatchMode.POLL) {
            watchService = folder.getFileSystem().newWatchService();
            folder.register(watchService, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
            eventThread = Threads.daemon(threadName + "-events", this::watchEvents);
            eventThread.start();
        }
        scanRunner = AgentRunner.start(scanner, Clock.systemUTC(), Duration.ofMillis(scanner.periodMs), Duration.ofSeconds(1));
    }

    /** A full scan now, on the scanner thread. */
    void scanSoon() {
        AgentRunner runner = scanRunner;
        if (!closed && runner != null) {
            scanner.requested.set(true);
            runner.wake();
        }
    }

    /** The scanner's duty cycle: a scan when one was asked for or the poll interval is over. */
    private final class Scanner implements Agent {
        final AtomicBoolean requested = new AtomicBoolean();
        final long periodMs = Math.max(1, mode == WatchMode.INOTIFY
                ? Math.max(pollInterval.toMillis(), SAFETY_SCAN.toMillis()) : pollInterval.toMillis());
        long nextScanMs;

        @Override
        public long doWork(long nowMs) {
            if (requested.getAndSet(false) || nowMs >= nextScanMs) {
                scan();
                nextScanMs = nowMs + periodMs;
            }
            return nextScanMs;
        }

        @Override
        public String roleName() {
            return threadName + "-scan";
        }
    }

    private void scan() {
        if (closed) {
            return;
        }
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            entries.forEach(found::add);
        } catch (IOException e) {
            log.warn("cannot scan {}: {}", folder, e.toString());
            return;
        }
        // A folder lists in no useful order (by hash on ext4). In name order, files that waited
        // (at start, or between polls) go on in the order they were sent: spool file names sort
        // by sender, recipient, epoch and zero-padded sequence number.
        found.sort(Comparator.comparing(entry -> entry.getFileName().toString()));
        try {
            for (Path entry : found) {
                listener.accept(entry);
            }
        } catch (RuntimeException e) {
            log.error("scan of {} failed", folder, e);
        }
    }

    private void watchEvents() {
        while (!closed) {
            WatchKey key;
            try {
                key = watchService.take();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            for (WatchEvent<?> event : key.pollEvents()) {
                if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                    scanSoon();
                } else if (event.context() instanceof Path) {
                    try {
                        listener.accept(folder.resolve((Path) event.context()));
                    } catch (RuntimeException e) {
                        log.error("handling an event in {} failed", folder, e);
                    }
                }
            }
            if (!key.reset()) {
                log.warn("{} can no longer be watched; relying on polling", folder);
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        if (scanRunner != null) {
            scanRunner.close(Duration.ofSeconds(5));
        }
        if (watchService != null) {
            watchService.close();
        }
        if (eventThread != null) {
            eventThread.interrupt();
        }
    }
}
