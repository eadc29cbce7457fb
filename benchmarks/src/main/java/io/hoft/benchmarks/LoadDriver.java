package io.hoft.benchmarks;

import io.hoft.transport.agent.Threads;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The HTTP load driver of {@code benchmarks/load.sh} (see {@code benchmarks/LOAD.md}).
 *
 * <pre>
 * LoadDriver load --target NAME=URL... [--concurrency 1,8,32] [--duration 5s] [--warmup 2s]
 *                 [--rounds 5] [--body-size 128] [--header 'Name: value']... [--baseline NAME]
 * LoadDriver upload URL SIZE [--header 'Name: value']...
 * LoadDriver download URL SIZE [--header 'Name: value']...
 * </pre>
 *
 * <p>{@code load}: for every concurrency, every round runs every target in turn (so slow drift
 * of the machine hits all targets alike) with N workers that each send one request after the
 * other over a kept-alive HTTP/1.1 connection for the duration, after a warm-up of the same
 * length for the first round. Each round yields requests per second and the p50 and p99 of the
 * latencies; the table shows the median over rounds of each. Every answer must be a 200 with the
 * expected body; anything else is counted as an error and printed. With {@code --baseline NAME}
 * the table adds, for every other target, its rps as a share of the baseline's and its p50
 * minus the baseline's.
 *
 * <p>{@code upload}: POSTs SIZE random bytes made while they are sent (never held whole) to URL,
 * expects the sample callee's echo JSON, and checks that its {@code bodyLength} and
 * {@code bodySha256} match. {@code download}: GETs URL and counts and hashes the bytes. Both
 * print time and MB/s (10^6 bytes per second).
 *
 * <p>Lines starting with {@code RESULT} are for scripts: tab-separated fields.
 */
public final class LoadDriver {
    private static final PrintStream out = System.out;

