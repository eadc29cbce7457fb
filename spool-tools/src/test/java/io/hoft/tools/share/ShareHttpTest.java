package io.hoft.tools.share;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hoft.share.ShareProtocol;
import io.hoft.transport.config.NodeRuntime;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP semantics of {@code /_hoft/files/{path}} (Range, validators, conditional requests,
 * HEAD) and path confinement (traversal spellings, symbolic links out of the folder), on one
 * chain shared by the tests of this class.
 */
class ShareHttpTest {
    @TempDir
    static Path dir;
    static ShareChain chain;
    static byte[] content;
    static Path outside;

    @BeforeAll
    static void start() throws Exception {
        chain = new ShareChain(dir, Map.of(), Map.of());
        ShareChain.writeFile(chain.shared.resolve("data.bin"), 100_000, 7);
        content = Files.readAllBytes(chain.shared.resolve("data.bin"));
        ShareChain.writeFile(chain.shared.resolve("head.bin"), 5000, 8);
        ShareChain.writeFile(chain.shared.resolve("uncached.bin"), 300_000, 9);
        ShareChain.writeFile(chain.shared.resolve("middle.bin"), 600_000, 10);
        outside = Files.writeString(dir.resolve("secret.txt"), "secret outside the published folder");
        Files.createSymbolicLink(chain.shared.resolve("escape.txt"), outside);
        Files.createSymbolicLink(chain.shared.resolve("escape-dir"), dir);
        Files.createSymbolicLink(chain.shared.resolve("inside-link.bin"), chain.shared.resolve("head.bin"));
        chain.start();
        await().atMost(ShareChain.WAIT).until(() -> chain.catalog().contains("docs/uncached.bin"));
    }

    @AfterAll
    static void stop() throws Exception {
        chain.close();
    }

    static HttpResponse<byte[]> get(String target, String... headers) throws Exception {
        HttpRequest.Builder request = chain.request(target);
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return chain.send(request);
    }

    static String header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    @Test
    void aWholeFileCarriesValidatorsAndTheSameBytes() throws Exception {
        HttpResponse<byte[]> whole = get("/_hoft/files/docs/data.bin");
        assertEquals(200, whole.statusCode());
        assertArrayEquals(content, whole.body());
        assertEquals("bytes", header(whole, "Accept-Ranges"));
        assertTrue(header(whole, "ETag").matches("\"[0-9a-f]{64}\""), header(whole, "ETag"));
        assertTrue(header(whole, "Last-Modified").endsWith(" GMT"));
        JsonNode files = ShareChain.JSON.readTree(get("/_hoft/files", "Accept", "application/json").body()).path("files");
        for (JsonNode file : files) {
            if (file.path("path").asText().equals("docs/data.bin")) {
                assertEquals(100_000, file.path("size").asLong());
                assertEquals("\"" + file.path("sha256").asText() + "\"", header(whole, "ETag"));
            }
        }
    }

    @Test
    void aRangeInTheMiddleOfAnUncachedFileIsAskedForFirstOverChunkMessagesAndTheWholeFileFollows() throws Exception {
        byte[] all = Files.readAllBytes(chain.shared.resolve("middle.bin"));
        HttpResponse<byte[]> middle = get("/_hoft/files/docs/middle.bin", "Range", "bytes=400000-400999");
        assertEquals(206, middle.statusCode());
        assertArrayEquals(Arrays.copyOfRange(all, 400_000, 401_000), middle.body());
        assertArrayEquals(all, get("/_hoft/files/docs/middle.bin").body(), "the rest came too, before and after the range");
    }

