package io.hoft.transport.spool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hoft.transport.message.HeaderField;
import io.hoft.transport.testing.Codec;
import io.hoft.transport.testing.TestNodes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmokeTest {
    @TempDir
    Path dir;

    @Test
    void oneRequestRoundTripsInEveryMode() throws Exception {
        for (FileMode mode : FileMode.values()) {
            for (TestNodes.Keys keys : TestNodes.Keys.values()) {
                Codec codec = new Codec(mode, keys);
                byte[] body = "hello".getBytes(StandardCharsets.UTF_8);
                Path sub = java.nio.file.Files.createTempDirectory(dir, mode.name());
                Path file = codec.write(sub, codec.request(body, new HeaderField("X-A", "1")));
                System.out.println(mode + " " + keys + " " + file.getFileName() + " " + java.nio.file.Files.size(file));
                Codec.Decoded decoded = codec.read(file);
                assertEquals(1, decoded.frames().size());
                assertArrayEquals(body, decoded.frames().get(0).body());
            }
        }
    }
}
