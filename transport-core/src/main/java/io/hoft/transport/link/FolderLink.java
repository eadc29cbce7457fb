package io.hoft.transport.link;

import io.hoft.transport.fs.Disk;
import io.hoft.transport.fs.OwnerOnly;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.spool.SpoolFileName;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A link over two folders that some transfer service mirrors: files for peers are published
 * into the outbox, files from peers are picked up from the inbox.
 *
 * <p>Publishing is temp file, then one atomic rename into the outbox; the temporary folder
 * must be on the outbox's filesystem and outside it, so a mirror never sees a partial file under
 * a spool name. Where the sender's store shares that filesystem the temporary file is a hard
 * link (no copy); otherwise a copy. Neither the copy nor the outbox is forced: the channel
 * keeps every file until it is acknowledged and sends it again, so power loss costs at most a
 * resend (a damaged copy is refused by the receiver like any file a mirror damaged).
 *
 * <p>The inbox may be shared by several nodes: only names addressed to this node are handed
 * over, and everything else is left alone. Whether the mirror moves or copies, the outbox
 * copy is removed once acknowledged ({@link #retract}), so a copying mirror stops repeating it.
 */
public final class FolderLink implements Link {
    private static final Logger log = LoggerFactory.getLogger(FolderLink.class);

    private final Path outbox;
    private final Path inbox;
    private final Path tempDir;
    private final WatchMode watchMode;
    private final Duration pollInterval;
    private final Disk disk;
    private FolderWatcher watcher;

    public FolderLink(Path outbox, Path inbox, Path tempDir, WatchMode watchMode, Duration pollInterval, Disk disk)
            throws IOException {
        this.outbox = Objects.requireNonNull(outbox, "outbox");
        this.inbox = Objects.requireNonNull(inbox, "inbox");
        this.tempDir = Objects.requireNonNull(tempDir, "tempDir");
        this.watchMode = Objects.requireNonNull(watchMode, "watchMode");
        this.pollInterval = Objects.requireNonNull(pollInterval, "pollInterval");
        this.disk = Objects.requireNonNull(disk, "disk");
        Files.createDirectories(outbox);
        Files.createDirectories(inbox);
        OwnerOnly.createDirectories(tempDir); // the node's own: the outbox and inbox are the shared folders
        if (tempDir.toAbsolutePath().normalize().startsWith(outbox.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("the temporary folder " + tempDir + " must be outside the outbox " + outbox);
        }
    }

    public Path outbox() {
        return outbox;
    }

    public Path inbox() {
        return inbox;
    }

    @Override
    public void send(Path file, SpoolFileName name) throws IOException {
        Path temp = tempDir.resolve("." + name + ".link.tmp");
        disk.deleteIfExists(temp);
        try {
            try {
                Files.createLink(temp, file);
            } catch (UnsupportedOperationException | FileSystemException e) {
                Files.copy(file, temp);
            }
            disk.moveAtomically(temp, outbox.resolve(name.toString()));
        } catch (IOException | RuntimeException e) {
            disk.deleteIfExists(temp);
            throw e;
        }
    }

    @Override
    public void retract(SpoolFileName name) throws IOException {
        disk.deleteIfExists(outbox.resolve(name.toString()));
    }

    @Override
    public synchronized void start(NodeId self, IncomingSink sink) throws IOException {
        if (watcher != null) {
            throw new IllegalStateException("already started");
        }
        watcher = new FolderWatcher(inbox, watchMode, pollInterval, path -> offer(self, sink, path),
                "hoft-inbox-" + self);
        watcher.start();
    }

    private void offer(NodeId self, IncomingSink sink, Path path) {
        Optional<SpoolFileName> name = SpoolFileName.parse(path.getFileName().toString());
        if (name.isEmpty() || !name.get().recipient().equals(self)) {
            return; // not a spool file, or another node's: leave it alone
        }
        sink.offer(new Incoming(name.get(), path));
    }

    @Override
    public void rescan() {
        FolderWatcher current = watcher;
        if (current != null) {
            current.scanSoon();
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (watcher != null) {
            watcher.close();
        }
    }

    private final class Incoming implements IncomingFile {
        private final SpoolFileName name;
        private final Path path;

        Incoming(SpoolFileName name, Path path) {
            this.name = name;
            this.path = path;
        }

        @Override
        public SpoolFileName name() {
            return name;
        }

        @Override
        public Path path() {
            return path;
        }

        @Override
        public void consume() throws IOException {
            try {
                disk.deleteIfExists(path);
            } catch (NoSuchFileException e) {
                // already gone: a moving mirror or another pass took it
            } catch (IOException e) {
                log.warn("cannot delete processed file {} (read-only inbox?): {}", path, e.toString());
            }
        }

        @Override
        public String toString() {
            return name.toString();
        }
    }
}
