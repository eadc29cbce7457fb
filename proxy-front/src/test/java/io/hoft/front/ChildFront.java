package io.hoft.front;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** A {@link FrontProcess} started by a test, with a heap limit, its output in a log file. */
final class ChildFront implements AutoCloseable {
    private final Process process;
    private final Path log;
    final int port;

    private ChildFront(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    static ChildFront start(Path root, String maxHeap, String name) throws IOException {
        Path portFile = root.resolve(name + ".port");
        Files.deleteIfExists(portFile);
        Path log = root.resolve(name + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx" + maxHeap, "-XX:+ExitOnOutOfMemoryError", "-cp",
                System.getProperty("java.class.path"), FrontProcess.class.getName(), root.resolve("front.yaml").toString(),
                portFile.toString());
        builder.redirectErrorStream(true);
        builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process process = builder.start();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> Files.exists(portFile) || !process.isAlive());
        if (!process.isAlive()) {
            throw new IllegalStateException("the front process died; see " + log + ":\n" + Files.readString(log));
        }
        return new ChildFront(process, log, Integer.parseInt(Files.readString(portFile).trim()));
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    java.net.URI uri(String path) {
        return java.net.URI.create("http://127.0.0.1:" + port + path);
    }

    boolean alive() {
        return process.isAlive();
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    /** SIGKILL: no shutdown hook, no drain. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            kill();
        }
    }
}
