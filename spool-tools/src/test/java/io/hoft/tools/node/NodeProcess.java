package io.hoft.tools.node;

import static org.awaitility.Awaitility.await;

import io.hoft.tools.Main;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code hoft front --config F} or {@code hoft back --config F} in a child JVM, as bin/hoft runs
 * it ({@code java -cp ... io.hoft.tools.Main}), with this test JVM's class path (in a reactor
 * build: every module's target/classes). Its stderr and stdout go to a log file that is
 * appended to across restarts, so one file tells the whole story of a node.
 */
final class NodeProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    final String role;
    final Process process;
    final Path log;
    private final long logStart;

    private NodeProcess(String role, Process process, Path log, long logStart) {
        this.role = role;
        this.process = process;
        this.log = log;
        this.logStart = logStart;
    }

    /** Starts {@code hoft ROLE --config CONFIG}; {@code env} is added to an environment without HOFT_ variables. */
    static NodeProcess start(String role, Path config, Path log, Map<String, String> env) throws IOException {
        return hoft(log, env, role, "--config", config.toString());
    }

    /** Starts {@code hoft ARGS...} (the first argument names the command). */
    static NodeProcess hoft(Path log, Map<String, String> env, String... args) throws IOException {
        String role = args[0];
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java, "-Xmx128m", "-XX:+ExitOnOutOfMemoryError",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        // an inherited HOFT_ variable would be read as a config override (or refused as an unknown key)
        builder.environment().keySet().removeIf(name -> name.startsWith("HOFT_"));
        builder.environment().putAll(env);
        builder.redirectErrorStream(true);
        builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        long logStart = Files.exists(log) ? Files.size(log) : 0;
        return new NodeProcess(role, builder.start(), log, logStart);
    }

    /** Waits until the front answers {@code /_hoft/health} (or fails with its log if it died). */
    NodeProcess awaitHealthy(int port) {
        URI health = URI.create("http://127.0.0.1:" + port + "/_hoft/health");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            checkAlive();
            try {
                return HTTP.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        });
        return this;
    }

    /** Waits until this run of the node logged {@code text} (the back has no port to ask). */
    NodeProcess awaitLog(String text) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            checkAlive();
            return thisRunsLog().contains(text);
        });
        return this;
    }

    private void checkAlive() throws IOException {
        if (!process.isAlive()) {
            throw new AssertionError("hoft " + role + " exited with " + process.exitValue() + ":\n" + thisRunsLog());
        }
    }

    /** What this run of the node printed so far. */
    String thisRunsLog() throws IOException {
        byte[] all = Files.readAllBytes(log);
        return new String(all, (int) Math.min(logStart, all.length), (int) Math.max(0, all.length - logStart),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    long pid() {
        return process.pid();
    }

    /** SIGKILL: no shutdown hook, no drain, nothing flushed. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("hoft " + role + " survived SIGKILL");
        }
    }

    /** Sends SIGTERM (what a service manager sends), without waiting. */
    void term() throws IOException, InterruptedException {
        Process kill = new ProcessBuilder(List.of("kill", "-TERM", Long.toString(process.pid()))).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new AssertionError("kill -TERM " + process.pid() + " failed");
        }
    }

    /** Waits for the process to exit and returns its exit code. */
    int awaitExit(Duration atMost) throws InterruptedException, IOException {
        if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("hoft " + role + " did not exit within " + atMost + ":\n" + thisRunsLog());
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }

    /** A port that was free a moment ago (the node binds it itself; a clash shows as a failed start). */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }
}
