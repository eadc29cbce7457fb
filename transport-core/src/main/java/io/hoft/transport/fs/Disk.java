package io.hoft.transport.fs;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The few filesystem operations hoft's durability rests on, behind one seam so tests can make
 * any of them fail at the exact commit point (see {@code FaultyDisk} in the test sources).
 *
 * <p>The discipline every writer follows: create under a temporary name, write, {@code
 * force}, {@link #publish} (one atomic rename, then force the folder). A crash leaves either
 * the old state or the new, plus at most a temporary file that recovery deletes.
 */
public interface Disk {

    /** Creates a new file for reading and writing; fails if it exists. */
    FileChannel create(Path file) throws IOException;

    /** Renames atomically, replacing {@code target} if it exists. */
    void moveAtomically(Path source, Path target) throws IOException;

    /** Makes a folder's entries (creations, renames, deletions) durable. */
    void forceDirectory(Path dir) throws IOException;

    /** Deletes a file if it exists. */
    void deleteIfExists(Path file) throws IOException;

    /** The commit point of a new file: atomic rename into place, then force the folder. */
    default void publish(Path temp, Path target) throws IOException {
        moveAtomically(temp, target);
        forceDirectory(target.toAbsolutePath().getParent());
    }

    /** The real filesystem. */
    Disk REAL = new Disk() {
        @Override
        public FileChannel create(Path file) throws IOException {
            return FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }

        @Override
        public void moveAtomically(Path source, Path target) throws IOException {
            try {
                Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename atomically from " + source + " to " + target
                        + " (temporary and target folders must be on one filesystem)", e);
            }
        }

        @Override
        public void forceDirectory(Path dir) throws IOException {
            // Opening a folder for reading and forcing it is how the JDK fsyncs a directory on Linux.
            try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
                channel.force(true);
            } catch (IOException e) {
                // Some filesystems (and all of Windows) refuse to open folders; the rename still happened.
                if (!(e instanceof java.nio.file.AccessDeniedException) && Files.isDirectory(dir)) {
                    throw e;
                }
            }
        }

        @Override
        public void deleteIfExists(Path file) throws IOException {
            Files.deleteIfExists(file);
        }

        @Override
        public String toString() {
            return "Disk.REAL";
        }
    };
}