    @Test
    void rangesAnswer206AndUnsatisfiableOnes416() throws Exception {
        for (String cached : List.of("uncached.bin", "data.bin")) {
            byte[] all = Files.readAllBytes(chain.shared.resolve(cached));
            String target = "/_hoft/files/docs/" + cached;
            HttpResponse<byte[]> first = get(target, "Range", "bytes=0-9");
            assertEquals(206, first.statusCode());
            assertEquals("bytes 0-9/" + all.length, header(first, "Content-Range"));
            assertArrayEquals(Arrays.copyOfRange(all, 0, 10), first.body());

            HttpResponse<byte[]> middle = get(target, "Range", "bytes=1000-1999");
            assertArrayEquals(Arrays.copyOfRange(all, 1000, 2000), middle.body());

            HttpResponse<byte[]> suffix = get(target, "Range", "bytes=-10");
            assertEquals(206, suffix.statusCode());
            assertEquals("bytes " + (all.length - 10) + "-" + (all.length - 1) + "/" + all.length, header(suffix, "Content-Range"));
            assertArrayEquals(Arrays.copyOfRange(all, all.length - 10, all.length), suffix.body());

            HttpResponse<byte[]> open = get(target, "Range", "bytes=99990-");
            assertArrayEquals(Arrays.copyOfRange(all, 99990, all.length), open.body());

            HttpResponse<byte[]> past = get(target, "Range", "bytes=" + all.length + "-");
            assertEquals(416, past.statusCode());
            assertEquals("bytes */" + all.length, header(past, "Content-Range"));

            HttpResponse<byte[]> several = get(target, "Range", "bytes=0-1,5-6");
            assertEquals(200, several.statusCode()); // several ranges: the whole file
            assertArrayEquals(all, several.body());
        }
    }

    @Test
    void conditionalRequestsUseETagAndLastModified() throws Exception {
        HttpResponse<byte[]> whole = get("/_hoft/files/docs/data.bin");
        String etag = header(whole, "ETag");
        String lastModified = header(whole, "Last-Modified");

        HttpResponse<byte[]> same = get("/_hoft/files/docs/data.bin", "If-None-Match", etag);
        assertEquals(304, same.statusCode());
        assertEquals(0, same.body().length);
        assertEquals(etag, header(same, "ETag"));
        assertEquals(304, get("/_hoft/files/docs/data.bin", "If-None-Match", "\"other\", W/" + etag).statusCode());
        assertEquals(200, get("/_hoft/files/docs/data.bin", "If-None-Match", "\"other\"").statusCode());
        assertEquals(304, get("/_hoft/files/docs/data.bin", "If-Modified-Since", lastModified).statusCode());
        assertEquals(200, get("/_hoft/files/docs/data.bin", "If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT").statusCode());

        HttpResponse<byte[]> ranged = get("/_hoft/files/docs/data.bin", "Range", "bytes=0-3", "If-Range", etag);
        assertEquals(206, ranged.statusCode());
        assertEquals(4, ranged.body().length);
        HttpResponse<byte[]> byDate = get("/_hoft/files/docs/data.bin", "Range", "bytes=0-3", "If-Range", lastModified);
        assertEquals(206, byDate.statusCode());
        HttpResponse<byte[]> stale = get("/_hoft/files/docs/data.bin", "Range", "bytes=0-3", "If-Range", "\"stale\"");
        assertEquals(200, stale.statusCode());
        assertArrayEquals(content, stale.body());
        HttpResponse<byte[]> weak = get("/_hoft/files/docs/data.bin", "Range", "bytes=0-3", "If-Range", "W/" + etag);
        assertEquals(200, weak.statusCode()); // If-Range needs a strong match
    }

