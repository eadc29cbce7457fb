package io.hoft.link.dialout;

import static io.hoft.link.dialout.DialoutFixture.BACK;
import static io.hoft.link.dialout.DialoutFixture.BACK_KEYS;
import static io.hoft.link.dialout.DialoutFixture.FRONT;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.spool.SpoolFileName;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Partial files are bounded: one nobody continued for an hour is removed by the periodic sweep
 * (unless a transfer is writing it), a dialing node can leave at most 16 partial uploads on the
 * front, and a file written anew under the same name gets another validator.
 */
class PartialFilesTest {
    @TempDir
    Path dir;

    @Test
    void aPartialFileNobodyContinuedForAnHourIsRemovedAndOthersAreKept() throws Exception {
        PartialFiles partials = new PartialFiles(dir.resolve("partial"));
        Instant now = Instant.now();
        SpoolFileName old = DialoutFixture.name(FRONT, BACK, 1);
        SpoolFileName busy = DialoutFixture.name(FRONT, BACK, 2);
        SpoolFileName fresh = DialoutFixture.name(FRONT, BACK, 3);
        String tag = "0123456789abcdef";
        for (SpoolFileName name : new SpoolFileName[] {old, busy}) {
            Files.setLastModifiedTime(partials.create(name, 100, tag), FileTime.from(now.minus(Duration.ofMinutes(61))));
        }
        partials.create(fresh, 100, tag);
        Files.writeString(dir.resolve("partial/stray"), "not a partial file");
        assertTrue(partials.claim(busy));

        assertEquals(2, partials.removeStale(now)); // the old one and the stray file
        assertFalse(partials.find(old).isPresent());
        assertTrue(partials.find(busy).isPresent());
        assertTrue(partials.find(fresh).isPresent());
        partials.release(busy);
        assertEquals(1, partials.removeStale(now));
    }

    @Test
    void aFileWrittenAnewUnderTheSameNameGetsAnotherValidator() throws Exception {
        Path file = Files.writeString(dir.resolve(DialoutFixture.name(FRONT, BACK, 1).toString()), "first");
        String first = PartialFiles.tagOf(file);
        Path link = dir.resolve("link");
        Files.createLink(link, file);
        assertNotEquals(first, PartialFiles.tagOf(link), "another name");
        Path rewritten = Files.writeString(dir.resolve("tmp"), "first");
        Files.move(rewritten, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertNotEquals(first, PartialFiles.tagOf(file), "another file under the name");
        assertTrue(PartialFiles.TAG.matcher(first).matches());
    }

    @Test
    void aDialingNodeLeavesAtMostSixteenPartialUploadsOnTheFront() throws Exception {
        try (DialoutFixture front = new DialoutFixture(dir, Duration.ofSeconds(10))) {
            String token = LinkToken.issue(DialoutFixture.keyringOf(BACK_KEYS), FRONT, Instant.now(), LinkToken.LIFETIME);
            int started = UploadReceiver.MAX_PARTIAL_UPLOADS + 4;
            for (int i = 1; i <= started; i++) {
                SpoolFileName name = DialoutFixture.name(BACK, FRONT, i);
                // a resumable upload of 1000 bytes that stops after 10, its connection closed
                try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), front.port())) {
                    OutputStream out = socket.getOutputStream();
                    out.write(("PUT " + DialoutServerLink.FILES + name + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                            + "\r\nContent-Range: bytes 0-999/1000\r\nContent-Length: 1000\r\nHoft-Upload-Tag: 0123456789abcdef\r\n\r\n"
                            + "0123456789").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                int count = i;
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(() -> front.link.fileBytesReceived() == 10L * count
                        && !front.link.uploading(name));
            }
            try (var files = Files.list(dir.resolve("front/partial"))) {
                List<String> kept = files.map(p -> p.getFileName().toString()).sorted().toList();
                assertEquals(UploadReceiver.MAX_PARTIAL_UPLOADS, kept.size());
                assertTrue(kept.get(0).startsWith(DialoutFixture.name(BACK, FRONT, started - 15).toString()), "the newest are kept: " + kept);
            }
            try (var in = Files.list(dir.resolve("front/in"))) {
                assertEquals(0, in.count());
            }
        }
    }
}
