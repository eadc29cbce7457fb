package io.hoft.transport.channel;

import io.hoft.transport.fs.OwnerOnly;
import io.hoft.transport.keys.NodeId;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The exclusive lock a running node holds on {@code STATE/node.lock}: two processes never run
 * one node's state, and tools can tell whether the node is live ({@link #isHeld}). The lock is
 * the operating system's, so it is released when the process dies, however it dies.
 */
public final class NodeLock implements Closeable {
    public static final String FILE_NAME = "node.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private NodeLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock, or fails at once if another process holds it. */
    public static NodeLock acquire(Path stateDir, NodeId node) throws IOException {
        FileChannel channel = OwnerOnly.open(stateDir.resolve(FILE_NAME), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            channel.close();
            throw new IllegalStateException("node " + node + " is already running on " + stateDir
                    + " (another process holds " + FILE_NAME + ")");
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        return new NodeLock(channel, lock);
    }

    /** True if a running node holds the lock on {@code stateDir}. */
    public static boolean isHeld(Path stateDir) throws IOException {
        Path file = stateDir.resolve(FILE_NAME);
        if (!file.toFile().exists()) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            FileLock probe = channel.tryLock();
            if (probe == null) {
                return true;
            }
            probe.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true; // held by this very process
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
