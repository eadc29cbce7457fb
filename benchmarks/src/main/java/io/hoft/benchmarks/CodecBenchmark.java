package io.hoft.benchmarks;

import io.hoft.benchmarks.BenchmarkData.Kind;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Message;
import io.hoft.transport.spool.Collator;
import io.hoft.transport.spool.FileMode;
import io.hoft.transport.spool.OutgoingFrame;
import io.hoft.transport.spool.SpoolFile;
import io.hoft.transport.spool.SpoolFileReader;
import io.hoft.transport.spool.SpoolFileWriter;
import io.hoft.transport.spool.SpoolLimits;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Encode and decode throughput of spool files, file to file on tmpfs, one thread.
 *
 * <ul>
 *   <li>{@code encode64MiB} / {@code decode64MiB}: one message with a 64 MiB body, one whole
 *       frame (under the 256 MiB default fragment size). One op is one file; MB/s is ops/s
 *       times 67.108864. Encode is write (forced) and publish (atomic rename); decode is open
 *       (signature, key unwrap), then every segment, frame and digest, body into a null sink.
 *   <li>{@code encodeCollated1KiB} / {@code decodeCollated1KiB}: 1000 requests of 1 KiB body,
 *       collated into files of about 1 MiB; one op is one message, so ops/s is messages/s.
 * </ul>
 *
 * <p>Inputs come from {@link BenchmarkData}, byte for byte what {@code run.sh} feeds the
 * {@code zstd | age} baseline. Results go in {@code RESULTS.md}, never into assertions.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CodecBenchmark {
    static final int MESSAGES = 1000;
    static final int MESSAGE_BODY = 1024;
    static final long COLLATION_TARGET = 1024 * 1024;

    /** The inputs of one (mode, data, level): source files, messages, and files to decode. */
    @State(Scope.Benchmark)
    public static class Inputs {
        @Param({"encrypted", "signed-plaintext", "checksum-only-unauthenticated"})
        public String mode;

        @Param({"random", "text"})
        public String data;

        @Param({"1", "3"})
        public int level;

        Path dir;
        Nodes nodes;
        SpoolFileWriter writer;
        SpoolFileReader reader;
        Message big;
        Path bigFile;
        List<List<OutgoingFrame>> collated;
        List<Path> collatedFiles;
        long seq = 1;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            FileMode fileMode = FileMode.fromWireName(mode).orElseThrow(() -> new IllegalArgumentException(mode));
            Kind kind = Kind.fromParam(data);
            dir = Nodes.benchDir().resolve(mode + "-" + data + "-" + level);
            Files.createDirectories(dir);
            nodes = new Nodes();
            writer = nodes.writer(fileMode, level);
            reader = nodes.reader();

            Path body = BenchmarkData.writeFile(kind, BenchmarkData.BODY_BYTES, dir.resolve(data + ".bin"));
            big = nodes.request(Body.ofFile(body));
            Path decodeDir = Files.createDirectories(dir.resolve("decode"));
            bigFile = write(List.of(OutgoingFrame.whole(big)), decodeDir);

            byte[] bodies = BenchmarkData.bytes(kind, MESSAGES * MESSAGE_BODY);
            List<Message> messages = new ArrayList<>(MESSAGES);
            for (int i = 0; i < MESSAGES; i++) {
                int from = i * MESSAGE_BODY;
                messages.add(nodes.request(Body.ofBytes(Arrays.copyOfRange(bodies, from, from + MESSAGE_BODY))));
            }
            collated = new Collator(COLLATION_TARGET, SpoolLimits.DEFAULT.maxFrames()).collate(messages);
            collatedFiles = new ArrayList<>();
            long collatedBytes = 0;
            for (List<OutgoingFrame> frames : collated) {
                Path file = write(frames, decodeDir);
                collatedFiles.add(file);
                collatedBytes += Files.size(file);
            }
            // A benchmark that decodes nothing would look fast: check the files decode in full first.
            long decoded = new CodecBenchmark().decode(reader, bigFile);
            for (Path file : collatedFiles) {
                decoded += new CodecBenchmark().decode(reader, file);
            }
            if (decoded != BenchmarkData.BODY_BYTES + (long) MESSAGES * MESSAGE_BODY) {
                throw new IllegalStateException("decoded " + decoded + " bytes of body, not all of them");
            }
            System.out.printf("%n[hoft] files in %s (%s); 64 MiB body -> %d bytes; %d x 1 KiB -> %d files, %d bytes%n",
                    dir, dir.toString().startsWith("/dev/shm") ? "tmpfs" : "not tmpfs", Files.size(bigFile),
                    MESSAGES, collated.size(), collatedBytes);
        }

        Path write(List<OutgoingFrame> frames, Path folder) throws IOException {
            SpoolFileWriter.WrittenFile file = writer.write(Nodes.address(seq++), frames, folder);
            return writer.publish(file, folder);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            Nodes.deleteTree(dir);
        }
    }

    /** Where encode benchmarks put their files; emptied after every invocation, outside the measured time. */
    @State(Scope.Thread)
    public static class Outbox {
        Path dir;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = Nodes.benchDir().resolve("outbox-" + ProcessHandle.current().pid());
            Files.createDirectories(dir);
        }

        @TearDown(Level.Invocation)
        public void empty() throws IOException {
            try (var files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            Nodes.deleteTree(dir);
        }
    }

    /** Reads into a reused buffer: the "null sink" for decoded bodies. */
    private final byte[] sink = new byte[64 * 1024];

    @Benchmark
    public long encode64MiB(Inputs in, Outbox out) throws IOException {
        Path file = in.write(List.of(OutgoingFrame.whole(in.big)), out.dir);
        return file.hashCode();
    }

    @Benchmark
    public long decode64MiB(Inputs in) throws IOException {
        return decode(in.reader, in.bigFile);
    }

    @Benchmark
    @OperationsPerInvocation(MESSAGES)
    public long encodeCollated1KiB(Inputs in, Outbox out) throws IOException {
        long hash = 0;
        for (List<OutgoingFrame> frames : in.collated) {
            hash += in.write(frames, out.dir).hashCode();
        }
        return hash;
    }

    @Benchmark
    @OperationsPerInvocation(MESSAGES)
    public long decodeCollated1KiB(Inputs in) throws IOException {
        long bytes = 0;
        for (Path file : in.collatedFiles) {
            bytes += decode(in.reader, file);
        }
        return bytes;
    }

    private long decode(SpoolFileReader reader, Path file) throws IOException {
        long[] bytes = {0};
        try (SpoolFile spoolFile = reader.open(file, Duration.ZERO)) {
            spoolFile.readFrames(frame -> {
                InputStream body = frame.body();
                for (int n; (n = body.read(sink)) != -1; ) {
                    bytes[0] += n;
                }
            });
        }
        return bytes[0];
    }
}
