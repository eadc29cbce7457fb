package io.hoft.benchmarks;

import com.github.luben.zstd.RecyclingBufferPool;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import io.hoft.benchmarks.BenchmarkData.Kind;
import io.hoft.transport.spool.internal.SegmentCipher;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The steps a spool file's bytes go through, each alone, on one 8 MiB chunk per op (MB/s is
 * ops/s times 8.388608): what the codec's cost is made of, for the analysis in RESULTS.md.
 * Encode runs body SHA-256, zstd, AES-GCM (encrypted mode), payload SHA-256 and the file
 * write in series on one thread; decode runs the reverse.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PrimitivesBenchmark {
    static final int CHUNK = 8 * 1024 * 1024;
    static final int SEGMENT = 65536;

    /** A chunk of random bytes, and the same chunk sealed in 64 KiB segments. */
    @State(Scope.Benchmark)
    public static class Plain {
        final byte[] chunk = BenchmarkData.bytes(Kind.RANDOM, CHUNK);
        final byte[] out = new byte[SEGMENT + SegmentCipher.TAG_LENGTH];
        final byte[] sealed = new byte[CHUNK + (CHUNK / SEGMENT) * SegmentCipher.TAG_LENGTH];
        final SegmentCipher cipher = new SegmentCipher(new byte[SegmentCipher.KEY_LENGTH]);
        final MessageDigest sha256 = sha256();
        Path dir;
        Path file;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            for (int i = 0, o = 0; i < CHUNK; i += SEGMENT) {
                o += cipher.seal(i / SEGMENT, i + SEGMENT == CHUNK, chunk, i, SEGMENT, out);
                System.arraycopy(out, 0, sealed, o - out.length, out.length);
            }
            dir = Nodes.benchDir().resolve("primitives-" + ProcessHandle.current().pid());
            Files.createDirectories(dir);
            file = dir.resolve("chunk.bin");
            Files.write(file, chunk);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            Nodes.deleteTree(dir);
        }
    }

    /** A chunk of one data kind, compressed at one level, and zstd streams as the codec uses them. */
    @State(Scope.Benchmark)
    public static class Compressible {
        @Param({"random", "text"})
        public String data;

        @Param({"1", "3"})
        public int level;

        byte[] chunk;
        byte[] compressed;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            chunk = BenchmarkData.bytes(Kind.fromParam(data), CHUNK);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (var zstd = new ZstdOutputStreamNoFinalizer(out, RecyclingBufferPool.INSTANCE, level)) {
                zstd.write(chunk);
            }
            compressed = out.toByteArray();
            System.out.printf("%n[hoft] %s at level %d: %d -> %d bytes (ratio %.2f)%n", data, level, CHUNK,
                    compressed.length, (double) CHUNK / compressed.length);
        }
    }

    private final byte[] buffer = new byte[128 * 1024];

    @Benchmark
    public byte[] sha256(Plain p) {
        p.sha256.update(p.chunk, 0, CHUNK);
        return p.sha256.digest();
    }

    @Benchmark
    public int aesGcmSeal64KiB(Plain p) throws GeneralSecurityException {
        int o = 0;
        for (int i = 0; i < CHUNK; i += SEGMENT) {
            o += p.cipher.seal(i / SEGMENT, i + SEGMENT == CHUNK, p.chunk, i, SEGMENT, p.out);
        }
        return o;
    }

    @Benchmark
    public int aesGcmOpen64KiB(Plain p) throws GeneralSecurityException {
        int o = 0;
        int sealedSegment = SEGMENT + SegmentCipher.TAG_LENGTH;
        for (int i = 0, s = 0; i < p.sealed.length; i += sealedSegment, s++) {
            o += p.cipher.open(s, i + sealedSegment == p.sealed.length, p.sealed, i, sealedSegment, p.out);
        }
        return o;
    }

    @Benchmark
    public long fileWrite(Plain p) throws IOException {
        Path target = p.dir.resolve("write.bin");
        try (FileChannel channel = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (int i = 0; i < CHUNK; i += buffer.length) {
                System.arraycopy(p.chunk, i, buffer, 0, buffer.length);
                ByteBuffer b = ByteBuffer.wrap(buffer);
                while (b.hasRemaining()) {
                    channel.write(b);
                }
            }
            channel.force(true);
            return channel.size();
        }
    }

    @Benchmark
    public long fileRead(Plain p) throws IOException {
        long n = 0;
        try (InputStream in = Files.newInputStream(p.file)) {
            for (int r; (r = in.read(buffer)) != -1; ) {
                n += r;
            }
        }
        return n;
    }

    @Benchmark
    public long zstdCompress(Compressible c) throws IOException {
        CountingSink sink = new CountingSink();
        try (var zstd = new ZstdOutputStreamNoFinalizer(sink, RecyclingBufferPool.INSTANCE, c.level)) {
            for (int i = 0; i < CHUNK; i += buffer.length) {
                zstd.write(c.chunk, i, buffer.length);
            }
        }
        return sink.count;
    }

    /** The same with zstd's own worker threads (two: this machine's cores), as the writer could set. */
    @Benchmark
    public long zstdCompress2Workers(Compressible c) throws IOException {
        CountingSink sink = new CountingSink();
        try (var zstd = new ZstdOutputStreamNoFinalizer(sink, RecyclingBufferPool.INSTANCE, c.level)) {
            zstd.setWorkers(2);
            for (int i = 0; i < CHUNK; i += buffer.length) {
                zstd.write(c.chunk, i, buffer.length);
            }
        }
        return sink.count;
    }

    @Benchmark
    public long zstdDecompress(Compressible c) throws IOException {
        long n = 0;
        try (var zstd = new ZstdInputStreamNoFinalizer(new ByteArrayInputStream(c.compressed), RecyclingBufferPool.INSTANCE)) {
            for (int r; (r = zstd.read(buffer)) != -1; ) {
                n += r;
            }
        }
        return n;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class CountingSink extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }
}
