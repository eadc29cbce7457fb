package io.hoft.front;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finished calls are deleted with their response bodies once their TTL and the retention period have passed. */
class RetentionTest {
    @TempDir
    Path root;

    @Test
    void aFinishedCallAndItsBodyFileGoAfterTtlPlusRetention() throws Exception {
        try (FrontFixture f = FrontFixture.in(root).front("retention: 1s").start()) {
            byte[] big = new byte[200_000]; // answered from a body file
            new java.util.Random(7).nextBytes(big);
            HttpResponse<byte[]> r = f.post("/keep", big, "Hoft-Ttl", "2");
            assertEquals(200, r.statusCode());
            String id = r.headers().firstValue("Hoft-Request-Id").orElseThrow();
            assertEquals(List.of(id), responseBodyOwners(f));
            assertEquals(200, f.get("/_hoft/requests/" + id + "/response").statusCode(), "kept within its TTL");
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                    .until(() -> f.get("/_hoft/requests/" + id).statusCode() == 404);
            assertEquals(List.of(), responseBodyOwners(f));
            await().atMost(Duration.ofSeconds(5)).until(() -> bodyFiles(f).isEmpty());
            assertTrue(Files.isDirectory(f.node.runtime().transport().bodies().dir()));
        }
    }

    private static List<String> responseBodyOwners(FrontFixture f) {
        return f.node.runtime().store().inTransaction(tx -> tx.query(
                "SELECT substr(owner, length('front:response:') + 1) FROM body_file WHERE owner LIKE 'front:response:%'",
                row -> row.getString(1)));
    }

    private static List<Path> bodyFiles(FrontFixture f) throws Exception {
        try (Stream<Path> files = Files.list(f.node.runtime().transport().bodies().dir())) {
            return files.toList();
        }
    }
}
