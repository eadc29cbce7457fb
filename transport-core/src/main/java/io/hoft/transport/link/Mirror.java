package io.hoft.transport.link;

import io.hoft.transport.agent.Threads;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A one-way folder mirror, like the transfer services hoft runs over, for local setups and
 * tests: it polls {@code from}, carries each new file to {@code to}, and optionally misbehaves
 * as {@link MirrorFaults} say (loss, duplication, truncation, corruption, reordering, delay).
 *
 * <p>In {@link Mode#MOVE} mode a carried file disappears from {@code from}; in {@link
 * Mode#COPY} mode it stays and is carried again only if it changes (a copy mirror). Files are
 * copied to a holding folder beside {@code to} first; delivery is then an atomic rename, or,
 * with {@code inPlace}, a slow write straight under the final name, the way some mirrors copy.
 * Names starting with '.' are never carried.
 */
public final class Mirror implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(Mirror.class);

    /** Whether the source file is removed once carried. */
    public enum Mode {
        MOVE,
        COPY
    }

    private final Path from;
    private final Path to;
    private final Path hold;
    private final Mode mode;
    private final MirrorFaults faults;
    private final Duration pollInterval;
    private final boolean inPlace;
    private final Random random;
    private final ScheduledExecutorService executor;
    /** COPY mode: what was carried already, by name, as size and modification time. */
    private final Map<String, String> carried = new HashMap<>();
    private final AtomicLong holdCounter = new AtomicLong();

    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();
    private final AtomicLong duplicated = new AtomicLong();
    private final AtomicLong truncated = new AtomicLong();
    private final AtomicLong corrupted = new AtomicLong();
    private final AtomicLong reordered = new AtomicLong();

    public Mirror(Path from, Path to, Mode mode, MirrorFaults faults, Duration pollInterval, boolean inPlace) throws IOException {
        this.from = Objects.requireNonNull(from, "from");
        this.to = Objects.requireNonNull(to, "to");
        this.mode = Objects.requireNonNull(mode, "mode");
        this.faults = Objects.requireNonNull(faults, "faults");
        this.pollInterval = Objects.requireNonNull(pollInterval, "pollInterval");
        this.inPlace = inPlace;
        this.random = new Random(faults.seed());
        Files.createDirectories(from);
        Files.createDirectories(to);
        Path parent = to.toAbsolutePath().getParent();
        this.hold = Files.createTempDirectory(parent, ".hoft-mirror-");
        // two threads: one polls while the other delivers what a fault delayed
        this.executor = Executors.newScheduledThreadPool(2, Threads.named("hoft-mirror-" + to.getFileName()));
    }

    public Mirror start() {
        executor.scheduleWithFixedDelay(this::poll, 0, Math.max(1, pollInterval.toMillis()), TimeUnit.MILLISECONDS);
        return this;
    }

    /** Counts of what happened so far. */
    public record Stats(long delivered, long lost, long duplicated, long truncated, long corrupted, long reordered) {}

    public Stats stats() {
        return new Stats(delivered.get(), lost.get(), duplicated.get(), truncated.get(), corrupted.get(), reordered.get());
    }

    private synchronized void poll() {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(from)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.startsWith(".")) {
                    continue;
                }
                BasicFileAttributes attributes;
                try {
                    attributes = Files.readAttributes(file, BasicFileAttributes.class);
                } catch (NoSuchFileException e) {
                    continue;
                }
                if (!attributes.isRegularFile()) {
                    continue;
                }
                String version = attributes.size() + "@" + attributes.lastModifiedTime().toMillis();
                if (mode == Mode.COPY && version.equals(carried.get(name))) {
                    continue;
                }
                carry(file, name);
                if (mode == Mode.COPY) {
                    carried.put(name, version);
                }
            }
            if (mode == Mode.COPY) {
                carried.keySet().removeIf(name -> !Files.exists(from.resolve(name)));
            }
        } catch (IOException | RuntimeException e) {
            log.warn("mirror poll of {} failed: {}", from, e.toString());
        }
    }

    private void carry(Path file, String name) throws IOException {
        Path held = hold.resolve(holdCounter.incrementAndGet() + "-" + name);
        try {
            Files.copy(file, held);
        } catch (NoSuchFileException e) {
            return;
        }
        if (mode == Mode.MOVE) {
            Files.deleteIfExists(file);
        }
        if (random.nextDouble() < faults.loss()) {
            lost.incrementAndGet();
            Files.deleteIfExists(held);
            return;
        }
        boolean duplicate = random.nextDouble() < faults.duplicate();
        if (duplicate) {
            Path second = hold.resolve(holdCounter.incrementAndGet() + "-" + name);
            Files.copy(held, second);
            duplicated.incrementAndGet();
            schedule(second, name, faults.delay().toMillis() + randomDelay());
        }
        long delayMs = faults.delay().toMillis();
        if (random.nextDouble() < faults.reorder()) {
            reordered.incrementAndGet();
            delayMs += randomDelay();
        }
        schedule(held, name, delayMs);
    }

    private long randomDelay() {
        long max = faults.maxDelay().toMillis();
        return max <= 0 ? 0 : (long) (random.nextDouble() * max);
    }

    private void schedule(Path held, String name, long delayMs) {
        boolean truncate;
        boolean corrupt;
        long cutFraction;
        long flipSeed;
        synchronized (this) {
            truncate = random.nextDouble() < faults.truncate();
            corrupt = random.nextDouble() < faults.corrupt();
            cutFraction = random.nextInt(1_000_000);
            flipSeed = random.nextLong();
        }
        executor.schedule(() -> deliver(held, name, truncate, cutFraction, corrupt, flipSeed), delayMs, TimeUnit.MILLISECONDS);
    }

    private void deliver(Path held, String name, boolean truncate, long cutFraction, boolean corrupt, long flipSeed) {
        try {
            long size = Files.size(held);
            if (truncate && size > 0) {
                long keep = size * cutFraction / 1_000_000;
                try (FileChannel channel = FileChannel.open(held, StandardOpenOption.WRITE)) {
                    channel.truncate(keep);
                }
                truncated.incrementAndGet();
            }
            if (corrupt && Files.size(held) > 0) {
                Random flip = new Random(flipSeed);
                try (FileChannel channel = FileChannel.open(held, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    long position = (long) (flip.nextDouble() * channel.size());
                    java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
                    channel.read(one, position);
                    one.put(0, (byte) (one.get(0) ^ (1 + flip.nextInt(255))));
                    one.rewind();
                    channel.write(one, position);
                }
                corrupted.incrementAndGet();
            }
            if (inPlace) {
                writeSlowly(held, to.resolve(name));
                Files.deleteIfExists(held);
            } else {
                Files.move(held, to.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            delivered.incrementAndGet();
        } catch (IOException | RuntimeException e) {
            log.warn("mirror could not deliver {}: {}", name, e.toString());
        }
    }

    /** Writes under the final name in small pieces with pauses, like a slow copy in progress. */
    private static void writeSlowly(Path source, Path target) throws IOException {
        try (InputStream in = Files.newInputStream(source);
             OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = in.read(buffer)) != -1) {
                out.write(buffer, 0, n);
                out.flush();
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while copying", e);
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (DirectoryStream<Path> left = Files.newDirectoryStream(hold)) {
            for (Path file : left) {
                Files.deleteIfExists(file);
            }
        }
        Files.deleteIfExists(hold);
    }
}
