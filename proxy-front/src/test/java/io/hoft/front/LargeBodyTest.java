package io.hoft.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.channel.ChannelConfig;
import io.hoft.transport.message.HeaderField;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A large body each way through a front whose heap is far smaller than the body: streamed from
 * the caller into a body file, fragmented into spool files, and the response reassembled and
 * streamed back. 64 MiB in a 64 MiB heap by default; 1 GiB with {@code -Dhoft.long=true}.
 */
class LargeBodyTest {
    @TempDir
    Path root;

    @Test
    void aBodyManyTimesTheHeapGoesThroughEachWay() throws Exception {
        long size = Boolean.getBoolean("hoft.long") ? 1L << 30 : 64L << 20;
        FrontFixture fixture = FrontFixture.in(root)
                .front("limits: {maxBody: 2GiB}", "sync: {defaultWait: 10m, maxWait: 10m}")
                .channel("maxFileSize: 16MiB")
                .back(ChannelConfig.DEFAULT.withFastTimers().toBuilder().maxFileBytesAndCollation(16L << 20).build())
                .prepare();
        fixture.startBack();
        long[] marks = new long[2]; // when the back had the whole request, when the upload ended
        fixture.back.respondWith((call, back) -> {
            marks[0] = System.nanoTime();
            back.replyLarge(call, List.of(
                    new HeaderField("Content-Type", "application/octet-stream"),
                    new HeaderField("X-Received-Sha256", call.bodySha256()),
                    new HeaderField("X-Received-Length", Long.toString(call.bodyLength()))), size, 2);
        });
        ChildFront front = ChildFront.start(root, "64m", "front");
        try (RawHttp http = new RawHttp(front.address())) {
            long start = System.nanoTime();
            http.send("PUT /big HTTP/1.1\r\nHost: h\r\nContent-Type: application/octet-stream\r\nContent-Length: " + size + "\r\n\r\n");
            http.send(new PatternStream(size, 1));
            marks[1] = System.nanoTime();
            RawHttp.Response r = http.readHashed(false);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("%d MiB each way through a 64 MiB front: uploaded at %.1f s, at the back at %.1f s, answered at"
                    + " %.1f s%n", size >> 20, (marks[1] - start) / 1e9, (marks[0] - start) / 1e9, seconds);
            assertEquals(200, r.status(), front.log());
            assertEquals(Long.toString(size), r.header("X-Received-Length"));
            assertEquals(PatternStream.sha256(size, 1), r.header("X-Received-Sha256"), "the back got the caller's bytes");
            assertEquals(size, r.bodyLength());
            assertEquals(PatternStream.sha256(size, 2), r.bodySha256(), "the caller got the callee's bytes");
            assertTrue(front.alive());
            assertFalse(front.log().contains("OutOfMemoryError"));
        } finally {
            front.close();
            fixture.back.close();
        }
    }
}
