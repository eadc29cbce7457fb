package io.hoft.transport.testing;

import io.hoft.transport.fs.Disk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A {@link Disk} that fails on purpose at the point a test names (OkHttp's {@code
 * FaultyFileSystem}, Tape's "no commit for you"): creating a file, writing past a number of
 * bytes, forcing a file, the atomic rename, or forcing a folder. Every other call goes to the
 * real disk. A write that crosses the limit writes the bytes before it first, as a full disk
 * or a dying process would, then throws.
 *
 * <p>Faults stay armed until {@link #heal()}; {@link #failures()} counts the injected ones.
 */
public final class FaultyDisk implements Disk {
    private final Disk delegate;
    private volatile boolean failCreate;
    private volatile long failWriteAfterBytes = -1;
    private volatile boolean failForce;
    private volatile boolean failMove;
    private volatile boolean failForceDirectory;
    private volatile int failures;

    public FaultyDisk(Disk delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    public FaultyDisk() {
        this(Disk.REAL);
    }

    /** {@link #create} throws before any file exists. */
    public FaultyDisk failCreate() {
        failCreate = true;
        return this;
    }

    /** Every file created from now on fails once {@code bytes} bytes were written to it. */
    public FaultyDisk failWriteAfter(long bytes) {
        failWriteAfterBytes = bytes;
        return this;
    }

    /** {@code force} on files created from now on throws. */
    public FaultyDisk failForce() {
        failForce = true;
        return this;
    }

    /** {@link #moveAtomically} throws without renaming. */
    public FaultyDisk failMove() {
        failMove = true;
        return this;
    }

    /** {@link #forceDirectory} throws (after a rename, the rename has happened). */
    public FaultyDisk failForceDirectory() {
        failForceDirectory = true;
        return this;
    }

    /** Disarms every fault. */
    public FaultyDisk heal() {
        failCreate = false;
        failWriteAfterBytes = -1;
        failForce = false;
        failMove = false;
        failForceDirectory = false;
        return this;
    }

    public int failures() {
        return failures;
    }

    private IOException fault(String what) {
        failures++;
        return new IOException("no " + what + " for you (FaultyDisk)");
    }

    @Override
    public FileChannel create(Path file) throws IOException {
        if (failCreate) {
            throw fault("create");
        }
        return new FaultyChannel(delegate.create(file), failWriteAfterBytes, failForce);
    }

    @Override
    public void moveAtomically(Path source, Path target) throws IOException {
        if (failMove) {
            throw fault("rename");
        }
        delegate.moveAtomically(source, target);
    }

    @Override
    public void forceDirectory(Path dir) throws IOException {
        if (failForceDirectory) {
            throw fault("directory force");
        }
        delegate.forceDirectory(dir);
    }

    @Override
    public void deleteIfExists(Path file) throws IOException {
        delegate.deleteIfExists(file);
    }

    @Override
    public String toString() {
        return "FaultyDisk[" + delegate + "]";
    }

    /** Forwards to a real channel, counting written bytes and failing where armed. */
    private final class FaultyChannel extends FileChannel {
        private final FileChannel channel;
        private final long writeLimit;
        private final boolean forceFails;
        private long written;

        FaultyChannel(FileChannel channel, long writeLimit, boolean forceFails) {
            this.channel = channel;
            this.writeLimit = writeLimit;
            this.forceFails = forceFails;
        }

        /** How many of {@code wanted} bytes may still be written; throws if none. */
        private int allowance(int wanted) throws IOException {
            if (writeLimit < 0) {
                return wanted;
            }
            long left = writeLimit - written;
            if (left <= 0 && wanted > 0) {
                throw fault("write after " + writeLimit + " bytes");
            }
            return (int) Math.min(wanted, left);
        }

        private int limitedWrite(ByteBuffer src, long position) throws IOException {
            int allowed = allowance(src.remaining());
            ByteBuffer slice = src.duplicate();
            slice.limit(slice.position() + allowed);
            int n = position < 0 ? channel.write(slice) : channel.write(slice, position);
            src.position(src.position() + n);
            written += n;
            return n;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return limitedWrite(src, -1);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            return limitedWrite(src, position);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long total = 0;
            for (int i = offset; i < offset + length; i++) {
                while (srcs[i].hasRemaining()) {
                    total += write(srcs[i]);
                }
            }
            return total;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            if (forceFails) {
                throw fault("force");
            }
            channel.force(metaData);
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return channel.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return channel.read(dsts, offset, length);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return channel.read(dst, position);
        }

        @Override
        public long position() throws IOException {
            return channel.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            channel.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return channel.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            channel.truncate(size);
            return this;
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return channel.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            if (writeLimit >= 0) {
                throw new UnsupportedOperationException("FaultyDisk counts writes only through write()");
            }
            return channel.transferFrom(src, position, count);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            throw new UnsupportedOperationException("FaultyDisk cannot count writes to a mapped file");
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return channel.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return channel.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            channel.close();
        }
    }
}
