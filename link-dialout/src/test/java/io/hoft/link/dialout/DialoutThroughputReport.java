package io.hoft.link.dialout;

import static io.hoft.link.dialout.DialoutFixture.BACK;
import static io.hoft.link.dialout.DialoutFixture.BACK_KEYS;
import static io.hoft.link.dialout.DialoutFixture.FRONT;
import static org.awaitility.Awaitility.await;

import io.hoft.transport.spool.SpoolFileName;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not a test: the download throughput of one large file through the dial-out link (the front
 * holds it, the back is told over the WebSocket, fetches it with a GET, writes it to a
 * temporary file, forces it and renames it into its inbox), against {@code curl} fetching the
 * same file straight from {@code python3 -m http.server} on loopback, in the same run; and the
 * same file the other way (an upload from the back: a PUT with Content-Range, as for every file
 * over 1 MiB).
 *
 * <p>Run with {@code ./mvnw -B -q -pl transport-core -am test -Dtest=DialoutThroughputReport
 * -Dsurefire.failIfNoSpecifiedTests=false -Dhoft.report=true [-Dhoft.report.mib=1024]}.
 */
class DialoutThroughputReport {
    @TempDir
    Path root;

    @Test
    void report() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("hoft.report"), "a report, run on demand");
        long mib = Long.getLong("hoft.report.mib", 1024);
        Path served = Files.createDirectories(root.resolve("served"));
        Path file = served.resolve("large.bin");
        writeRandom(file, mib << 20);
        System.out.printf("one file of %d MiB (random bytes), loopback, %d cores%n", mib, Runtime.getRuntime().availableProcessors());

        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Process python = new ProcessBuilder("python3", "-m", "http.server", Integer.toString(port), "--bind", "127.0.0.1",
                "--directory", served.toString()).redirectErrorStream(true).redirectOutput(root.resolve("http.log").toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    return true;
                } catch (IOException e) {
                    return false;
                }
            });
            String url = "http://127.0.0.1:" + port + "/large.bin";
            for (int run = 1; run <= 2; run++) {
                report("curl from python3 -m http.server to /dev/null", mib, curl(url, "/dev/null"));
                Path copy = root.resolve("curl-copy.bin");
                long started = System.nanoTime();
                curl(url, copy.toString());
                try (var channel = java.nio.channels.FileChannel.open(copy, java.nio.file.StandardOpenOption.WRITE)) {
                    channel.force(true);
                }
                report("curl from python3 -m http.server to a file, then fsync", mib, (System.nanoTime() - started) / 1e9);
                Files.delete(copy);
            }
        } finally {
            python.destroy();
            python.waitFor(10, TimeUnit.SECONDS);
        }

        try (DialoutFixture front = new DialoutFixture(root.resolve("link"), Duration.ofSeconds(10))) {
            Map<SpoolFileName, Path> arrived = new ConcurrentHashMap<>();
            DialoutSettings settings = new DialoutSettings(front.url(), null, Duration.ofSeconds(10), 4, null, null);
            DialoutClientLink back = new DialoutClientLink(BACK, FRONT, settings, DialoutFixture.keyringOf(BACK_KEYS),
                    root.resolve("link/back"), Clock.systemUTC());
            try {
                back.start(BACK, incoming -> arrived.put(incoming.name(), incoming.path()));
                await().atMost(Duration.ofSeconds(10)).until(back::connected);
                for (long seq = 1; seq <= 2; seq++) {
                    SpoolFileName name = DialoutFixture.name(FRONT, BACK, seq);
                    long started = System.nanoTime();
                    front.link.send(file, name);
                    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(5)).until(() -> arrived.containsKey(name));
                    double seconds = (System.nanoTime() - started) / 1e9;
                    if (Files.size(arrived.get(name)) != mib << 20) {
                        throw new AssertionError("the file arrived with " + Files.size(arrived.get(name)) + " bytes");
                    }
                    report("dial-out link: announce, GET, fsync, rename into the inbox", mib, seconds);
                    Files.delete(arrived.get(name));
                }
                for (long seq = 1; seq <= 2; seq++) {
                    SpoolFileName name = DialoutFixture.name(BACK, FRONT, seq);
                    long started = System.nanoTime();
                    back.send(file, name);
                    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(5)).until(() -> front.offered.contains(name));
                    report("dial-out link, other way: PUT, fsync, rename", mib, (System.nanoTime() - started) / 1e9);
                    Files.delete(front.dir.resolve("front/in/" + name));
                }
            } finally {
                back.close();
            }
        }
    }

    private static double curl(String url, String out) throws Exception {
        Process curl = new ProcessBuilder(List.of("curl", "-s", "-o", out, "-w", "%{time_total}", url)).start();
        String text = new String(curl.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        if (curl.waitFor() != 0) {
            throw new AssertionError("curl failed: " + text);
        }
        return Double.parseDouble(text);
    }

    private static void report(String what, long mib, double seconds) {
        System.out.printf("  %-60s %7.2f s  %8.1f MiB/s%n", what, seconds, mib / seconds);
    }

    private static void writeRandom(Path file, long size) throws IOException {
        SplittableRandom random = new SplittableRandom(42);
        ByteBuffer block = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0; written < size; written += block.capacity()) {
                block.clear();
                while (block.hasRemaining()) {
                    block.putLong(random.nextLong());
                }
                out.write(block.array(), 0, (int) Math.min(block.capacity(), size - written));
            }
        }
    }
}
