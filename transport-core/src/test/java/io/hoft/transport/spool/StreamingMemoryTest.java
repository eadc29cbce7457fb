package io.hoft.transport.spool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The codec streams: a 300 MiB body is encoded and decoded in a JVM whose heap is capped at
 * 64 MiB. The cap must be real, so the work runs in a child JVM ({@link StreamingMemoryCheck})
 * started with {@code -Xmx64m} on this test's classpath. The body is split by {@link Fragmenter}
 * at the default maximum file size of 256 MiB, so it crosses as two signed, encrypted fragment
 * files, which are decoded in reverse order into one file ({@link FragmentedBody}); the
 * SHA-256 of the reassembled body must equal that of the generated one. Runs in the default suite, so in CI.
 */
class StreamingMemoryTest {
    private static final int BODY_MIB = 300;
    private static final int HEAP_MIB = 64;

    @TempDir
    Path dir;

    @Test
    void aBodyOf300MebibytesIsEncodedAndDecodedInA64MebibyteHeap() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path log = dir.resolve("child.log");
        Path work = Files.createDirectory(dir.resolve("work"));
        Process child = new ProcessBuilder(List.of(java.toString(), "-Xmx" + HEAP_MIB + "m",
                        "-cp", System.getProperty("java.class.path"),
                        StreamingMemoryCheck.class.getName(), work.toString(), Integer.toString(BODY_MIB)))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        if (!child.waitFor(150, TimeUnit.SECONDS)) {
            child.destroyForcibly().waitFor();
            fail("child JVM did not finish in 150 s:\n" + Files.readString(log, StandardCharsets.UTF_8));
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, child.exitValue(), output);
        Matcher heap = Pattern.compile("max heap (\\d+) MiB").matcher(output);
        assertTrue(heap.find() && Integer.parseInt(heap.group(1)) <= HEAP_MIB, "the child's heap was not capped:\n" + output);
        assertTrue(output.contains("encoded 2 files"), output);
        assertTrue(output.contains("sha256 match"), output);
        System.out.print(output);
    }
}
