package io.hoft.transport.store;

import io.hoft.transport.fs.OwnerOnly;
import io.hoft.transport.fs.Disk;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's body files: request and response bodies too large to keep in the database.
 *
 * <p>The rule that makes them crash-safe: a body file counts only if a {@code body_file} row
 * owns it, and a row is only ever created, handed to a new owner or deleted inside the
 * transaction that does the work needing it. A file is written and forced before the
 * transaction that registers it; a released file is deleted after that transaction commits.
 * {@link #recover} deletes files without a row, the leftovers of work that never committed.
 */
public final class BodyFiles {
    private static final Logger log = LoggerFactory.getLogger(BodyFiles.class);
    private static final Pattern NAME = Pattern.compile("[0-9a-f]{32}\\.body");
    private static final SecureRandom RANDOM = new SecureRandom();

    public static final List<String> SCHEMA = List.of(
            "CREATE TABLE body_file (name TEXT PRIMARY KEY, owner TEXT NOT NULL, length INTEGER NOT NULL,"
                    + " created_ms INTEGER NOT NULL)");

    private final Path dir;
    private final Disk disk;

    public BodyFiles(Path dir, Disk disk) throws IOException {
        this.dir = Objects.requireNonNull(dir, "dir");
        this.disk = Objects.requireNonNull(disk, "disk");
        OwnerOnly.createDirectories(dir);
    }

    public Path dir() {
        return dir;
    }

    /** A fresh path for a new body file; nothing exists there yet. */
    public Path newPath() {
        byte[] random = new byte[16];
        RANDOM.nextBytes(random);
        return dir.resolve(HexFormat.of().formatHex(random) + ".body");
    }

    public Path path(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a body file name: " + name);
        }
        return dir.resolve(name);
    }

    /** True if {@code file} is a body file of this store (by location and name). */
    public boolean holds(Path file) {
        return file.toAbsolutePath().getParent().equals(dir.toAbsolutePath())
                && NAME.matcher(file.getFileName().toString()).matches();
    }

    /** Forces a newly written body file, before the transaction that registers it. */
    public void force(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    /** Makes {@code owner} own the file; returns its name. The file must be written and forced. */
    public String register(StoreTx tx, Path file, String owner, long nowMs) throws IOException {
        if (!holds(file)) {
            throw new IllegalArgumentException("not a body file of " + dir + ": " + file);
        }
        String name = file.getFileName().toString();
        tx.update("INSERT INTO body_file (name, owner, length, created_ms) VALUES (?, ?, ?, ?)",
                name, owner, Files.size(file), nowMs);
        return name;
    }

    /** Hands the file to a new owner. */
    public void transfer(StoreTx tx, String name, String newOwner) {
        if (tx.update("UPDATE body_file SET owner = ? WHERE name = ?", newOwner, name) != 1) {
            throw new StoreException("body file " + name + " is not registered", null);
        }
    }

    /** Releases the file: its row goes now, the file once the transaction has committed. */
    public void release(StoreTx tx, String name) {
        tx.update("DELETE FROM body_file WHERE name = ?", name);
        Path file = path(name);
        tx.afterCommit(() -> {
            try {
                disk.deleteIfExists(file);
            } catch (IOException e) {
                log.warn("cannot delete released body {}: {}", file, e.toString());
            }
        });
    }

    /** Deletes body files no row owns; returns how many. Run before the node starts work. */
    public int recover(NodeStore store) throws IOException {
        Set<String> owned = new HashSet<>(store.inTransaction(tx -> tx.query("SELECT name FROM body_file", row -> row.getString(1))));
        int deleted = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                if (!owned.contains(file.getFileName().toString())) {
                    disk.deleteIfExists(file);
                    deleted++;
                }
            }
        }
        if (deleted > 0) {
            log.info("deleted {} body files left over from interrupted work", deleted);
            disk.forceDirectory(dir);
        }
        return deleted;
    }
}
