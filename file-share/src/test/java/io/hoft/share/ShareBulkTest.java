package io.hoft.share;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShareBulkTest {
    @TempDir
    Path dir;

    private static final int FIRST = 256 * 1024;
    private static final int RECORD = ShareBulk.RECORD;

    private Path file(int size) throws IOException {
        byte[] bytes = new byte[size];
        new SplittableRandom(size).nextBytes(bytes);
        return Files.write(dir.resolve("f" + size), bytes);
    }

    private static byte[] encode(Path file, long offset, long length, byte[] key, String id) throws IOException {
        try (FileChannel in = FileChannel.open(file); InputStream records = ShareBulk.encoder(in, offset, length, RECORD, key, id)) {
            return records.readAllBytes();
        }
    }

    @Test
    void recordsCarryEveryByteOfARangeToItsOffsetAtEveryRecordBoundary() throws Exception {
        int size = 3 * ShareBulk.MAX_RECORD + FIRST + 17;
        Path file = file(size);
        byte[] original = Files.readAllBytes(file);
        byte[] key = ShareBulk.newKey();
        for (long[] range : List.of(new long[] {0, 1}, new long[] {0, FIRST}, new long[] {0, FIRST + 1}, new long[] {5, FIRST - 1},
                new long[] {FIRST + 1, ShareBulk.MAX_RECORD}, new long[] {100, size - 100}, new long[] {0, size})) {
            byte[] records = encode(file, range[0], range[1], key, "req-1");
            assertEquals(ShareBulk.encodedLength(range[1], RECORD), records.length, "the declared length is exact");
            byte[] got = new byte[size];
            List<Long> offsets = new ArrayList<>();
            long taken = ShareBulk.decode(new ByteArrayInputStream(records), key, "req-1", size, (offset, bytes) -> {
                offsets.add(offset);
                bytes.get(got, (int) offset, bytes.remaining());
            });
            assertEquals(range[1], taken);
            assertEquals(range[0], offsets.get(0));
            assertTrue(offsets.size() <= range[1] / (256 * 1024) + 1, "records that follow each other are handed over joined");
            byte[] want = new byte[size];
            System.arraycopy(original, (int) range[0], want, (int) range[0], (int) range[1]);
            assertArrayEquals(want, got, "range " + range[0] + "+" + range[1]);
        }
    }

    @Test
    void aFlippedBitAMovedRecordAnotherRequestOrAnotherKeyIsRefused() throws Exception {
        Path file = file(2 * ShareBulk.MAX_RECORD);
        byte[] key = ShareBulk.newKey();
        byte[] records = encode(file, 0, 2 * RECORD + 10, key, "req-1");
        ShareBulk.Sink ignore = (offset, bytes) -> { };

        byte[] flipped = records.clone();
        flipped[ShareBulk.HEAD + 3] ^= 1;
        assertThrows(ShareBulk.BadRecordException.class, () -> decode(flipped, key, "req-1", ignore));

        byte[] moved = records.clone();
        moved[7] = 1; // offset 1 instead of 0
        assertThrows(ShareBulk.BadRecordException.class, () -> decode(moved, key, "req-1", ignore));

        assertThrows(ShareBulk.BadRecordException.class, () -> decode(records, key, "req-2", ignore));
        assertThrows(ShareBulk.BadRecordException.class, () -> decode(records, ShareBulk.newKey(), "req-1", ignore));

        byte[] outside = records.clone();
        outside[8] = 0x7f; // a length past the largest record
        assertThrows(ShareBulk.BadRecordException.class, () -> decode(outside, key, "req-1", ignore));

        // the good record before a bad one still counts; the bad one does not
        byte[] secondBad = records.clone();
        secondBad[secondBad.length - 1] ^= 1; // the third record's tag
        List<Integer> taken = new ArrayList<>();
        assertThrows(ShareBulk.BadRecordException.class, () -> decode(secondBad, key, "req-1", (o, b) -> taken.add(b.remaining())));
        assertEquals(List.of(2 * RECORD), taken);

        byte[] cut = java.util.Arrays.copyOf(records, records.length - 5);
        assertThrows(IOException.class, () -> decode(cut, key, "req-1", ignore));
    }

    private static void decode(byte[] records, byte[] key, String id, ShareBulk.Sink sink) throws IOException {
        ShareBulk.decode(new ByteArrayInputStream(records), key, id, 2 * ShareBulk.MAX_RECORD, sink);
    }

    @Test
    void keysAreThirtyTwoBytesInBase64UrlAndNothingElse() {
        byte[] key = ShareBulk.newKey();
        assertArrayEquals(key, ShareBulk.decodeKey(ShareBulk.encodeKey(key)));
        assertThrows(IllegalArgumentException.class, () -> ShareBulk.decodeKey("short"));
        assertThrows(IllegalArgumentException.class, () -> ShareBulk.decodeKey(ShareBulk.encodeKey(key) + "="));
        assertThrows(IllegalArgumentException.class, () -> ShareBulk.decodeKey(null));
    }

    @Test
    void rangesParseInTheirOrderAndRefuseOverlapsAndBytesPastTheEnd() {
        List<long[]> ranges = ShareProtocol.ranges("90-99,0-89", 100);
        assertArrayEquals(new long[] {90, 100}, ranges.get(0));
        assertArrayEquals(new long[] {0, 90}, ranges.get(1));
        assertEquals("90-99,0-89", ShareProtocol.formatRanges(ranges));
        assertThrows(IllegalArgumentException.class, () -> ShareProtocol.ranges("0-100", 100));
        assertThrows(IllegalArgumentException.class, () -> ShareProtocol.ranges("0-10,10-20", 100));
        assertThrows(IllegalArgumentException.class, () -> ShareProtocol.ranges("5-4", 100));
        assertThrows(IllegalArgumentException.class, () -> ShareProtocol.ranges("", 100));
        assertThrows(IllegalArgumentException.class, () -> ShareProtocol.ranges("0-1,", 100));
        assertThrows(IllegalArgumentException.class, () -> ShareProtocol.ranges(" 0-1", 100));
        List<long[]> many = new ArrayList<>();
        for (int i = 0; i <= ShareProtocol.MAX_RANGES; i++) {
            many.add(new long[] {2 * i, 2 * i + 1});
        }
        assertEquals(ShareProtocol.MAX_RANGES, ShareProtocol.ranges(ShareProtocol.formatRanges(many.subList(1, many.size())), 1000).size());
        assertThrows(IllegalArgumentException.class, () -> ShareProtocol.ranges(ShareProtocol.formatRanges(many), 1000));
    }
}
