package io.hoft.front;

import io.hoft.transport.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.Map;

/**
 * A front in its own JVM, for tests that kill it or limit its heap:
 * {@code FrontProcess CONFIG PORT_FILE}. It writes the port it listens on to PORT_FILE once it
 * takes calls, closes cleanly on SIGTERM, and runs until stopped.
 */
public final class FrontProcess {
    public static void main(String[] args) throws Exception {
        FrontConfig config = ConfigLoader.load(Path.of(args[0]), FrontConfig.class, Map.of());
        FrontNode node = FrontNode.open(config, new RecordingScheduler(), url -> { }, Clock.systemUTC());
        node.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                e.printStackTrace();
            }
        }));
        Path portFile = Path.of(args[1]);
        Path temp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
        Files.writeString(temp, Integer.toString(node.address().getPort()));
        Files.move(temp, portFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("front listening on " + node.address() + ", max heap " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
        Thread.sleep(Long.MAX_VALUE);
    }
}
