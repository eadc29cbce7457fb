package io.hoft.transport.fs;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's state is its own: folders {@code 700}, files {@code 600}, as its key files are.
 *
 * <p>Folders and files are created with those modes, so no other user can open them even for
 * the moment before a {@code chmod}; a folder is then set to exactly {@code 700}, whatever the
 * process's umask took away. The state folder's {@code 700} is what protects everything in it,
 * including the files SQLite makes itself ({@code node.db-wal}, {@code -shm}, which it creates
 * with the mode of {@code node.db}, itself created here as {@code 600} before SQLite opens it).
 *
 * <p>On filesystems without POSIX permissions everything here does the plain thing.
 */
public final class OwnerOnly {
    private static final Logger log = LoggerFactory.getLogger(OwnerOnly.class);
    public static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    public static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private OwnerOnly() {}

    /** Creates {@code dir} and its missing parents as {@code 700}; folders that exist are left as they are. */
    public static Path createDirectories(Path dir) throws IOException {
        Path absolute = dir.toAbsolutePath();
        if (Files.isDirectory(absolute)) {
            return dir;
        }
        Path parent = absolute.getParent();
        if (parent != null) {
            createDirectories(parent);
        }
        try {
            if (posix(parent)) {
                Files.createDirectory(absolute, PosixFilePermissions.asFileAttribute(DIR));
                Files.setPosixFilePermissions(absolute, DIR); // the umask may have taken owner bits
            } else {
                Files.createDirectory(absolute);
            }
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(absolute)) {
                throw e;
            }
        }
        return dir;
    }

    /** Creation attributes for a {@code 600} file (none where POSIX permissions are unknown). */
    static FileAttribute<?>[] fileAttributes(Path file) {
        return posix(file.toAbsolutePath().getParent())
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE)} : new FileAttribute<?>[0];
    }

    /** Opens a file for writing, creating it as {@code 600} if it does not exist; {@code options} as for FileChannel.open. */
    public static FileChannel open(Path file, OpenOption... options) throws IOException {
        Set<OpenOption> set = new HashSet<>(List.of(options));
        return FileChannel.open(file, set, fileAttributes(file));
    }

    /** Creates {@code file} empty as {@code 600} unless it exists. */
    public static void createFileIfMissing(Path file) throws IOException {
        try {
            Files.createFile(file, fileAttributes(file));
        } catch (FileAlreadyExistsException e) {
            // kept as it is; {@link #findLoosened} reports it if others may read it
        }
    }

    /** A new {@code 600} file for writing; fails if it exists. */
    public static OutputStream newOutputStream(Path file) throws IOException {
        return Channels.newOutputStream(open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
    }

    /**
     * The state folder, every folder in it to {@code depth} levels and the files directly in it,
     * wherever group or others have any permission. Body files and spool files deeper down are
     * not listed one by one: the folders above them decide who reaches them.
     */
    public static List<String> findLoosened(Path stateDir, int depth) throws IOException {
        List<String> loose = new ArrayList<>();
        if (!posix(stateDir)) {
            return loose;
        }
        collect(stateDir, depth, true, loose);
        return loose;
    }

    private static void collect(Path dir, int depth, boolean filesToo, List<String> loose) throws IOException {
        addIfLoose(dir, loose);
        if (depth == 0) {
            return;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                    collect(entry, depth - 1, false, loose);
                } else if (filesToo && Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                    addIfLoose(entry, loose);
                }
            }
        } catch (NoSuchFileException e) {
            // gone meanwhile
        }
    }

    private static void addIfLoose(Path path, List<String> loose) throws IOException {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        Set<PosixFilePermission> extra = EnumSet.copyOf(GROUP_OR_OTHERS);
        extra.retainAll(perms);
        if (!extra.isEmpty()) {
            loose.add(path + " (" + PosixFilePermissions.toString(perms) + ")");
        }
    }

    /**
     * Logs one warning naming each state path that group or others may reach (never what is in
     * it): the node keeps running, as its operator may have loosened it on purpose.
     */
    public static void warnIfLoosened(Path stateDir) {
        try {
            List<String> loose = findLoosened(stateDir, 3);
            if (!loose.isEmpty()) {
                log.warn("the node's state is open to other users, who could read calls, bodies and credentials in it:"
                        + " {}; hoft keeps state folders 700 and files 600: run chmod -R go-rwx {}", String.join(", ", loose),
                        stateDir);
            }
        } catch (IOException e) {
            log.warn("cannot check the permissions of {}: {}", stateDir, e.toString());
        }
    }

    private static boolean posix(Path existing) {
        Path probe = existing;
        while (probe != null && !Files.exists(probe)) {
            probe = probe.getParent();
        }
        return probe != null && Files.getFileAttributeView(probe, PosixFileAttributeView.class) != null;
    }
}
