package io.hoft.transport.fs;

import io.hoft.transport.agent.Threads;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reading files from folders that others can write to (an inbox), without being led astray:
 * only a regular file is read, never through a symbolic link, and a caller is never blocked by
 * what it opens.
 *
 * <p>Opening a named pipe for reading blocks until someone opens it for writing. The type is
 * checked first without following links ({@code lstat}), but a pipe can be renamed into place
 * between that check and the {@code open}, and Java cannot open with {@code O_NONBLOCK}. So the
 * {@code open} itself runs on a separate thread and the caller waits at most {@link
 * #OPEN_TIMEOUT}; a pipe that was opened after all (someone wrote to it) is refused because it
 * cannot seek. An open that never returns costs one parked thread, never the caller.
 */
public final class RegularFile {
    private static final Logger log = LoggerFactory.getLogger(RegularFile.class);
    /** A regular file opens at once; only a pipe (or a hung network filesystem) takes longer. */
    static final long OPEN_TIMEOUT_MS = 5000;
    private static final ExecutorService OPENER = Executors.newCachedThreadPool(Threads.named("hoft-open"));

    private RegularFile() {}

    /** What {@code path} is if not a regular file ({@code directory}, {@code symlink} or {@code other}); links are not followed. */
    public static Optional<String> irregularKind(Path path) throws IOException {
        return kind(Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
    }

    private static Optional<String> kind(BasicFileAttributes attributes) {
        if (attributes.isRegularFile()) {
            return Optional.empty();
        }
        return Optional.of(attributes.isDirectory() ? "directory" : attributes.isSymbolicLink() ? "symlink" : "other");
    }

    /**
     * Opens a regular file for reading.
     *
     * @throws NotRegularFileException if {@code file} is a folder, a symbolic link, a pipe, a
     *     socket or a device, or did not open in time
     */
    public static FileChannel openForReading(Path file) throws IOException {
        Optional<String> kind = irregularKind(file);
        if (kind.isPresent()) {
            throw notRegular(file, kind.get());
        }
        return openChecked(file, OPEN_TIMEOUT_MS);
    }

    /** The open after the check, as if what is there now was put there after it (the race of the class comment). */
    static FileChannel openChecked(Path file, long timeoutMs) throws IOException {
        CompletableFuture<FileChannel> opening = CompletableFuture.supplyAsync(() -> {
            try {
                return FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                throw new OpenFailed(e);
            }
        }, OPENER);
        FileChannel channel;
        try {
            channel = opening.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            opening.thenAccept(RegularFile::closeQuietly); // if it ever opens, it is not ours to keep
            log.error("opening {} did not return within {} ms: something that blocks (a named pipe?) took the place of a"
                    + " regular file; one thread stays parked on it", file, timeoutMs);
            throw new NotRegularFileException(file.toString(), "other", "did not open within " + timeoutMs + " ms");
        } catch (InterruptedException e) {
            opening.thenAccept(RegularFile::closeQuietly);
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while opening " + file);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof OpenFailed) {
                IOException cause = ((OpenFailed) e.getCause()).getCause();
                if (cause instanceof java.nio.file.FileSystemException && "symlink".equals(irregularOrNull(file))) {
                    throw notRegular(file, "symlink"); // O_NOFOLLOW: a link renamed into place after the check
                }
                throw cause;
            }
            throw new IOException("cannot open " + file, e.getCause());
        }
        try {
            channel.position(); // a pipe or socket cannot seek: only a regular file gets past this
            return channel;
        } catch (IOException e) {
            closeQuietly(channel);
            throw notRegular(file, "other");
        }
    }

    private static String irregularOrNull(Path file) {
        try {
            return irregularKind(file).orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static NotRegularFileException notRegular(Path file, String kind) {
        String what = switch (kind) {
            case "directory" -> "a folder";
            case "symlink" -> "a symbolic link (never followed here)";
            default -> "a named pipe, socket or device";
        };
        return new NotRegularFileException(file.toString(), kind, "is " + what + ", not a regular file");
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    /** Carries an IOException out of the opening thread. */
    private static final class OpenFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OpenFailed(IOException cause) {
            super(cause);
        }

        @Override
        public synchronized IOException getCause() {
            return (IOException) super.getCause();
        }
    }
}
