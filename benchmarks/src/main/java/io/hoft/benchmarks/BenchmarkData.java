package io.hoft.benchmarks;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * The inputs every benchmark uses, generated deterministically so that the JMH run and the
 * shell baseline in {@code run.sh} see identical bytes (the same seed gives the same bytes on
 * every JDK: {@link SplittableRandom}'s algorithm is fixed by its specification).
 *
 * <p>Two kinds: {@link Kind#RANDOM} (incompressible) and {@link Kind#TEXT}, JSON log lines with
 * the entropy of real ones (random trace ids, user ids, latencies), which zstd -1 shrinks to
 * roughly a fifth.
 *
 * <p>{@code java -cp benchmarks.jar io.hoft.benchmarks.BenchmarkData DIR [BYTES]} writes
 * {@code DIR/random.bin} and {@code DIR/text.bin} and prints their SHA-256.
 */
public final class BenchmarkData {
    public static final long BODY_BYTES = 64L * 1024 * 1024;
    private static final long SEED = 0x686f6674L; // "hoft"

    /** The data kinds, named as in the JMH parameter and the file names. */
    public enum Kind {
        RANDOM("random"),
        TEXT("text");

        private final String paramName;

        Kind(String paramName) {
            this.paramName = paramName;
        }

        public String paramName() {
            return paramName;
        }

        public static Kind fromParam(String name) {
            for (Kind kind : values()) {
                if (kind.paramName.equals(name)) {
                    return kind;
                }
            }
            throw new IllegalArgumentException("unknown data kind " + name);
        }
    }

    private BenchmarkData() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: BenchmarkData DIR [BYTES]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        long length = args.length == 2 ? Long.parseLong(args[1]) : BODY_BYTES;
        Files.createDirectories(dir);
        for (Kind kind : Kind.values()) {
            Path file = writeFile(kind, length, dir.resolve(kind.paramName() + ".bin"));
            System.out.println(sha256Hex(file) + "  " + file);
        }
    }

    /** Writes {@code length} bytes of {@code kind} to {@code file}, replacing it. */
    public static Path writeFile(Kind kind, long length, Path file) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            write(kind, length, out);
        }
        return file;
    }

    /** {@code length} bytes of {@code kind} in memory. */
    public static byte[] bytes(Kind kind, int length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(length);
        try {
            write(kind, length, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Writes exactly {@code length} bytes: the first {@code length} bytes of the kind's endless stream. */
    public static void write(Kind kind, long length, OutputStream out) throws IOException {
        SplittableRandom random = new SplittableRandom(SEED);
        byte[] chunk = new byte[64 * 1024];
        long remaining = length;
        if (kind == Kind.RANDOM) {
            while (remaining > 0) {
                random.nextBytes(chunk);
                int n = (int) Math.min(chunk.length, remaining);
                out.write(chunk, 0, n);
                remaining -= n;
            }
            return;
        }
        LogLines lines = new LogLines(random);
        StringBuilder line = new StringBuilder(512);
        while (remaining > 0) {
            line.setLength(0);
            lines.next(line);
            byte[] bytes = line.toString().getBytes(StandardCharsets.US_ASCII);
            int n = (int) Math.min(bytes.length, remaining);
            out.write(bytes, 0, n);
            remaining -= n;
        }
    }

    static String sha256Hex(Path file) throws IOException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (var in = Files.newInputStream(file)) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) != -1; ) {
                    digest.update(buffer, 0, n);
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** JSON log lines of an imaginary order service, one per call of {@link #next}. */
    private static final class LogLines {
        private static final String[] LEVELS = {"INFO", "INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"};
        private static final String[] SERVICES = {"orders-api", "billing", "inventory", "auth", "shipping", "search"};
        private static final String[] METHODS = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
        private static final String[] RESOURCES = {"orders", "items", "customers", "invoices", "parcels", "sessions",
                "carts", "payments"};
        private static final int[] STATUSES = {200, 200, 200, 200, 201, 204, 304, 400, 401, 404, 409, 500, 503};
        private static final String[] MESSAGES = {
                "request completed", "order item added", "cache miss, loading from database",
                "payment authorised by provider", "retrying upstream call after timeout", "token refreshed",
                "inventory reserved for order", "validation failed: quantity must be positive",
                "parcel label printed", "customer record updated", "slow query detected", "session expired",
                "rate limit close to threshold", "invoice rendered to PDF", "connection pool exhausted, waiting"};

        private final SplittableRandom random;
        private long millis = 1_795_867_200_000L; // 2026-11-28T08:00:00Z

        LogLines(SplittableRandom random) {
            this.random = random;
        }

        void next(StringBuilder out) {
            millis += random.nextInt(40);
            out.append("{\"ts\":\"").append(java.time.Instant.ofEpochMilli(millis))
                    .append("\",\"level\":\"").append(pick(LEVELS))
                    .append("\",\"service\":\"").append(pick(SERVICES))
                    .append("\",\"host\":\"app-").append(random.nextInt(1, 24))
                    .append("\",\"trace\":\"").append(hex(random.nextLong()))
                    .append("\",\"span\":\"").append(hex(random.nextLong()), 0, 8)
                    .append("\",\"user\":\"u-").append(random.nextInt(100_000, 999_999))
                    .append("\",\"method\":\"").append(pick(METHODS))
                    .append("\",\"path\":\"/api/v2/").append(pick(RESOURCES)).append('/').append(random.nextInt(1, 99_999));
            if (random.nextInt(3) == 0) {
                out.append('/').append(pick(RESOURCES));
            }
            out.append("\",\"status\":").append(STATUSES[random.nextInt(STATUSES.length)])
                    .append(",\"latency_ms\":").append(random.nextInt(1, 1 + (random.nextInt(10) == 0 ? 5000 : 120)))
                    .append(",\"bytes\":").append(random.nextInt(0, 20_000))
                    .append(",\"msg\":\"").append(pick(MESSAGES)).append("\"}\n");
        }

        private String pick(String[] values) {
            return values[random.nextInt(values.length)];
        }

        private static String hex(long value) {
            String s = Long.toHexString(value);
            return "0".repeat(16 - s.length()) + s;
        }
    }
}
