package io.hoft.transport.testing;

import io.hoft.transport.spool.Digests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Keeps malformed inputs as fuzzing seeds when {@code -Dhoft.fuzz.seeds=DIR} is set (see
 * README, "Fuzzing"): MalformedInputTest run that way writes every file it forges into the
 * seed corpus of SpoolFileReaderFuzzTest. Without the property it does nothing.
 */
public final class FuzzSeeds {
    private FuzzSeeds() {}

    public static void keep(String prefix, byte[] input) {
        String dir = System.getProperty("hoft.fuzz.seeds");
        if (dir == null || dir.isEmpty()) {
            return;
        }
        try {
            Path folder = Files.createDirectories(Path.of(dir));
            Files.write(folder.resolve(prefix + "-" + Digests.hex(Digests.sha256(input)).substring(0, 16)), input);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
