package io.hoft.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a run of {@code run.sh} into Markdown tables: hoft against the {@code zstd | age}
 * pipeline for the 64 MiB body, collated 1 KiB messages per second, and (if given) the
 * primitives. Every figure is the median of the measured iterations (JMH) or runs (hyperfine).
 *
 * <pre>
 * java -cp benchmarks.jar io.hoft.benchmarks.Report JMH_JSON BASELINE_DIR [PRIMITIVES_JSON]
 * </pre>
 *
 * {@code BASELINE_DIR} holds hyperfine JSON exports named {@code encode-DATA-LEVEL.json} and
 * {@code decode-DATA-LEVEL.json}.
 */
public final class Report {
    private static final String[] MODES = {"encrypted", "signed-plaintext", "checksum-only-unauthenticated"};
    private static final String[] DATA = {"random", "text"};
    private static final int[] LEVELS = {1, 3};
    private static final double BODY_MB = BenchmarkData.BODY_BYTES / 1e6;
    private static final double CHUNK_MB = PrimitivesBenchmark.CHUNK / 1e6;

    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Double> hoft = new LinkedHashMap<>();

    private Report() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: Report JMH_JSON BASELINE_DIR [PRIMITIVES_JSON]");
            System.exit(2);
        }
        Report report = new Report();
        report.readJmh(Path.of(args[0]));
        report.printThroughput(Path.of(args[1]));
        report.printCollated();
        if (args.length == 3) {
            report.printPrimitives(Path.of(args[2]));
        }
    }

    private void readJmh(Path file) throws IOException {
        for (JsonNode run : json.readTree(file.toFile())) {
            String name = run.get("benchmark").asText();
            name = name.substring(name.lastIndexOf('.') + 1);
            JsonNode params = run.get("params");
            hoft.put(key(name, params.get("mode").asText(), params.get("data").asText(), params.get("level").asInt()),
                    median(run.get("primaryMetric").get("rawData")));
        }
    }

    private void printThroughput(Path baselineDir) throws IOException {
        System.out.println("64 MiB body, MB/s (10^6 bytes of body per second; median). Each hoft cell: "
                + "MB/s and, in brackets, hoft / pipeline.");
        System.out.println();
        System.out.println("| op | data | level | `zstd -L \\| age` | hoft encrypted | hoft signed-plaintext "
                + "| hoft checksum-only |");
        System.out.println("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        for (String op : new String[] {"encode", "decode"}) {
            for (String data : DATA) {
                for (int level : LEVELS) {
                    Double seconds = hyperfineMedian(baselineDir.resolve(op + "-" + data + "-" + level + ".json"));
                    double pipeline = seconds == null ? Double.NaN : BODY_MB / seconds;
                    StringBuilder row = new StringBuilder();
                    row.append("| ").append(op).append(" | ").append(data).append(" | ").append(level).append(" | ")
                            .append(format(pipeline)).append(" |");
                    for (String mode : MODES) {
                        Double opsPerSecond = hoft.get(key(op + "64MiB", mode, data, level));
                        double mbps = opsPerSecond == null ? Double.NaN : opsPerSecond * BODY_MB;
                        row.append(' ').append(format(mbps));
                        if (!Double.isNaN(mbps) && !Double.isNaN(pipeline)) {
                            row.append(String.format(" (%.2f×)", mbps / pipeline));
                        }
                        row.append(" |");
                    }
                    System.out.println(row);
                }
            }
        }
        System.out.println();
    }

    private void printCollated() {
        System.out.println("1000 requests of 1 KiB body collated into files of about 1 MiB, messages/s (median).");
        System.out.println();
        System.out.println("| op | data | level | encrypted | signed-plaintext | checksum-only |");
        System.out.println("| --- | --- | ---: | ---: | ---: | ---: |");
        for (String op : new String[] {"encode", "decode"}) {
            for (String data : DATA) {
                for (int level : LEVELS) {
                    StringBuilder row = new StringBuilder();
                    row.append("| ").append(op).append(" | ").append(data).append(" | ").append(level).append(" |");
                    for (String mode : MODES) {
                        Double rate = hoft.get(key(op + "Collated1KiB", mode, data, level));
                        row.append(' ').append(rate == null ? "–" : String.format("%,.0f", rate)).append(" |");
                    }
                    System.out.println(row);
                }
            }
        }
        System.out.println();
    }

    private void printPrimitives(Path file) throws IOException {
        System.out.println("Primitives on one 8 MiB chunk, MB/s (median).");
        System.out.println();
        System.out.println("| step | data | level | MB/s |");
        System.out.println("| --- | --- | ---: | ---: |");
        for (JsonNode run : json.readTree(file.toFile())) {
            String name = run.get("benchmark").asText();
            name = name.substring(name.lastIndexOf('.') + 1);
            JsonNode params = run.get("params");
            String data = params == null || params.get("data") == null ? "random" : params.get("data").asText();
            String level = params == null || params.get("level") == null ? "" : params.get("level").asText();
            double mbps = median(run.get("primaryMetric").get("rawData")) * CHUNK_MB;
            System.out.printf("| %s | %s | %s | %s |%n", name, data, level, format(mbps));
        }
        System.out.println();
    }

    private Double hyperfineMedian(Path file) throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        return json.readTree(file.toFile()).get("results").get(0).get("median").asDouble();
    }

    private static String key(String benchmark, String mode, String data, int level) {
        return benchmark + "/" + mode + "/" + data + "/" + level;
    }

    private static double median(JsonNode rawData) {
        List<Double> values = new ArrayList<>();
        for (JsonNode fork : rawData) {
            for (JsonNode value : fork) {
                values.add(value.asDouble());
            }
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static String format(double mbps) {
        return Double.isNaN(mbps) ? "–" : String.format("%,.0f", mbps);
    }
}
