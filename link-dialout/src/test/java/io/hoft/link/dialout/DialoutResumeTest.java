package io.hoft.link.dialout;

import static io.hoft.link.dialout.DialoutFixture.BACK;
import static io.hoft.link.dialout.DialoutFixture.BACK_KEYS;
import static io.hoft.link.dialout.DialoutFixture.FRONT;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.spool.SpoolFileName;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dial-out transfers cut in the middle continue from the bytes that already arrived (SPEC.md
 * section 19.5): a fetch with a {@code Range} request validated by {@code If-Range}, an upload
 * by asking the front how much it holds ({@code HEAD}, {@code Upload-Offset}) and sending the
 * rest as {@code PUT} with {@code Content-Range}. A cutting, counting TCP forwarder between the
 * two ends shows that only the rest crossed the second time. Resume requests that do not fit
 * are refused with a clear status and change nothing.
 */
class DialoutResumeTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    private DialoutFixture front;
    private DialoutClientLink back;
    private FreezableForwarder forwarder;
    private final Map<SpoolFileName, Path> arrived = new ConcurrentHashMap<>();

    @AfterEach
    void stop() throws Exception {
        DialoutFixture.closeInOrder(back, forwarder, front);
    }

    private void startPair() throws Exception {
        front = new DialoutFixture(dir, Duration.ofSeconds(10));
        forwarder = new FreezableForwarder(front.port());
        back = new DialoutClientLink(BACK, FRONT, DialoutFixture.dialerSettings(URI.create("http://127.0.0.1:" + forwarder.port())), DialoutFixture.keyringOf(BACK_KEYS), dir.resolve("back"),
                Clock.systemUTC());
        back.start(BACK, file -> arrived.put(file.name(), file.path()));
        await().atMost(Duration.ofSeconds(10)).until(back::connected);
    }

    static Path randomFile(Path file, int size, long seed) throws Exception {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return Files.write(file, bytes);
    }

    @Test
    void aFetchCutMidwayContinuesFromTheBytesHeldAndOnlyTheRestCrossesAgain() throws Exception {
        startPair();
        int size = 12 * MIB;
        Path file = randomFile(dir.resolve("down"), size, 1);
        SpoolFileName name = DialoutFixture.name(FRONT, BACK, 1);
        forwarder.cutOnceAfterToClient(8 * MIB);
        front.link.send(file, name);

        await().atMost(Duration.ofSeconds(30)).until(() -> arrived.containsKey(name));
        assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(arrived.get(name)));
        assertEquals(1, forwarder.cuts.get());
        long second = front.link.fileBytesSent() - size; // the first answer was the whole file
        assertTrue(second > 0 && second <= size - 4 * MIB, "the second answer carried " + second + " bytes, not only the rest");
        assertTrue(forwarder.toClient.get() <= 8 * MIB + second + 256 * 1024,
                "bytes towards the dialer: " + forwarder.toClient.get() + " (8 MiB before the cut, then " + second + ")");
        assertEquals(List.of(), partialFiles("back")); // the partial file became the spool file
    }

    @Test
    void anUploadCutMidwayContinuesFromWhatTheFrontHoldsAndNoByteCrossesTwice() throws Exception {
        startPair();
        int size = 12 * MIB;
        Path file = randomFile(dir.resolve("up"), size, 2);
        SpoolFileName name = DialoutFixture.name(BACK, FRONT, 1);
        forwarder.cutOnceAfterToServer(8 * MIB);
        back.send(file, name);

        await().atMost(Duration.ofSeconds(30)).until(() -> front.offered.contains(name));
        assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(dir.resolve("front/in/" + name)));
        assertEquals(1, forwarder.cuts.get());
        // Every byte the front read was kept and not asked for again: it read the file exactly once.
        assertEquals(size, front.link.fileBytesReceived());
        assertTrue(forwarder.toServer.get() <= size + 64 * 1024, "bytes towards the front: " + forwarder.toServer.get());
        assertEquals(List.of(), partialFiles("front"));
        await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(dir.resolve("back/out/" + name)));
    }

    @Test
    void bytesHeldOfAnotherFileUnderTheSameNameAreNeverJoinedToIt() throws Exception {
        int size = 3 * MIB;
        SpoolFileName down = DialoutFixture.name(FRONT, BACK, 1);
        SpoolFileName up = DialoutFixture.name(BACK, FRONT, 1);
        // what an earlier file under each name left, under the tag of that file
        String earlier = "00000000000000000000000000000000";
        randomFile(Files.createDirectories(dir.resolve("back/partial")).resolve(down + "." + size + "." + earlier + ".part"), MIB, 5);
        randomFile(Files.createDirectories(dir.resolve("front/partial")).resolve(up + "." + size + "." + earlier + ".part"), MIB, 6);
        startPair();
        Path downFile = randomFile(dir.resolve("down"), size, 7);
        Path upFile = randomFile(dir.resolve("up"), size, 8);
        byte[] downBytes = Files.readAllBytes(downFile);
        front.link.send(downFile, down);
        back.send(upFile, up);

        await().atMost(Duration.ofSeconds(30)).until(() -> arrived.containsKey(down) && front.offered.contains(up));
        assertArrayEquals(downBytes, Files.readAllBytes(arrived.get(down)));
        assertArrayEquals(Files.readAllBytes(upFile), Files.readAllBytes(dir.resolve("front/in/" + up)));
        assertEquals(size, front.link.fileBytesSent(), "the fetch under the old tag got the whole file");
        assertEquals(size, front.link.fileBytesReceived(), "the upload started from its first byte");
        assertEquals(List.of(), partialFiles("back"));
        assertEquals(List.of(), partialFiles("front"));
    }

    @Test
    void resumeRequestsThatDoNotFitAreRefusedClearlyAndChangeNothing() throws Exception {
        front = new DialoutFixture(dir, Duration.ofSeconds(10));
        SpoolFileName down = DialoutFixture.name(FRONT, BACK, 1);
        Path file = randomFile(dir.resolve("down"), 1000, 3);
        front.link.send(file, down);
        SpoolFileName up = DialoutFixture.name(BACK, FRONT, 1);
        String tag = "0123456789abcdef0123456789abcdef";
        HttpClient http = HttpClient.newHttpClient();

        // A range past the end, several ranges, a range that stops early: 416 with the length.
        for (String range : List.of("bytes=1000-", "bytes=5000-6000", "bytes=0-10,20-", "bytes=10-20", "bytes=-0", "bytes=x-")) {
            HttpResponse<String> r = http.send(get(down).header("Range", range).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(416, r.statusCode(), range);
            assertEquals("bytes */1000", r.headers().firstValue("Content-Range").orElse(null), range);
        }
        // A range under another validator is not served: the whole file is.
        HttpResponse<byte[]> whole = http.send(get(down).header("Range", "bytes=500-").header("If-Range", "\"" + tag + "\"").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, whole.statusCode());
        assertArrayEquals(Files.readAllBytes(file), whole.body());
        // The same range under the file's own validator is.
        String etag = whole.headers().firstValue("ETag").orElseThrow();
        HttpResponse<byte[]> rest = http.send(get(down).header("Range", "bytes=500-").header("If-Range", etag).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(206, rest.statusCode());
        assertEquals("bytes 500-999/1000", rest.headers().firstValue("Content-Range").orElse(null));
        assertArrayEquals(java.util.Arrays.copyOfRange(Files.readAllBytes(file), 500, 1000), rest.body());

        // Uploads: a Content-Range that does not fit what the front holds, or is not one.
        byte[] body = new byte[500];
        assertEquals(416, put(http, up, "bytes 500-999/1000", tag, body).statusCode()); // nothing held: starts at 0
        assertEquals("0", put(http, up, "bytes 500-999/1000", tag, body).headers().firstValue("Upload-Offset").orElse(null));
        assertEquals(416, put(http, up, "bytes 0-499/1000", tag, body).statusCode()); // must run to the end
        assertEquals(416, put(http, up, "bytes 600-500/1000", tag, body).statusCode());
        assertEquals(416, put(http, up, "bytes=0-", tag, body).statusCode());
        assertEquals(400, put(http, up, "bytes 0-999/1000", tag, body).statusCode()); // Content-Length is not the range's
        assertEquals(400, put(http, up, "bytes 500-999/1000", null, body).statusCode()); // no validator
        assertEquals(400, put(http, up, "bytes 500-999/1000", "NOT-HEX", body).statusCode());
        assertEquals(413, put(http, up, "bytes 500-" + (5L << 30) + "/" + ((5L << 30) + 1), tag, body).statusCode());
        HttpResponse<String> post = http.send(request(up).header("Content-Range", "bytes 500-999/1000")
                .header("Hoft-Upload-Tag", tag).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, post.statusCode());
        // An offset query for a name that is not a spool file, or without a validator.
        HttpResponse<Void> notSpool = http.send(HttpRequest.newBuilder(URI.create(front.url() + DialoutServerLink.FILES + "../etc"))
                .header("Authorization", "Bearer " + token()).header("Hoft-Upload-Tag", tag)
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(404, notSpool.statusCode());
        assertEquals(400, head(http, up, null).statusCode());
        assertEquals("0", head(http, up, tag).headers().firstValue("Upload-Offset").orElse(null));
        // A resume of another node's file is refused before its body is read.
        assertEquals(403, put(http, DialoutFixture.name(DialoutFixture.OTHER, FRONT, 1), "bytes 500-999/1000", tag, body)
                .statusCode());

        assertEquals(List.of(), partialFiles("front"));
        try (Stream<Path> in = Files.list(dir.resolve("front/in"))) {
            assertEquals(0, in.count());
        }
        assertEquals(List.of(), front.offered);
        assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(dir.resolve("front/held/" + down)));

        // and a proper start, then the rest, under one validator, makes the file
        assertEquals(400, put(http, up, "bytes 0-999/1000", tag, new byte[400]).statusCode()); // Content-Length says 400
        byte[] content = Files.readAllBytes(file);
        assertEquals(201, put(http, up, "bytes 0-999/1000", tag, content).statusCode());
        assertArrayEquals(content, Files.readAllBytes(dir.resolve("front/in/" + up)));
    }

    private String token() {
        return LinkToken.issue(DialoutFixture.keyringOf(BACK_KEYS), FRONT, Instant.now(), LinkToken.LIFETIME);
    }

    private HttpRequest.Builder request(SpoolFileName name) {
        return HttpRequest.newBuilder(URI.create(front.url() + DialoutServerLink.FILES + name))
                .header("Authorization", "Bearer " + token());
    }

    private HttpRequest.Builder get(SpoolFileName name) {
        return request(name).GET();
    }

    private HttpResponse<String> put(HttpClient http, SpoolFileName name, String contentRange, String tag, byte[] body)
            throws Exception {
        HttpRequest.Builder builder = request(name).header("Content-Range", contentRange)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body));
        if (tag != null) {
            builder.header("Hoft-Upload-Tag", tag);
        }
        return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<Void> head(HttpClient http, SpoolFileName name, String tag) throws Exception {
        HttpRequest.Builder builder = request(name).method("HEAD", HttpRequest.BodyPublishers.noBody());
        if (tag != null) {
            builder.header("Hoft-Upload-Tag", tag);
        }
        return http.send(builder.build(), HttpResponse.BodyHandlers.discarding());
    }

    private List<Path> partialFiles(String node) throws Exception {
        Path folder = dir.resolve(node + "/partial");
        if (!Files.exists(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.toList();
        }
    }
}
