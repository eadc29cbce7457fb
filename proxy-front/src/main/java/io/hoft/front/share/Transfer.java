package io.hoft.front.share;

import io.hoft.transport.fs.OwnerOnly;
import io.hoft.transport.message.MessageId;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * One file coming from a peer, shared by everyone who wants it while it comes: chunks are
 * written at their offsets into a {@code .part} file as they arrive (in any order), and
 * readers follow the contiguous prefix ({@link #awaitAvailable}). Once complete, the file is
 * renamed into the cache; a reader that opened it before keeps reading the same bytes.
 */
final class Transfer {
    final String key;
    final FrontCatalog.Item item;
    final MessageId requestId;
    final long size;
    final long startedNs = System.nanoTime();
    private final FileChannel out;
    private final TreeMap<Long, Long> ranges = new TreeMap<>(); // start -> end (exclusive), disjoint
    private Path path;
    private long contiguous;
    private boolean complete;
    private Failure failure;
    private volatile long lastProgressMs;
    private long firstByteNs;

    /** Why a transfer ended without the whole file: an HTTP status and error name for requesters still waiting. */
    record Failure(int status, String error, String message) {}

    Transfer(String key, FrontCatalog.Item item, MessageId requestId, Path part, long nowMs) throws IOException {
        this.key = key;
        this.item = item;
        this.requestId = requestId;
        this.size = item.entry().size();
        this.path = part;
        this.out = OwnerOnly.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ);
        this.lastProgressMs = nowMs;
    }

    /** Writes a chunk at {@code offset}; returns whether the file is now whole. */
    boolean write(long offset, long length, InputStream in, long nowMs) throws IOException {
        byte[] buffer = new byte[(int) Math.min(256 * 1024, Math.max(1, length))];
        long done = 0;
        while (done < length) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, length - done));
            if (n < 0) {
                throw new IOException("chunk body shorter than its Content-Range");
            }
            ByteBuffer slice = ByteBuffer.wrap(buffer, 0, n);
            long position = offset + done;
            while (slice.hasRemaining()) {
                position += out.write(slice, position);
            }
            done += n;
        }
        synchronized (this) {
            add(offset, offset + length);
            lastProgressMs = nowMs;
            if (firstByteNs == 0 && contiguous > 0) {
                firstByteNs = System.nanoTime();
            }
            notifyAll();
            return contiguous >= size;
        }
    }

    private void add(long start, long end) {
        Map.Entry<Long, Long> before = ranges.floorEntry(start);
        if (before != null && before.getValue() >= start) {
            start = before.getKey();
            end = Math.max(end, before.getValue());
            ranges.remove(before.getKey());
        }
        Map.Entry<Long, Long> after;
        while ((after = ranges.ceilingEntry(start)) != null && after.getKey() <= end) {
            end = Math.max(end, after.getValue());
            ranges.remove(after.getKey());
        }
        ranges.put(start, end);
        Map.Entry<Long, Long> first = ranges.firstEntry();
        contiguous = first.getKey() == 0 ? first.getValue() : 0;
    }

    /** The file is whole and now lives at {@code file}. */
    synchronized void complete(Path file) throws IOException {
        if (out.isOpen()) { // closed only when the front stopped meanwhile; the bytes are all written
            out.force(false);
            out.close();
        }
        this.path = file;
        complete = true;
        notifyAll();
    }

    synchronized void fail(Failure why) {
        if (!complete && failure == null) {
            failure = why;
            try {
                out.close();
            } catch (IOException e) {
                // failing anyway
            }
            notifyAll();
        }
    }

    synchronized boolean ended() {
        return complete || failure != null;
    }

    long lastProgressMs() {
        return lastProgressMs;
    }

    synchronized long firstByteNs() {
        return firstByteNs;
    }

    synchronized Path path() {
        return path;
    }

    /** Opens the bytes for reading (under the lock, so the rename on completion cannot slip between). */
    synchronized FileChannel openReader() throws IOException {
        return FileChannel.open(path, StandardOpenOption.READ);
    }

    /**
     * Waits until the bytes up to {@code position + 1} are here (or the file is whole); returns
     * how many contiguous bytes there are. Throws {@link TransferFailedException} if the transfer failed.
     */
    synchronized long awaitAvailable(long position) throws InterruptedException, TransferFailedException {
        while (contiguous <= position && !complete && failure == null) {
            wait(1000);
        }
        if (contiguous > position || complete) {
            return complete ? size : contiguous;
        }
        throw new TransferFailedException(failure);
    }

    /** A transfer that ended without the whole file. */
    static final class TransferFailedException extends IOException {
        final Failure failure;

        TransferFailedException(Failure failure) {
            super(failure.message());
            this.failure = failure;
        }
    }
}
