package io.hoft.link.dialout;

import io.hoft.transport.fs.Disk;
import io.hoft.transport.fs.OwnerOnly;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.Link.IncomingFile;
import io.hoft.transport.link.Link.IncomingSink;
import io.hoft.transport.spool.SpoolFileName;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A folder of whole spool files under their canonical names, with a temporary folder beside it
 * on the same filesystem: a file appears under its name only by one atomic rename once it is
 * complete. Used by both ends of the dial-out link for files waiting to go (held or queued for
 * upload) and files that arrived (the inbox). Nothing is forced: the channel above keeps every
 * file until the peer acknowledges it and sends it again, so power loss costs a resend, and a
 * file damaged by it is refused by the receiver like any damaged file.
 */
final class SpoolFolder {
    private static final AtomicLong COUNTER = new AtomicLong();

    private final Path dir;
    private final Path tmp;
    private final Disk disk;
    /** Temporary files a transfer is writing or publishing now: never stale. */
    private final Set<Path> inUse = ConcurrentHashMap.newKeySet();

    SpoolFolder(Path dir, Path tmp, Disk disk) throws IOException {
        this.dir = OwnerOnly.createDirectories(dir);
        this.tmp = OwnerOnly.createDirectories(tmp);
        this.disk = disk;
        // Leftovers of interrupted writes and transfers go at start and later, counted, by removeStaleTemps.
    }

    Path dir() {
        return dir;
    }

    /**
     * A fresh temporary path for a file that will become {@code name}; not a spool name. It
     * counts as in use until {@link #publish}, {@link #deleteQuietly} or {@link #put} is done with it.
     */
    Path newTemp(SpoolFileName name) {
        Path temp = tmp.resolve(tempPrefix() + COUNTER.incrementAndGet() + "-" + name + ".tmp");
        inUse.add(temp);
        return temp;
    }

    private String tempPrefix() {
        return "." + dir.getFileName() + "-";
    }

    /**
     * Deletes this folder's temporary files that no transfer uses (a transfer cut off after its
     * HTTP client created the file, or a crash); returns how many.
     */
    int removeStaleTemps() {
        int removed = 0;
        try (Stream<Path> entries = Files.list(tmp)) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                if (entry.getFileName().toString().startsWith(tempPrefix()) && !inUse.contains(entry)) {
                    disk.deleteIfExists(entry);
                    removed++;
                }
            }
        } catch (IOException e) {
            // the next sweep tries again
        }
        return removed;
    }

    Path path(SpoolFileName name) {
        return dir.resolve(name.toString());
    }

    /** The file under {@code name}, as the channel takes it: consuming it deletes it. */
    IncomingFile incoming(SpoolFileName name) {
        return new Arrived(name, path(name));
    }

    /** Offers {@code sink} every file here addressed to {@code self} (a link's rescan). */
    void offerAll(NodeId self, IncomingSink sink) {
        for (SpoolFileName name : list()) {
            if (name.recipient().equals(self)) {
                sink.offer(incoming(name));
            }
        }
    }

    private record Arrived(SpoolFileName name, Path path) implements IncomingFile {
        @Override
        public void consume() throws IOException {
            Files.deleteIfExists(path);
        }

        @Override
        public String toString() {
            return name.toString();
        }
    }

    /** Puts a copy of {@code source} under {@code name} (a hard link when the filesystem allows). */
    void put(Path source, SpoolFileName name) throws IOException {
        Path temp = newTemp(name);
        try {
            try {
                Files.createLink(temp, source);
            } catch (UnsupportedOperationException | FileSystemException e) {
                Files.copy(source, temp);
            }
            disk.moveAtomically(temp, path(name));
        } catch (IOException | RuntimeException e) {
            disk.deleteIfExists(temp);
            throw e;
        } finally {
            inUse.remove(temp);
        }
    }

    /** Renames a complete temporary file to {@code name}. */
    void publish(Path temp, SpoolFileName name) throws IOException {
        disk.moveAtomically(temp, path(name));
        inUse.remove(temp);
    }

    void remove(SpoolFileName name) throws IOException {
        disk.deleteIfExists(path(name));
    }

    void deleteQuietly(Path temp) {
        try {
            disk.deleteIfExists(temp);
        } catch (IOException e) {
            // a leftover the next sweep removes
        }
        inUse.remove(temp);
    }

    Optional<Long> size(SpoolFileName name) {
        try {
            return Optional.of(Files.size(path(name)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The spool files in the folder, by name order (which is sequence order per channel). Only
     * regular files count: a folder, link or pipe under a spool name is never listed, so it is
     * never announced, uploaded or opened.
     */
    List<SpoolFileName> list() {
        List<SpoolFileName> names = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            entries.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .map(p -> SpoolFileName.parse(p.getFileName().toString())).flatMap(Optional::stream).forEach(names::add);
        } catch (IOException e) {
            return List.of();
        }
        names.sort((a, b) -> a.toString().compareTo(b.toString()));
        return names;
    }
}