    @Test
    void headAnswersTheHeadersWithoutFetchingTheFile() throws Exception {
        long before = chain.frontMetric("hoft_front_share_transfers_total");
        HttpResponse<byte[]> head = chain.send(chain.request("/_hoft/files/docs/head.bin").method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertEquals(200, head.statusCode());
        assertEquals("5000", header(head, "Content-Length"));
        assertTrue(header(head, "ETag") != null && header(head, "Last-Modified") != null);
        assertEquals(0, head.body().length);
        assertEquals(before, chain.frontMetric("hoft_front_share_transfers_total"));
    }

    @Test
    void traversalAndOtherForeignPathsAreRefused() throws Exception {
        List<String> attempts = List.of(
                "/_hoft/files/../secret.txt",
                "/_hoft/files/docs/../../secret.txt",
                "/_hoft/files/docs/../docs/data.bin",
                "/_hoft/files/docs/./data.bin",
                "/_hoft/files/%2e%2e/secret.txt",
                "/_hoft/files/docs/%2e%2e/%2e%2e/secret.txt",
                "/_hoft/files/docs/%2E%2E%2Fsecret.txt",
                "/_hoft/files/docs%2f..%2f..%2fsecret.txt",
                "/_hoft/files/docs/..%5c..%5csecret.txt",
                "/_hoft/files/docs\\..\\..\\secret.txt",
                "/_hoft/files//etc/passwd",
                "/_hoft/files/%2fetc%2fpasswd",
                "/_hoft/files/" + outside.toString().substring(1),
                "/_hoft/files/docs/data.bin%00.txt",
                "/_hoft/files/docs/%00",
                "/_hoft/files/docs//data.bin",
                "/_hoft/files/docs/escape.txt",
                "/_hoft/files/docs/escape-dir/secret.txt",
                "/_hoft/files/docs/%c0%ae%c0%ae/secret.txt",
                "/_hoft/files/docs/%252e%252e/secret.txt",
                "/_hoft/files/C:/windows/win.ini",
                "/_hoft/files/docs/%ZZ",
                "/_hoft/files/docs");
        for (String target : attempts) {
            int status = chain.rawStatus(target);
            assertTrue(status == 400 || status == 404, target + " answered " + status);
        }
        List<String> catalog = chain.catalog();
        assertFalse(catalog.contains("docs/escape.txt"), "a link out of the folder is not published");
        assertTrue(catalog.stream().noneMatch(p -> p.contains("secret")), catalog.toString());
        assertTrue(catalog.contains("docs/inside-link.bin"), "a link inside the folder is published");
        assertEquals(200, chain.rawStatus("/_hoft/files/docs/inside-link.bin"));
        assertNotEquals(0, chain.frontMetric("hoft_front_share_refused_total"));
    }

    @Test
    void theBackRefusesForeignPathsEvenInRequestsFromItsOwnFront() throws Exception {
        List<String> targets = List.of("/files/docs/../secret.txt", "/files/../secret.txt", "/files/docs/%2e%2e/secret.txt",
                "/files/docs/..%2f..%2fsecret.txt", "/files//etc/passwd", "/files/%2Fetc%2Fpasswd", "/files/docs/escape.txt",
                "/files/docs/escape-dir/secret.txt", "/files/docs/x%00", "/catalog/../files/docs/data.bin", "/other");
        long before = chain.backMetric("hoft_back_share_refused_total");
        long uploadsBefore = chain.backMetric("hoft_back_share_uploads_total");
        NodeRuntime runtime = chain.front().runtime();
        for (String target : targets) {
            Instant now = Instant.now();
            Message request = new Message(MessageId.generate(Clock.systemUTC()), now, now.plusSeconds(60),
                    new Envelope.Request("GET", target, ShareProtocol.UPSTREAM, List.of()), Body.EMPTY);
            runtime.store().inTransaction(tx -> {
                runtime.transport().send(tx, NodeId.of("back"), request);
                return null;
            });
        }
        await().atMost(ShareChain.WAIT).until(() -> chain.backMetric("hoft_back_share_refused_total") == before + targets.size());
        assertEquals(uploadsBefore, chain.backMetric("hoft_back_share_uploads_total"), "nothing was sent");
    }

    @Test
    void otherMethodsAre405() throws Exception {
        HttpResponse<byte[]> post = chain.send(chain.request("/_hoft/files/docs/data.bin").POST(HttpRequest.BodyPublishers.ofString("x")));
        assertEquals(405, post.statusCode());
        assertEquals("GET, HEAD", header(post, "Allow"));
    }
}
