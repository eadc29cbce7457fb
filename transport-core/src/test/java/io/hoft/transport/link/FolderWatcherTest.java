package io.hoft.transport.link;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a scan of a folder reports, and in which order. */
class FolderWatcherTest {
    @TempDir
    Path folder;

    @Test
    void filesThatWaitedAreReportedInNameOrderSoTheyGoOnInTheOrderTheyWereSent() throws Exception {
        // Zero-padded sequence numbers, as spool file names have, created in a shuffled order.
        List<String> names = new ArrayList<>();
        for (int seq = 1; seq <= 40; seq++) {
            names.add(String.format("front_back_0000000000001_%012d_d.hoft", seq));
        }
        List<String> shuffled = new ArrayList<>(names);
        Collections.shuffle(shuffled, new Random(7));
        for (String name : shuffled) {
            Files.writeString(folder.resolve(name), name);
        }
        List<String> reported = new CopyOnWriteArrayList<>();
        try (FolderWatcher watcher = new FolderWatcher(folder, WatchMode.POLL, Duration.ofHours(1),
                path -> reported.add(path.getFileName().toString()), "test-watcher")) {
            watcher.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> reported.size() >= names.size());
        }
        assertEquals(names, reported.subList(0, names.size()));
    }
}
