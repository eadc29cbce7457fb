package io.hoft.front.share;

import io.hoft.transport.fs.OwnerOnly;
import io.hoft.transport.message.MessageId;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One file coming from a peer, shared by everyone who wants it while it comes: slices are
 * written at their offsets into a {@code .part} file as they arrive (in any order), and
 * readers follow the range that holds the byte they need ({@link #awaitAvailable}). Once
 * complete, the file is renamed into the cache; a reader that opened it before keeps reading
 * the same bytes. A transfer may be asked for more than once (what is missing, after a stall):
 * each file request has its own id and bulk key, and slices of every one of them count.
 */
final class Transfer {
    final String key;
    final FrontCatalog.Item item;
    final MessageId requestId;
    final long size;
    /** Where the first requester wanted to start: missing bytes from here on are asked for first. */
    final long from;
    final long startedNs = System.nanoTime();
    private final Map<MessageId, byte[]> bulkKeys = new ConcurrentHashMap<>();
    private volatile long lastRequestMs;
    private int askedAgain;
    private boolean finishing;
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

    Transfer(String key, FrontCatalog.Item item, MessageId requestId, long from, Path part, long nowMs) throws IOException {
        this.key = key;
        this.item = item;
        this.requestId = requestId;
        this.size = item.entry().size();
        this.from = from;
        this.lastRequestMs = nowMs;
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
        return arrived(offset, offset + length, nowMs);
    }

    /** Writes a verified bulk slice at {@code offset}; returns whether the file is now whole. */
    boolean write(long offset, ByteBuffer bytes, long nowMs) throws IOException {
        long start = offset;
        long position = offset;
        while (bytes.hasRemaining()) {
            position += out.write(bytes, position);
        }
        return arrived(start, position, nowMs);
    }

    private synchronized boolean arrived(long start, long end, long nowMs) {
        add(start, end);
        lastProgressMs = nowMs;
        askedAgain = 0;
        if (firstByteNs == 0) {
            firstByteNs = System.nanoTime();
        }
        notifyAll();
        return contiguous >= size;
    }

    /** True once, for the caller that gets to check and keep the whole file. */
    synchronized boolean claimFinish() {
        if (finishing || contiguous < size) {
            return false;
        }
        finishing = true;
        return true;
    }

    /**
     * The ranges still missing, {@code [first, end)}, those at or after {@link #from} first,
     * at most {@code max} of them.
     */
    synchronized List<long[]> missing(int max) {
        List<long[]> after = new ArrayList<>();
        List<long[]> before = new ArrayList<>();
        long at = 0;
        for (Map.Entry<Long, Long> range : ranges.entrySet()) {
            gap(at, range.getKey(), after, before);
            at = range.getValue();
        }
        gap(at, size, after, before);
        after.addAll(before);
        return after.size() > max ? new ArrayList<>(after.subList(0, max)) : after;
    }

    private void gap(long start, long end, List<long[]> after, List<long[]> before) {
        if (start >= end) {
            return;
        }
        if (start < from && from < end) {
            before.add(new long[] {start, from});
            after.add(new long[] {from, end});
        } else {
            (start >= from ? after : before).add(new long[] {start, end});
        }
    }

    /** A file request for this transfer went out under {@code id}, with {@code bulkKey} (or none). */
    void requested(MessageId id, byte[] bulkKey, long nowMs) {
        if (bulkKey != null) {
            bulkKeys.put(id, bulkKey);
        }
        lastRequestMs = nowMs;
    }

    /** Whether the peer was asked for bulk uploads (rather than chunks). */
    boolean takesBulk() {
        return !bulkKeys.isEmpty();
    }

    /** The bulk key of the file request {@code id} of this transfer, if it had one. */
    byte[] bulkKey(MessageId id) {
        return bulkKeys.get(id);
    }

    /**
     * Whether to ask again for what is missing: nothing arrived for {@code after} (doubled for
     * each time asked again without progress, up to a minute) since the last byte and the last
     * request. Counts the asking.
     */
    synchronized boolean shouldAskAgain(long nowMs, long afterMs) {
        long wait = Math.min(60_000, afterMs << Math.min(askedAgain, 10));
        if (complete || failure != null || nowMs - lastProgressMs < wait || nowMs - lastRequestMs < wait) {
            return false;
        }
        askedAgain++;
        return true;
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
     * Waits until the byte at {@code position} is here (or the file is whole); returns the end
     * of the arrived range that holds it. Throws {@link TransferFailedException} if the transfer failed.
     */
    synchronized long awaitAvailable(long position) throws InterruptedException, TransferFailedException {
        long end;
        while ((end = arrivedEnd(position)) <= position && !complete && failure == null) {
            wait(1000);
        }
        if (complete) {
            return size;
        }
        if (end > position) {
            return end;
        }
        throw new TransferFailedException(failure);
    }

    private long arrivedEnd(long position) {
        Map.Entry<Long, Long> range = ranges.floorEntry(position);
        return range == null ? 0 : range.getValue();
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
