package io.hoft.distribution;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The release archive unpacked into a folder of its own, and its {@code bin/hoft} run as an
 * operator runs it, with the build out of reach: the working folder is the test's, the
 * environment holds only {@code PATH} (the system's and the test JVM's java), {@code HOME} (an
 * empty folder: no Maven settings, no local repository) and {@code JAVA_HOME}; no class path,
 * no Maven, no source tree.
 */
final class Release {
    static final Path ARCHIVE = Path.of(System.getProperty("hoft.archive", "target/hoft-archive-missing.tar.gz"));
    static final String VERSION = System.getProperty("hoft.version", "unknown");

    final Path home;
    private final Path work;

    private Release(Path home, Path work) {
        this.home = home;
        this.work = work;
    }

    /** Unpacks the archive under {@code dir} (with tar, as an operator would); {@code dir} is also the working folder. */
    static Release unpack(Path dir) throws IOException, InterruptedException {
        if (!Files.isRegularFile(ARCHIVE)) {
            throw new AssertionError(ARCHIVE + " is missing: the package phase writes it (mvn package or verify)");
        }
        Files.createDirectories(dir);
        Path copy = Files.copy(ARCHIVE, dir.resolve(ARCHIVE.getFileName()));
        Process tar = new ProcessBuilder("tar", "-xzf", copy.getFileName().toString()).directory(dir.toFile())
                .redirectErrorStream(true).start();
        String out = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (tar.waitFor() != 0) {
            throw new AssertionError("tar -xzf failed: " + out);
        }
        Files.delete(copy);
        return new Release(dir.resolve("hoft-" + VERSION), dir);
    }

    /** What a finished command printed. */
    record Result(int exit, String output) {}

    /** Runs {@code bin/hoft ARGS} to its end (at most {@code atMost}); stdout and stderr together. */
    Result run(Duration atMost, Object... args) throws IOException, InterruptedException {
        Path log = Files.createTempFile(work, "hoft-", ".log");
        Process process = start(log, Map.of(), args);
        if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("hoft " + List.of(args) + " did not end within " + atMost + ":\n" + Files.readString(log));
        }
        return new Result(process.exitValue(), Files.readString(log));
    }

    /** Runs {@code bin/hoft ARGS} and insists on exit 0; returns what it printed. */
    String ok(Object... args) throws IOException, InterruptedException {
        Result result = run(Duration.ofSeconds(60), args);
        if (result.exit() != 0) {
            throw new AssertionError("hoft " + List.of(args) + " exited " + result.exit() + ":\n" + result.output());
        }
        return result.output();
    }

    /** Starts {@code bin/hoft ARGS} in the background, its output appended to {@code log}. */
    Process start(Path log, Map<String, String> env, Object... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(home.resolve("bin/hoft").toString());
        for (Object arg : args) {
            command.add(arg.toString());
        }
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> environment = builder.environment();
        environment.clear();
        Path javaHome = Path.of(System.getProperty("java.home"));
        environment.put("PATH", javaHome.resolve("bin") + ":/usr/bin:/bin");
        environment.put("JAVA_HOME", javaHome.toString());
        environment.put("HOME", work.toString());
        environment.put("JAVA_OPTS", "-Xmx160m -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError");
        environment.putAll(env);
        return builder.start();
    }

    /** A node run from this release; stopped (SIGTERM, then SIGKILL) on close. */
    final class Node implements AutoCloseable {
        final Process process;
        final Path log;
        private final long logStart;

        Node(String role, Path config, Path log) throws IOException {
            this.log = log;
            this.logStart = Files.exists(log) ? Files.size(log) : 0;
            this.process = start(log, Map.of("HOFT_LOG_LEVEL", "INFO"), role, "--config", config);
        }

        /** Waits until this run of the node logged {@code text} (it fails with the log if the node died). */
        Node awaitLog(String text) {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
                if (!process.isAlive()) {
                    throw new AssertionError("the node exited with " + process.exitValue() + ":\n" + Files.readString(log));
                }
                byte[] all = Files.readAllBytes(log);
                return new String(all, (int) logStart, all.length - (int) logStart, StandardCharsets.UTF_8).contains(text);
            });
            return this;
        }

        /** SIGTERM and the exit code once it drained. */
        int stop() throws IOException, InterruptedException {
            process.destroy(); // SIGTERM
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError("the node did not stop on SIGTERM:\n" + Files.readString(log));
            }
            return process.exitValue();
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
            }
        }
    }
}
