package io.hoft.transport.spool.internal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The two halves of the pipelined payload stage: what the caller sees through them is exactly
 * the stream below (bytes, order, end, the failure at its place), the stage never runs more
 * than its blocks ahead, and once closed or aborted it touches the stream below no more.
 */
class PayloadStageStreamsTest {
    private static final int BLOCK = PayloadStage.BLOCK_SIZE;
    private static final int[] SIZES = {0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 7};

    private final Random random = new Random(20261206);

    @Test
    void readAheadYieldsExactlyTheBytesBelowInOrderWhateverTheReadSizes() throws IOException {
        for (int size : SIZES) {
            byte[] bytes = randomBytes(size);
            try (InputStream in = ReadAheadInputStream.over(new ByteArrayInputStream(bytes))) {
                assertTrue(in instanceof ReadAheadInputStream, "a stage thread is free");
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                byte[] buffer = new byte[BLOCK + 100];
                int n;
                while ((n = in.read(buffer, 0, 1 + random.nextInt(buffer.length))) != -1) {
                    got.write(buffer, 0, n);
                }
                assertArrayEquals(bytes, got.toByteArray(), size + " bytes");
                assertEquals(-1, in.read(), "the end stays the end");
            }
        }
    }

    @Test
    void readAheadRethrowsTheFailureBelowAtItsPlaceAfterTheBytesBeforeIt() throws IOException {
        byte[] bytes = randomBytes(2 * BLOCK + 5);
        IOException failure = new IOException("segment 9 fails authentication");
        InputStream failing = new FailingAfter(new ByteArrayInputStream(bytes), bytes.length, failure);
        try (InputStream in = ReadAheadInputStream.over(failing)) {
            assertArrayEquals(bytes, in.readNBytes(bytes.length), "every byte before the failure arrives");
            assertSame(failure, assertThrows(IOException.class, in::read));
            assertSame(failure, assertThrows(IOException.class, in::read), "and it stays failed");
        }
    }

