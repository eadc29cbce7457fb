package io.hoft.transport.spool;

import io.hoft.transport.message.Body;
import io.hoft.transport.message.Message;
import io.hoft.transport.testing.Codec;
import io.hoft.transport.testing.TestNodes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The program {@link StreamingMemoryTest} runs in a child JVM with a small heap: it generates a
 * body on disk from a seeded stream, writes it as spool files (signed and encrypted, split by
 * {@link Fragmenter} at the default maximum file size), decodes the files in reverse order
 * into one file ({@link FragmentedBody}), and compares the SHA-256 of what went in and what came out.
 * Nothing of the body's size is ever held in memory, so it passes only if the codec streams.
 *
 * <p>Usage: {@code StreamingMemoryCheck WORK_DIR BODY_MIB}. Prints {@code sha256 match} and
 * exits 0 on success.
 */
public final class StreamingMemoryCheck {
    private static final int CHUNK = 1 << 20;

    private StreamingMemoryCheck() {}

    public static void main(String[] args) throws IOException {
        Path work = Path.of(args[0]);
        long bodyBytes = Long.parseLong(args[1]) * SpoolLimits.MIB;
        System.out.printf("max heap %d MiB, body %d MiB%n", Runtime.getRuntime().maxMemory() >> 20, bodyBytes >> 20);

        Path bodyFile = work.resolve("body.bin");
        String sent = generate(bodyFile, bodyBytes);

        Codec codec = new Codec(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.EC);
        Message message = codec.request(Body.ofFile(bodyFile));
        List<OutgoingFrame> fragments = Fragmenter.split(message, Fragmenter.bodyBytesPerFile(Fragmenter.DEFAULT_MAX_FILE_BYTES));
        Path outbox = Files.createDirectories(work.resolve("outbox"));
        List<Path> files = new ArrayList<>();
        long started = System.nanoTime();
        for (int i = 0; i < fragments.size(); i++) {
            files.add(codec.write(outbox, i + 1, List.of(fragments.get(i))));
        }
        System.out.printf("encoded %d files in %d ms%n", files.size(), (System.nanoTime() - started) / 1_000_000);
        Files.delete(bodyFile);

        Collections.reverse(files);
        FragmentedBody whole = new FragmentedBody(work.resolve("reassembled.bin"));
        started = System.nanoTime();
        for (Path file : files) {
            try (SpoolFile spoolFile = codec.reader().open(file, Duration.ZERO)) {
                spoolFile.readFrames(frame -> whole.add(spoolFile.header(), frame));
            }
            Files.delete(file);
        }
        System.out.printf("decoded and reassembled in %d ms%n", (System.nanoTime() - started) / 1_000_000);

        if (!whole.isComplete()) {
            throw new IllegalStateException("message did not complete");
        }
        Path received = whole.file();
        String got = sha256(received);
        System.out.printf("peak heap %d MiB%n", peakHeapBytes() >> 20);
        if (!sent.equals(got) || Files.size(received) != bodyBytes) {
            System.out.println("sha256 MISMATCH: sent " + sent + ", received " + got);
            System.exit(1);
        }
        System.out.println("sha256 match " + got);
    }

    /** Writes {@code length} seeded pseudo-random bytes, a chunk at a time; returns their SHA-256. */
    private static String generate(Path file, long length) throws IOException {
        SplittableRandom random = new SplittableRandom(20261122);
        MessageDigest digest = Digests.sha256();
        byte[] chunk = new byte[CHUNK];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = length; left > 0; left -= CHUNK) {
                random.nextBytes(chunk);
                // Every other 64 KiB is text, so zstd has something to do besides giving up.
                for (int i = 0; i < CHUNK; i += 128 * 1024) {
                    for (int j = 0; j < 64 * 1024; j++) {
                        chunk[i + j] = (byte) ('a' + (j % 23));
                    }
                }
                int n = (int) Math.min(CHUNK, left);
                digest.update(chunk, 0, n);
                out.write(chunk, 0, n);
            }
        }
        return Digests.hex(digest.digest());
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest digest = Digests.sha256();
        byte[] buffer = new byte[CHUNK];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) != -1; ) {
                digest.update(buffer, 0, n);
            }
        }
        return Digests.hex(digest.digest());
    }

    private static long peakHeapBytes() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }
}
