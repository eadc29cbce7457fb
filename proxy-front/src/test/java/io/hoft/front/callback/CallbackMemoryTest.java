package io.hoft.front.callback;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.front.callback.ScriptedReceiver.Received;
import io.hoft.transport.fs.Disk;
import io.hoft.transport.store.BodyFiles;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 96 MiB body delivered as a JSON callback by a dispatcher whose JVM has a 32 MiB heap: the
 * body file is checked, signed and sent as streams, never held. The receiver streams too, and
 * checks the signature and the exact envelope bytes (built here independently: the text has
 * no character to escape but newline).
 */
class CallbackMemoryTest {
    private static final int BODY_MIB = 96;

    @TempDir
    Path root;

    @Test
    void aBodyThreeTimesTheHeapIsDeliveredAsJsonWithAValidSignature() throws Exception {
        BodyFiles bodies = new BodyFiles(root.resolve("state/bodies"), Disk.REAL);
        Path body = bodies.newPath();
        MessageDigest expected = MessageDigest.getInstance("SHA-256");
        String prefix = "{\"id\":\"BIG\",\"status\":\"responded\",\"response\":{\"status\":200,\"headers\":"
                + "[[\"Content-Type\",\"text/plain\"]],\"body\":\"";
        expected.update(prefix.getBytes(StandardCharsets.UTF_8));
        long expectedLength = prefix.length();
        byte[] line = "gr\u00fc\u00dfe aus dem Netz hinter dem Luftspalt, Zeile f\u00fcr Zeile\n".getBytes(StandardCharsets.UTF_8);
        byte[] escapedLine = "gr\u00fc\u00dfe aus dem Netz hinter dem Luftspalt, Zeile f\u00fcr Zeile\\n".getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(body))) {
            for (long written = 0; written < BODY_MIB << 20; written += line.length) {
                out.write(line);
                expected.update(escapedLine);
                expectedLength += escapedLine.length;
            }
        }
        String suffix = "\",\"bodyEncoding\":\"utf-8\"}}";
        expected.update(suffix.getBytes(StandardCharsets.UTF_8));
        expectedLength += suffix.length();

        try (ScriptedReceiver receiver = new ScriptedReceiver().streamBodies(DispatcherProcess.settings().webhooks())) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process process = new ProcessBuilder(java, "-Xmx32m", "-cp", System.getProperty("java.class.path"),
                    DispatcherProcess.class.getName(), root.toString(), receiver.url("/big").toString(), "0",
                    body.getFileName().toString())
                    .redirectErrorStream(true)
                    .redirectOutput(root.resolve("dispatcher.log").toFile())
                    .start();
            boolean exited = process.waitFor(120, TimeUnit.SECONDS);
            if (!exited) {
                process.destroyForcibly();
            }
            String log = Files.readString(root.resolve("dispatcher.log"));
            assertTrue(exited && process.exitValue() == 0, "dispatcher failed:\n" + log);
            assertTrue(log.contains("BIG delivered after 1 attempts"), log);
            assertEquals(1, receiver.count(), log);
            Received request = receiver.received().get(0);
            assertEquals(Boolean.TRUE, request.signatureValid());
            assertEquals(expectedLength, request.bodyLength());
            assertEquals(HexFormat.of().formatHex(expected.digest()), request.sha256());
        }
    }
}