    @Test
    void readAheadNeverRunsMoreThanItsBlocksAheadOfTheCaller() throws IOException {
        AtomicLong consumed = new AtomicLong();
        AtomicLong furthestAhead = new AtomicLong();
        InputStream below = new InputStream() {
            private long given;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (given >= 64L * BLOCK) {
                    return -1;
                }
                given += len;
                furthestAhead.accumulateAndGet(given - consumed.get(), Math::max);
                return len;
            }
        };
        try (InputStream in = ReadAheadInputStream.over(below)) {
            byte[] buffer = new byte[4096];
            int n;
            while ((n = in.read(buffer)) != -1) {
                consumed.addAndGet(n);
            }
        }
        // The blocks in the queue, the one the caller reads and the one being filled.
        long bound = (PayloadStage.BLOCKS + 1L) * BLOCK;
        assertTrue(furthestAhead.get() <= bound, furthestAhead.get() + " bytes ahead, more than " + bound);
    }

    @Test
    void closingReadAheadStopsTheStageBeforeItReturns() throws IOException {
        AtomicLong reads = new AtomicLong();
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                reads.incrementAndGet();
                return len;
            }
        };
        InputStream in = ReadAheadInputStream.over(endless);
        in.readNBytes(10);
        in.close();
        long afterClose = reads.get();
        // A stage still running would read on at once: the count must stay where close left it.
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> reads.get() == afterClose);
    }

    @Test
    void writeBehindWritesEveryByteInOrderAndClosesTheStreamBelow() throws IOException {
        for (int size : SIZES) {
            byte[] bytes = randomBytes(size);
            Recording below = new Recording();
            OutputStream out = WriteBehindOutputStream.over(below);
            assertTrue(out instanceof WriteBehindOutputStream, "a stage thread is free");
            for (int off = 0; off < size; ) {
                int n = Math.min(size - off, 1 + random.nextInt(BLOCK + 100));
                out.write(bytes, off, n);
                off += n;
            }
            out.close();
            assertArrayEquals(bytes, below.toByteArray(), size + " bytes");
            assertTrue(below.closed.get(), "the stream below is closed, on close");
        }
    }

    @Test
    void writeBehindThrowsTheFailureBelowAndWritesNothingAfterIt() throws IOException {
        IOException failure = new IOException("disk full");
        Recording below = new Recording();
        below.failAfter = BLOCK;
        below.failure = failure;
        OutputStream out = WriteBehindOutputStream.over(below);
        byte[] bytes = randomBytes(BLOCK);
        IOException thrown = assertThrows(IOException.class, () -> {
            for (int i = 0; i < 64; i++) {
                out.write(bytes);
            }
            out.close();
        });
        assertSame(failure, thrown);
        assertEquals(BLOCK, below.size(), "nothing was written after the failure");
        assertFalse(below.closed.get(), "a failed stream below is not closed by the stage");
        out.close(); // after the failure: nothing more happens
        assertEquals(BLOCK, below.size());
    }

    @Test
    void abortingWriteBehindStopsTheStageWithoutClosingTheStreamBelow() throws IOException {
        Recording below = new Recording();
        WriteBehindOutputStream out = (WriteBehindOutputStream) WriteBehindOutputStream.over(below);
        out.write(randomBytes(3 * BLOCK));
        out.abort();
        int written = below.size();
        assertTrue(written <= 3 * BLOCK);
        assertFalse(below.closed.get());
        assertThrows(IOException.class, () -> out.write(1), "an aborted stream takes no more bytes");
        assertEquals(written, below.size());
    }

    @Test
    void whenEveryStageThreadIsBusyTheCallerWorksInSeriesOnTheStreamBelow() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<InputStream> busy = new ArrayList<>();
        try {
            for (int i = 0; i < PayloadStage.MAX_THREADS; i++) {
                InputStream stage = ReadAheadInputStream.over(new Blocking(release));
                assertTrue(stage instanceof ReadAheadInputStream, "stage " + i + " of " + PayloadStage.MAX_THREADS);
                busy.add(stage);
            }
            InputStream below = new ByteArrayInputStream(new byte[] {1, 2, 3});
            assertSame(below, ReadAheadInputStream.over(below), "no thread free: the stream itself, read in series");
            OutputStream sink = new ByteArrayOutputStream();
            assertSame(sink, WriteBehindOutputStream.over(sink));
        } finally {
            release.countDown();
            for (InputStream stage : busy) {
                stage.close();
            }
        }
        InputStream below = new ByteArrayInputStream(new byte[] {1, 2, 3});
        try (InputStream again = ReadAheadInputStream.over(below)) {
            assertNotSame(below, again, "threads are free again once their stages ended");
        }
    }

    private byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }

    /** The bytes of {@code in} up to {@code after}, then {@code failure}. */
    private static final class FailingAfter extends InputStream {
        private final InputStream in;
        private final IOException failure;
        private long left;

        FailingAfter(InputStream in, long after, IOException failure) {
            this.in = in;
            this.left = after;
            this.failure = failure;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                throw failure;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            left -= n;
            return n;
        }
    }

    /** Waits for {@code release} before it ends. */
    private static final class Blocking extends InputStream {
        private final CountDownLatch release;

        Blocking(CountDownLatch release) {
            this.release = release;
        }

        @Override
        public int read() throws IOException {
            try {
                release.await(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return -1;
        }
    }

    /** Keeps what was written; fails with {@code failure} once {@code failAfter} bytes were written. */
    private static final class Recording extends OutputStream {
        final AtomicBoolean closed = new AtomicBoolean();
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long failAfter = Long.MAX_VALUE;
        IOException failure;

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            if (bytes.size() + (long) len > failAfter) {
                throw failure;
            }
            bytes.write(b, off, len);
        }

        @Override
        public void close() {
            closed.set(true);
        }

        synchronized int size() {
            return bytes.size();
        }

        synchronized byte[] toByteArray() {
            return bytes.toByteArray();
        }
    }
}