    private LoadDriver() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
        }
        List<String> rest = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
        switch (args[0]) {
            case "load" -> load(rest);
            case "upload" -> upload(rest);
            case "download" -> download(rest);
            case "size" -> out.println(parseSize(rest.get(0)));
            default -> usage();
        }
    }

    private static void usage() {
        System.err.println("usage: LoadDriver load --target NAME=URL... [--concurrency 1,8,32] [--duration 5s]"
                + " [--warmup 2s] [--rounds 5] [--body-size 128] [--header 'Name: value']... [--baseline NAME]\n"
                + "       LoadDriver upload URL SIZE [--header 'Name: value']...\n"
                + "       LoadDriver download URL SIZE [--header 'Name: value']...");
        System.exit(2);
    }

    // ---------------------------------------------------------------- load

    record Round(double rps, double p50Ms, double p99Ms, long errors, long calls) {}

    private static void load(List<String> args) throws Exception {
        Map<String, URI> targets = new LinkedHashMap<>();
        List<Integer> concurrencies = List.of(1, 8, 32);
        Duration duration = Duration.ofSeconds(5);
        Duration warmup = Duration.ofSeconds(2);
        int rounds = 5;
        int bodySize = 128;
        List<String> headers = new ArrayList<>();
        String baseline = null;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String value = i + 1 < args.size() ? args.get(i + 1) : null;
            if (value == null) {
                usage();
            }
            i++;
            switch (arg) {
                case "--target" -> {
                    int eq = value.indexOf('=');
                    targets.put(value.substring(0, eq), URI.create(value.substring(eq + 1)));
                }
                case "--concurrency" -> concurrencies = Arrays.stream(value.split(",")).map(Integer::valueOf).toList();
                case "--duration" -> duration = seconds(value);
                case "--warmup" -> warmup = seconds(value);
                case "--rounds" -> rounds = Integer.parseInt(value);
                case "--body-size" -> bodySize = Integer.parseInt(value);
                case "--header" -> headers.add(value);
                case "--baseline" -> baseline = value;
                default -> usage();
            }
        }
        if (targets.isEmpty()) {
            usage();
        }
        byte[] body = jsonBody(bodySize);
        int maxConcurrency = concurrencies.stream().mapToInt(Integer::intValue).max().orElse(1);
        ExecutorService pool = Executors.newFixedThreadPool(maxConcurrency + 2, Threads.named("load"));
        // One client per target, so every target keeps its own pool of kept-alive connections.
        Map<String, HttpClient> clients = new LinkedHashMap<>();
        for (String name : targets.keySet()) {
            clients.put(name, HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).executor(pool).build());
        }
        out.printf(Locale.ROOT, "# %d rounds of %ds per target and concurrency, body %d bytes, targets %s%n",
                rounds, duration.toSeconds(), body.length, targets);
        Map<String, Map<Integer, Round>> medians = new LinkedHashMap<>();
        Map<String, Long> calls = new LinkedHashMap<>(); // every answered call, warm-ups included
        for (int c : concurrencies) {
            Map<String, List<Round>> perTarget = new LinkedHashMap<>();
            for (String name : targets.keySet()) {
                // warm-up: JIT, connections, and whatever the target caches
                Round warm = run(clients.get(name), targets.get(name), headers, body, c, warmup, pool);
                calls.merge(name, warm.calls(), Long::sum);
                perTarget.put(name, new ArrayList<>());
            }
            for (int r = 0; r < rounds; r++) {
                for (String name : targets.keySet()) {
                    Round round = run(clients.get(name), targets.get(name), headers, body, c, duration, pool);
                    perTarget.get(name).add(round);
                    calls.merge(name, round.calls(), Long::sum);
                    out.printf(Locale.ROOT, "ROUND\t%s\tc=%d\tround=%d\trps=%.1f\tp50=%.2fms\tp99=%.2fms\terrors=%d%n",
                            name, c, r + 1, round.rps(), round.p50Ms(), round.p99Ms(), round.errors());
                }
            }
            for (String name : targets.keySet()) {
                List<Round> list = perTarget.get(name);
                Round median = new Round(median(list.stream().mapToDouble(Round::rps).toArray()),
                        median(list.stream().mapToDouble(Round::p50Ms).toArray()),
                        median(list.stream().mapToDouble(Round::p99Ms).toArray()),
                        list.stream().mapToLong(Round::errors).sum(), list.stream().mapToLong(Round::calls).sum());
                medians.computeIfAbsent(name, k -> new LinkedHashMap<>()).put(c, median);
                out.printf(Locale.ROOT, "RESULT\t%s\t%d\t%.1f\t%.2f\t%.2f\t%d%n",
                        name, c, median.rps(), median.p50Ms(), median.p99Ms(), median.errors());
            }
        }
        out.println();
        out.println("| target | c | rps | p50 ms | p99 ms | errors |" + (baseline != null ? " rps vs " + baseline
                + " | added p50 ms vs " + baseline + " |" : ""));
        out.println("| --- | ---: | ---: | ---: | ---: | ---: |" + (baseline != null ? " ---: | ---: |" : ""));
        for (int c : concurrencies) {
            for (String name : targets.keySet()) {
                Round m = medians.get(name).get(c);
                String extra = "";
                if (baseline != null && medians.containsKey(baseline)) {
                    Round b = medians.get(baseline).get(c);
                    extra = name.equals(baseline) ? " 1.000 | 0.00 |"
                            : String.format(Locale.ROOT, " %.3f | %+.2f |", m.rps() / b.rps(), m.p50Ms() - b.p50Ms());
                }
                out.printf(Locale.ROOT, "| %s | %d | %.1f | %.2f | %.2f | %d |%s%n",
                        name, c, m.rps(), m.p50Ms(), m.p99Ms(), m.errors(), extra);
            }
        }
        calls.forEach((name, n) -> out.printf(Locale.ROOT, "CALLS\t%s\t%d%n", name, n));
        pool.shutdownNow();
    }

    private static Round run(HttpClient client, URI uri, List<String> headers, byte[] body, int concurrency,
            Duration duration, ExecutorService pool) throws InterruptedException {
        long[][] latencies = new long[concurrency][];
        int[] counts = new int[concurrency];
        AtomicLong errors = new AtomicLong();
        CountDownLatch done = new CountDownLatch(concurrency);
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        for (int w = 0; w < concurrency; w++) {
            int worker = w;
            pool.execute(() -> {
                long[] mine = new long[4096];
                int n = 0;
                try {
                    while (System.nanoTime() < end) {
                        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                                .header("Content-Type", "application/json")
                                .POST(BodyPublishers.ofByteArray(body));
                        for (String header : headers) {
                            int colon = header.indexOf(':');
                            request.header(header.substring(0, colon).trim(), header.substring(colon + 1).trim());
                        }
                        long t0 = System.nanoTime();
                        try {
                            HttpResponse<byte[]> response = client.send(request.build(), BodyHandlers.ofByteArray());
                            long t1 = System.nanoTime();
                            if (response.statusCode() != 200 || response.body().length == 0 || response.body()[0] != '{') {
                                if (errors.incrementAndGet() <= 3) {
                                    System.err.printf("%s answered %d: %s%n", uri, response.statusCode(),
                                            new String(response.body(), StandardCharsets.UTF_8));
                                }
                                continue;
                            }
                            if (n == mine.length) {
                                mine = Arrays.copyOf(mine, n * 2);
                            }
                            mine[n++] = t1 - t0;
                        } catch (IOException e) {
                            if (errors.incrementAndGet() <= 3) {
                                System.err.printf("%s failed: %s%n", uri, e);
                            }
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    latencies[worker] = mine;
                    counts[worker] = n;
                    done.countDown();
                }
            });
        }
        done.await();
        double seconds = (System.nanoTime() - start) / 1e9;
        int total = Arrays.stream(counts).sum();
        long[] all = new long[total];
        int at = 0;
        for (int w = 0; w < concurrency; w++) {
            System.arraycopy(latencies[w], 0, all, at, counts[w]);
            at += counts[w];
        }
        Arrays.sort(all);
        return new Round(total / seconds, percentile(all, 0.50) / 1e6, percentile(all, 0.99) / 1e6, errors.get(), total);
    }

    private static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static byte[] jsonBody(int size) {
        StringBuilder json = new StringBuilder("{\"item\":\"");
        while (json.length() < size - 2) {
            json.append('x');
        }
        return json.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static Duration seconds(String value) {
        return Duration.ofMillis(Math.round(Double.parseDouble(value.replaceAll("s$", "")) * 1000));
    }

    // ---------------------------------------------------------------- large bodies

    private static void upload(List<String> args) throws Exception {
        URI uri = URI.create(args.get(0));
        long size = parseSize(args.get(1));
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Content-Type", "application/octet-stream");
        headers(request, args.subList(2, args.size()));
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        request.POST(BodyPublishers.fromPublisher(BodyPublishers.ofInputStream(
                () -> new DigestInputStream(new RandomStream(size, 7), sent)), size));
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        long t0 = System.nanoTime();
        HttpResponse<String> response = client.send(request.build(), BodyHandlers.ofString());
        double seconds = (System.nanoTime() - t0) / 1e9;
        String digest = HexFormat.of().formatHex(sent.digest());
        String text = response.body();
        boolean ok = response.statusCode() == 200 && text.contains("\"bodyLength\":" + size)
                && text.contains("\"bodySha256\":\"" + digest + "\"");
        out.printf(Locale.ROOT, "RESULT\tupload\t%d\t%.2f\t%.1f\t%s%n", size, seconds, size / seconds / 1e6,
                ok ? "ok" : "FAILED status " + response.statusCode() + " " + text.substring(0, Math.min(300, text.length())));
        if (!ok) {
            System.exit(1);
        }
    }

    private static void download(List<String> args) throws Exception {
        URI uri = URI.create(args.get(0));
        long size = parseSize(args.get(1));
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET();
        headers(request, args.subList(2, args.size()));
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        long t0 = System.nanoTime();
        HttpResponse<InputStream> response = client.send(request.build(), BodyHandlers.ofInputStream());
        long received = 0;
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = response.body()) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                received += n;
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        boolean ok = response.statusCode() == 200 && received == size;
        out.printf(Locale.ROOT, "RESULT\tdownload\t%d\t%.2f\t%.1f\t%s%n", received, seconds, received / seconds / 1e6,
                ok ? "ok" : "FAILED status " + response.statusCode() + ", " + received + " bytes");
        if (!ok) {
            System.exit(1);
        }
    }

    private static void headers(HttpRequest.Builder request, List<String> args) {
        for (int i = 0; i + 1 < args.size(); i += 2) {
            if (!args.get(i).equals("--header")) {
                usage();
            }
            String header = args.get(i + 1);
            int colon = header.indexOf(':');
            request.header(header.substring(0, colon).trim(), header.substring(colon + 1).trim());
        }
    }

    static long parseSize(String text) {
        String t = text.trim();
        long unit = 1;
        if (t.endsWith("GiB")) {
            unit = 1L << 30;
        } else if (t.endsWith("MiB")) {
            unit = 1L << 20;
        } else if (t.endsWith("KiB")) {
            unit = 1L << 10;
        }
        return Long.parseLong(unit == 1 ? t : t.substring(0, t.length() - 3)) * unit;
    }

    /** SIZE pseudo-random bytes (incompressible, so zstd cannot shrink them), made as they are read. */
    static final class RandomStream extends InputStream {
        private final SplittableRandom random;
        private long left;

        RandomStream(long size, long seed) {
            this.left = size;
            this.random = new SplittableRandom(seed);
        }

        @Override
        public int read() {
            if (left <= 0) {
                return -1;
            }
            left--;
            return random.nextInt(256);
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            int i = 0;
            for (; i + 8 <= n; i += 8) {
                long v = random.nextLong();
                for (int k = 0; k < 8; k++) {
                    b[off + i + k] = (byte) (v >>> (k * 8));
                }
            }
            for (; i < n; i++) {
                b[off + i] = (byte) random.nextInt(256);
            }
            left -= n;
            return n;
        }
    }
}
