package io.hoft.transport.channel;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.hoft.transport.fs.OwnerOnly;
import io.hoft.transport.link.MirrorFaults;
import io.hoft.transport.link.WatchMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A node's state is readable by its owner only, whatever the umask: folders 700, files 600,
 * SQLite's WAL and shared-memory files included; and a node whose state someone loosened says
 * so at start, naming the paths (never their content), and keeps serving.
 */
class StatePermissionsTest {
    @TempDir
    Path root;

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    @Test
    void stateFoldersAreOwnerOnlyAndItsFilesTooIncludingTheDatabaseLogAndBodies() throws Exception {
        try (LinkedPair pair = new LinkedPair(root, ChannelConfig.DEFAULT.withFastTimers(), MirrorFaults.NONE, WatchMode.BOTH,
                Duration.ofMillis(100)).start()) {
            pair.back.kill(); // nothing is acknowledged, so the front keeps its body file
            pair.front.send(new byte[200 * 1024]);
            Path state = pair.front.stateDir;
            for (String folder : List.of("", "bodies", "sent", "sent/back", "tmp")) {
                assertEquals("rwx------", mode(state.resolve(folder)), "folder " + folder);
            }
            for (String file : List.of("node.db", "node.db-wal", "node.db-shm", "node.lock")) {
                assertEquals("rw-------", mode(state.resolve(file)), file);
            }
            List<Path> bodies;
            try (Stream<Path> files = Files.list(state.resolve("bodies"))) {
                bodies = files.collect(Collectors.toList());
            }
            assertFalse(bodies.isEmpty(), "the 200 KiB body is in a body file");
            for (Path body : bodies) {
                assertEquals("rw-------", mode(body), body.toString());
            }
            assertTrue(OwnerOnly.findLoosened(state, 3).isEmpty());
        }
    }

    @Test
    void loosenedStateIsReportedAtStartByPathAndTheNodeKeepsServing() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(OwnerOnly.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try (LinkedPair pair = new LinkedPair(root, ChannelConfig.DEFAULT.withFastTimers(), MirrorFaults.NONE, WatchMode.BOTH,
                Duration.ofMillis(100)).start()) {
            Path state = pair.back.stateDir;
            pair.back.kill();
            Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(state.resolve("node.db"), PosixFilePermissions.fromString("rw-r--r--"));
            pair.back.start();

            List<String> warnings = appender.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).contains(state + " (rwxr-xr-x)"), warnings.get(0));
            assertTrue(warnings.get(0).contains(state.resolve("node.db") + " (rw-r--r--)"), warnings.get(0));
            // SQLite makes the log with the database's mode: loosening node.db loosened it too, and it is named.
            assertTrue(warnings.get(0).contains(state.resolve("node.db-wal") + " (rw-r--r--)"), warnings.get(0));
            assertFalse(warnings.get(0).contains(state.resolve("bodies") + " ("), "what was not loosened is not named");

            pair.front.send("still served".getBytes());
            await().atMost(Duration.ofSeconds(20)).until(() -> pair.back.received().size() == 1);
        } finally {
            logger.detachAppender(appender);
        }
    }
}
