package io.hoft.transport.channel;

import io.hoft.transport.fs.OwnerOnly;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Comparator;
import java.util.Iterator;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a node sets aside the files it will never act on ({@code quarantine/MILLIS-NAME}, with
 * {@code MILLIS-NAME.reason} beside it saying why). Nothing in it is read again by the node.
 *
 * <p>Bounded: a file older than {@code maxAge}, or beyond {@code maxBytes} in all counting
 * the oldest first, is deleted with its reason, so a flood of forged files costs at most that
 * much disk. The folder is read afresh at start and by every {@link #prune}; between those, what
 * is put in is added to what is known. {@code hoft_quarantine_files} and {@code _bytes} say what
 * it holds, {@code hoft_quarantine_removed_total{reason="age"|"size"}} what the caps removed.
 */
final class Quarantine {
    private static final Logger log = LoggerFactory.getLogger(Quarantine.class);
    static final String REASON_SUFFIX = ".reason";

    private record Entry(long atMs, String name, long bytes) {}

    private final Path dir;
    private final Duration maxAge;
    private final long maxBytes;
    private final TransportMetrics metrics;
    private final TreeSet<Entry> entries = new TreeSet<>(Comparator.comparingLong(Entry::atMs).thenComparing(Entry::name));
    private long bytes;

    Quarantine(Path dir, Duration maxAge, long maxBytes, TransportMetrics metrics) {
        this.dir = dir;
        this.maxAge = maxAge;
        this.maxBytes = maxBytes;
        this.metrics = metrics;
    }

    Path dir() {
        return dir;
    }

    /** Moves {@code file} in as {@code nowMs-name} with its reason, then applies the caps. */
    synchronized void put(Path file, String name, String reason, String detail, long nowMs) throws IOException {
        OwnerOnly.createDirectories(dir);
        String entryName = nowMs + "-" + name;
        Path target = dir.resolve(entryName);
        Path reasonFile = dir.resolve(entryName + REASON_SUFFIX);
        Files.deleteIfExists(reasonFile);
        try (OutputStream out = OwnerOnly.newOutputStream(reasonFile)) {
            out.write((reason + ": " + detail + "\n").getBytes(StandardCharsets.UTF_8));
        }
        Files.move(file, target, StandardCopyOption.REPLACE_EXISTING);
        try {
            Files.setPosixFilePermissions(target, OwnerOnly.FILE); // it may have arrived readable by all
        } catch (UnsupportedOperationException e) {
            // not POSIX: the state folder protects it
        }
        long size = Files.size(target) + Files.size(reasonFile);
        if (entries.add(new Entry(nowMs, entryName, size))) {
            bytes += size;
        }
        enforce(nowMs);
    }

    /** Reads the folder afresh and deletes what is over the caps. */
    synchronized void prune(long nowMs) {
        entries.clear();
        bytes = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.endsWith(REASON_SUFFIX)) {
                    continue;
                }
                BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                long size = attributes.size() + sizeOrZero(dir.resolve(name + REASON_SUFFIX));
                entries.add(new Entry(quarantinedAt(name, attributes.lastModifiedTime().toMillis()), name, size));
                bytes += size;
            }
        } catch (NoSuchFileException e) {
            // nothing quarantined yet
        } catch (IOException e) {
            log.warn("cannot read the quarantine {}: {}", dir, e.toString());
        }
        enforce(nowMs);
    }

    private void enforce(long nowMs) {
        long oldestKept = nowMs - maxAge.toMillis();
        for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
            Entry entry = it.next();
            String reason = entry.atMs() < oldestKept ? "age" : bytes > maxBytes ? "size" : null;
            if (reason == null) {
                break; // oldest first: the rest is younger and fits
            }
            if (delete(entry)) {
                metrics.increment("hoft_quarantine_removed_total", "reason", reason);
            }
            it.remove();
            bytes -= entry.bytes();
        }
        metrics.set("hoft_quarantine_files", entries.size());
        metrics.set("hoft_quarantine_bytes", bytes);
    }

    private boolean delete(Entry entry) {
        try {
            boolean deleted = Files.deleteIfExists(dir.resolve(entry.name()));
            Files.deleteIfExists(dir.resolve(entry.name() + REASON_SUFFIX));
            return deleted;
        } catch (IOException e) {
            log.warn("cannot delete quarantined {}: {}", entry.name(), e.toString());
            return false;
        }
    }

    /** The time in a {@code MILLIS-NAME} entry, or {@code fallbackMs} for a name of another form. */
    private static long quarantinedAt(String name, long fallbackMs) {
        int dash = name.indexOf('-');
        if (dash > 0 && dash <= 19) {
            try {
                return Long.parseLong(name.substring(0, dash));
            } catch (NumberFormatException e) {
                return fallbackMs;
            }
        }
        return fallbackMs;
    }

    private static long sizeOrZero(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }
}
