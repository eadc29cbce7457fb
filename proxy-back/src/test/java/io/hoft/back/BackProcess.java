package io.hoft.back;

import java.nio.file.Path;
import java.util.Map;

/** A back in its own JVM, for tests that kill it or bound its heap: {@code BackProcess CONFIG}. Runs until killed. */
public final class BackProcess {
    private BackProcess() {}

    public static void main(String[] args) throws Exception {
        BackNode back = BackNode.start(BackConfig.load(Path.of(args[0]), Map.of()));
        System.out.println("back started as " + back.nodeId());
        Thread.sleep(Long.MAX_VALUE);
    }

    /** Starts {@code BackProcess config} with this heap limit, output appended to {@code log}. */
    static Process start(Path config, String maxHeap, Path log) throws java.io.IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx" + maxHeap, "-XX:+ExitOnOutOfMemoryError",
                "-cp", System.getProperty("java.class.path"), BackProcess.class.getName(), config.toString());
        builder.redirectErrorStream(true);
        builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        return builder.start();
    }
}
