package io.hoft.front.share;

import io.hoft.share.CatalogEntry;
import io.hoft.transport.fs.OwnerOnly;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whole downloaded files on disk, at most {@code maxBytes} of them, least recently used removed
 * first. A file's name is the SHA-256 of (peer, path, size, modification time) of the catalog
 * entry it was downloaded for, so a file that changed on the back is simply another name, and
 * the old copy ages out. (The content hash, which the back may add to an entry later, is not
 * part of the name; a download is checked against it when the entry has it.) A download is written to a {@code .part} file and renamed
 * when complete; on open, leftover {@code .part} files (an interrupted run) are deleted and
 * complete files are taken in, oldest first. A file removed while someone still reads it stays
 * readable to that reader (POSIX semantics).
 */
final class ShareCache {
    private static final Logger log = LoggerFactory.getLogger(ShareCache.class);
    private static final String DATA = ".data";
    private static final String PART = ".part";

    private final Path dir;
    private final long maxBytes;
    private final LinkedHashMap<String, Long> lru = new LinkedHashMap<>(16, 0.75f, true);
    private long totalBytes;

    ShareCache(Path dir, long maxBytes) throws IOException {
        this.dir = OwnerOnly.createDirectories(dir);
        this.maxBytes = maxBytes;
        recover();
    }

    Path dir() {
        return dir;
    }

    private void recover() throws IOException {
        List<Path> complete = new ArrayList<>();
        int removed = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.endsWith(PART)) {
                    Files.deleteIfExists(file);
                    removed++;
                } else if (name.endsWith(DATA) && name.length() == 64 + DATA.length()) {
                    complete.add(file);
                }
            }
        }
        complete.sort(Comparator.comparingLong(ShareCache::modifiedMs));
        synchronized (this) {
            for (Path file : complete) {
                long size = Files.size(file);
                lru.put(file.getFileName().toString().substring(0, 64), size);
                totalBytes += size;
            }
            evict();
        }
        if (removed > 0) {
            log.info("share: removed {} interrupted downloads from {}", removed, dir);
        }
    }

    private static long modifiedMs(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class).lastModifiedTime().toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    /** The cache key of a catalog entry published by {@code peer}. */
    static String key(String peer, CatalogEntry entry) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            String text = peer + "\n" + entry.path() + "\n" + entry.size() + "\n" + entry.modifiedMs();
            return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The complete file for {@code key}, marking it used. */
    synchronized Optional<Path> get(String key) {
        return lru.get(key) == null ? Optional.empty() : Optional.of(dir.resolve(key + DATA));
    }

    /** Forgets a file that turned out to be missing (removed behind the front's back). */
    synchronized void forget(String key) {
        Long size = lru.remove(key);
        if (size != null) {
            totalBytes -= size;
        }
    }

    /** A fresh file to download into. */
    Path newPart(String key) {
        return dir.resolve(key + "." + UUID.randomUUID() + PART);
    }

    /** Takes a complete download in under {@code key}; returns its new name. */
    synchronized Path commit(String key, Path part, long size) throws IOException {
        Path file = dir.resolve(key + DATA);
        try {
            Files.move(part, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(part, file, StandardCopyOption.REPLACE_EXISTING);
        }
        Long old = lru.put(key, size);
        totalBytes += size - (old == null ? 0 : old);
        evict();
        return file;
    }

    private void evict() {
        Iterator<Map.Entry<String, Long>> oldest = lru.entrySet().iterator();
        while (totalBytes > maxBytes && oldest.hasNext()) {
            Map.Entry<String, Long> entry = oldest.next();
            try {
                Files.deleteIfExists(dir.resolve(entry.getKey() + DATA));
            } catch (NoSuchFileException e) {
                // gone already
            } catch (IOException e) {
                log.warn("share: cannot remove cached file {}: {}", entry.getKey(), e.toString());
                continue;
            }
            totalBytes -= entry.getValue();
            oldest.remove();
        }
    }

    synchronized long bytes() {
        return totalBytes;
    }

    synchronized int entries() {
        return lru.size();
    }
}
