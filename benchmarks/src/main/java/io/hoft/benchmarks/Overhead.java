package io.hoft.benchmarks;

import io.hoft.benchmarks.BenchmarkData.Kind;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Message;
import io.hoft.transport.spool.Collator;
import io.hoft.transport.spool.FileMode;
import io.hoft.transport.spool.OutgoingFrame;
import io.hoft.transport.spool.SpoolFileWriter;
import io.hoft.transport.spool.SpoolLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Bytes on disk per 1 KiB message, one message per file against collated (1000 messages into
 * files of about 1 MiB), for every mode, data kind and level; plus a rough wall-clock rate of
 * one-message-per-file encoding (not JMH: a warm-up round, then one timed round).
 *
 * <p>{@code java -cp benchmarks.jar io.hoft.benchmarks.Overhead [BASELINE_SIZES_TSV]} prints a
 * Markdown table. The optional file holds lines {@code data level single|collated bytes}: what
 * {@code zstd -L | age} made of the same 1 KiB (single) and of the 1000 KiB of all bodies
 * concatenated (collated), measured by {@code run.sh}.
 */
public final class Overhead {
    private Overhead() {}

    public static void main(String[] args) throws IOException {
        Map<String, Long> baseline = args.length > 0 ? readBaseline(Path.of(args[0])) : Map.of();
        Nodes nodes = new Nodes();
        Path root = Nodes.benchDir().resolve("overhead-" + ProcessHandle.current().pid());
        int n = CodecBenchmark.MESSAGES;
        int body = CodecBenchmark.MESSAGE_BODY;
        System.out.println("Bytes on disk per message of " + body + " B body (" + n + " requests with 4 headers each; "
                + "collated = " + n + " messages into files of about 1 MiB). Files in " + root.getParent() + ".");
        System.out.println();
        System.out.println("| data | level | mode | 1 per file: B/msg | collated: files | collated: B/msg "
                + "| collated: header B/msg | 1 per file: msg/s (rough) | zstd -L \\| age, 1 per file: B/msg | zstd -L \\| age, one stream: B/msg |");
        System.out.println("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        try {
            for (Kind kind : Kind.values()) {
                List<Message> messages = messages(nodes, kind, n, body);
                for (int level : new int[] {1, 3}) {
                    for (FileMode mode : FileMode.values()) {
                        Path dir = Files.createDirectories(root.resolve(mode + "-" + kind.paramName() + "-" + level));
                        SpoolFileWriter writer = nodes.writer(mode, level);
                        writeOnePerFile(writer, messages, dir); // warm-up
                        Nodes.deleteTree(dir);
                        Files.createDirectories(dir);
                        long start = System.nanoTime();
                        long single = writeOnePerFile(writer, messages, dir);
                        double seconds = (System.nanoTime() - start) / 1e9;
                        Nodes.deleteTree(dir);
                        Files.createDirectories(dir);

                        List<List<OutgoingFrame>> files =
                                new Collator(CodecBenchmark.COLLATION_TARGET, SpoolLimits.DEFAULT.maxFrames()).collate(messages);
                        long collated = 0;
                        long collatedPayload = 0;
                        long seq = 1;
                        for (List<OutgoingFrame> frames : files) {
                            SpoolFileWriter.WrittenFile file = writer.write(Nodes.address(seq++), frames, dir);
                            collated += file.size();
                            collatedPayload += file.header().payloadLength();
                        }
                        Nodes.deleteTree(dir);
                        String key = kind.paramName() + " " + level + " ";
                        System.out.printf("| %s | %d | %s | %d | %d | %.0f | %.0f | %.0f | %s | %s |%n", kind.paramName(), level,
                                mode, single / n, files.size(), (double) collated / n,
                                (double) (collated - collatedPayload) / n, n / seconds,
                                sizeOrDash(baseline.get(key + "single"), 1), sizeOrDash(baseline.get(key + "collated"), n));
                    }
                }
            }
        } finally {
            Nodes.deleteTree(root);
        }
    }

    static List<Message> messages(Nodes nodes, Kind kind, int count, int size) {
        byte[] bodies = BenchmarkData.bytes(kind, count * size);
        List<Message> messages = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            messages.add(nodes.request(Body.ofBytes(Arrays.copyOfRange(bodies, i * size, (i + 1) * size))));
        }
        return messages;
    }

    private static long writeOnePerFile(SpoolFileWriter writer, List<Message> messages, Path dir) throws IOException {
        long bytes = 0;
        long seq = 1;
        for (Message message : messages) {
            bytes += write(writer, seq++, List.of(OutgoingFrame.whole(message)), dir);
        }
        return bytes;
    }

    private static long write(SpoolFileWriter writer, long seq, List<OutgoingFrame> frames, Path dir) throws IOException {
        SpoolFileWriter.WrittenFile file = writer.write(Nodes.address(seq), frames, dir);
        return Files.size(writer.publish(file, dir));
    }

    private static String sizeOrDash(Long bytes, int messages) {
        return bytes == null ? "–" : String.format("%.0f", (double) bytes / messages);
    }

    private static Map<String, Long> readBaseline(Path file) throws IOException {
        Map<String, Long> sizes = new TreeMap<>();
        for (String line : Files.readAllLines(file)) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 4) {
                sizes.put(f[0] + " " + f[1] + " " + f[2], Long.parseLong(f[3]));
            }
        }
        return sizes;
    }
}
