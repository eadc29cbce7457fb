package io.hoft.front.callback;

import io.hoft.front.CallbackFormat;
import io.hoft.front.StoredResponse;
import io.hoft.transport.channel.Backoff;
import io.hoft.transport.fs.Disk;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.store.BodyFiles;
import io.hoft.transport.store.NodeStore;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A dispatcher in its own JVM: {@code DispatcherProcess ROOT URL COUNT} for {@link
 * CallbackCrashTest} schedules a status event and a result for COUNT requests (again after every
 * restart: the webhook ids make that idempotent), delivers to URL with fast retries, and runs
 * until killed. {@code DispatcherProcess ROOT URL 0 BODY} for {@link CallbackMemoryTest} delivers
 * one JSON result whose body is the body file BODY, and exits 0 once it is delivered.
 */
public final class DispatcherProcess {

    static CallbackSettings settings() {
        return CallbackSettings.defaults("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true, List.of())
                .withBackoff(new Backoff(Duration.ofMillis(50), 2, Duration.ofMillis(400), 0.2))
                .withAttemptTimeout(Duration.ofMillis(300))
                .withPollInterval(Duration.ofMillis(20))
                .withMaxConcurrentDeliveries(8);
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        URI url = URI.create(args[1]);
        int count = Integer.parseInt(args[2]);
        NodeStore store = NodeStore.open(root.resolve("state"));
        BodyFiles bodies = new BodyFiles(root.resolve("state/bodies"), Disk.REAL);
        CallbackDispatcher dispatcher = new CallbackDispatcher(store, bodies, settings(), Clock.systemUTC());
        dispatcher.start();
        if (args.length > 3) {
            deliverOneBigBody(store, dispatcher, url, args[3], bodies);
            return;
        }
        long expires = System.currentTimeMillis() + Duration.ofHours(1).toMillis();
        for (int n = 0; n < count; n++) {
            String id = "C" + n;
            byte[] body = ("{\"n\":" + n + "}").getBytes(StandardCharsets.UTF_8);
            StoredResponse response = new StoredResponse(200, "OK", List.of(new HeaderField("Content-Type", "application/json")),
                    body, null, body.length, null);
            store.inTransaction(tx -> {
                dispatcher.scheduleStatus(tx, id, url, "transferred", System.currentTimeMillis(), expires);
                dispatcher.scheduleResult(tx, id, url, CallbackFormat.JSON, response, expires);
                return null;
            });
            Thread.sleep(new SplittableRandom().nextInt(10));
        }
        System.out.println("all " + count + " requests scheduled");
        Thread.sleep(Long.MAX_VALUE);
    }

    private static void deliverOneBigBody(NodeStore store, CallbackDispatcher dispatcher, URI url, String bodyName,
            BodyFiles bodies) throws Exception {
        long length = java.nio.file.Files.size(bodies.path(bodyName));
        StoredResponse response = new StoredResponse(200, "OK", List.of(new HeaderField("Content-Type", "text/plain")), null,
                bodyName, length, null);
        store.inTransaction(tx -> {
            dispatcher.scheduleResult(tx, "BIG", url, CallbackFormat.JSON, response, System.currentTimeMillis() + 3_600_000);
            return null;
        });
        while (true) {
            CallbackHistory job = CallbackDispatcher.history(store, "BIG").get(0);
            if (!job.state().equals("pending")) {
                System.out.println("BIG " + job.state() + " after " + job.attemptCount() + " attempts, heap committed "
                        + java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted());
                dispatcher.close();
                store.close();
                System.exit(job.state().equals("delivered") ? 0 : 1);
            }
            Thread.sleep(50);
        }
    }
}
