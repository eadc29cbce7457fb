package io.hoft.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FrontNode#close(Duration)} drains: a sync caller still waiting gets 202 (its call goes
 * on and completes after a restart), a call whose body is still arriving is stored and
 * answered, and then nothing listens any more.
 */
class ShutdownTest {
    @TempDir
    Path root;

    @Test
    void closingAnswersWaitersWith202FinishesCallsBeingTakenInAndStopsListening() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (FrontFixture f = FrontFixture.in(root).start()) {
            f.back.respondWith((call, back) -> {
                release.await(60, TimeUnit.SECONDS);
                TestBack.ECHO.respond(call, back);
            });
            CompletableFuture<HttpResponse<byte[]>> waiting = CompletableFuture.supplyAsync(() -> post(f, "/waiting", "w"));
            org.awaitility.Awaitility.await().until(() -> f.back.calls.size() == 1);
            RawHttp uploading = f.raw();
            uploading.send("POST /uploading HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n01234");
            Thread.sleep(200); // the body is being read
            int port = f.address().getPort();
            CompletableFuture<Void> closed = CompletableFuture.runAsync(() -> {
                try {
                    f.stopFront();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Thread.sleep(300);
            uploading.send("56789");
            RawHttp.Response late = uploading.read(false);
            assertEquals(202, late.status(), "taken in, stored, answered 202 since the front is stopping");
            String lateId = late.header("Hoft-Request-Id");
            HttpResponse<byte[]> waited = waiting.get(10, TimeUnit.SECONDS);
            assertEquals(202, waited.statusCode());
            String waitedId = waited.headers().firstValue("Hoft-Request-Id").orElseThrow();
            closed.get(20, TimeUnit.SECONDS);
            assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close());

            f.startFront();
            release.countDown();
            assertEquals("w", new String(awaitBody(f, waitedId)));
            assertEquals("0123456789", new String(awaitBody(f, lateId)));
            uploading.close();
        }
    }

    private static byte[] awaitBody(FrontFixture f, String id) {
        f.awaitStatus(id, "responded");
        try {
            HttpResponse<byte[]> r = f.get("/_hoft/requests/" + id + "/response");
            assertEquals(200, r.statusCode());
            return r.body();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpResponse<byte[]> post(FrontFixture f, String path, String body) {
        try {
            return f.post(path, body.getBytes());
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
