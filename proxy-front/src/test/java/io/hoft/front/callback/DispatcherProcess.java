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
 * A dispatcher in its own JVM, for {@link CallbackCrashTest}: {@code DispatcherProcess ROOT URL
 * COUNT}. Schedules a status event and a result for COUNT requests (again after every restart:
 * the webhook ids make that idempotent), delivers to URL with fast retries, runs until killed.
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
}
