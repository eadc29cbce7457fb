package io.hoft.link.dialout;

import static io.hoft.link.dialout.DialoutFixture.BACK;
import static io.hoft.link.dialout.DialoutFixture.BACK_KEYS;
import static io.hoft.link.dialout.DialoutFixture.FRONT;
import static io.hoft.link.dialout.DialoutFixture.FRONT_KEYS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.spool.SpoolFileName;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One end of the dial-out link runs as a real process and is killed with SIGKILL while a file
 * crosses each way, slowed by a forwarder so the kill lands mid-transfer; after its restart both
 * transfers continue from the bytes each side kept, and both files arrive intact.
 */
class DialoutCrashTest {
    private static final int MIB = 1 << 20;
    private static final int SIZE = 8 * MIB;

    @TempDir
    Path dir;

    private Process process;
    private DialoutFixture front;
    private DialoutClientLink back;
    private FreezableForwarder forwarder;
    private final SpoolFileName down = DialoutFixture.name(FRONT, BACK, 1);
    private final SpoolFileName up = DialoutFixture.name(BACK, FRONT, 1);

    @AfterEach
    void stop() throws Exception {
        if (process != null) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        DialoutFixture.closeInOrder(back, forwarder, front);
    }

    @Test
    void aFrontKilledMidTransferIsContinuedFromTheBytesEachSideKeptAfterItsRestart() throws Exception {
        int port = freePort();
        Path downFile = DialoutResumeTest.randomFile(Files.createDirectories(dir.resolve("front/held")).resolve(down.toString()),
                SIZE, 1);
        byte[] downBytes = Files.readAllBytes(downFile); // the front drops its copy once the back has it
        Path upFile = DialoutResumeTest.randomFile(dir.resolve("up"), SIZE, 2);
        start("front", port);
        awaitListening(port);
        forwarder = new FreezableForwarder(port);
        forwarder.pauseAfterEachChunk(20); // about 3 MB/s each way: both transfers are under way at once
        back = new DialoutClientLink(BACK, FRONT, DialoutFixture.dialerSettings(URI.create("http://127.0.0.1:" + forwarder.port())),
                DialoutFixture.keyringOf(BACK_KEYS), dir.resolve("back"), Clock.systemUTC());
        back.start(BACK, file -> { });
        back.send(upFile, up);

        await().atMost(Duration.ofSeconds(60)).until(() -> partialBytes("back") >= MIB / 2 && partialBytes("front") >= MIB / 2);
        forwarder.freezeAll(); // both transfers stop where they are: the kill lands mid-transfer
        long fetchedBefore = partialBytes("back");
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        forwarder.cutAll(); // nothing the dead front sent is still on its way
        long uploadedBefore = partialBytes("front");
        assertFalse(Files.exists(dir.resolve("front/in/" + up)), "a partial upload is never a spool file");
        forwarder.pauseAfterEachChunk(0);
        forwarder.toClient.set(0);
        forwarder.toServer.set(0);
        start("front", port);

        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(dir.resolve("back/in/" + down))
                && Files.exists(dir.resolve("front/in/" + up)));
        assertArrayEquals(downBytes, Files.readAllBytes(dir.resolve("back/in/" + down)));
        assertArrayEquals(Files.readAllBytes(upFile), Files.readAllBytes(dir.resolve("front/in/" + up)));
        long overhead = 256 * 1024; // request and response heads, control messages
        assertTrue(forwarder.toClient.get() <= SIZE - fetchedBefore + overhead,
                "after the restart " + forwarder.toClient.get() + " bytes came down, " + fetchedBefore + " were held");
        assertTrue(forwarder.toServer.get() <= SIZE - uploadedBefore + overhead,
                "after the restart " + forwarder.toServer.get() + " bytes went up, " + uploadedBefore + " were held");
    }

    @Test
    void aBackKilledMidTransferContinuesFromTheBytesEachSideKeptAfterItsRestart() throws Exception {
        front = new DialoutFixture(dir, Duration.ofSeconds(10));
        forwarder = new FreezableForwarder(front.port());
        forwarder.pauseAfterEachChunk(20); // about 3 MB/s each way: both transfers are under way at once
        Path downFile = DialoutResumeTest.randomFile(dir.resolve("down"), SIZE, 3);
        front.link.send(downFile, down);
        // a file the back's channel handed its link before the crash: it waits in the link's outbox
        Path upFile = DialoutResumeTest.randomFile(Files.createDirectories(dir.resolve("back/out")).resolve(up.toString()), SIZE, 4);
        byte[] upBytes = Files.readAllBytes(upFile);
        start("back", forwarder.port());

        await().atMost(Duration.ofSeconds(60)).until(() -> partialBytes("back") >= MIB / 2 && partialBytes("front") >= MIB / 2);
        forwarder.freezeAll(); // both transfers stop where they are: the kill lands mid-transfer
        long fetchedBefore = partialBytes("back");
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        forwarder.cutAll();
        assertFalse(Files.exists(dir.resolve("back/in/" + down)), "a partial fetch is never a spool file");
        forwarder.pauseAfterEachChunk(0);
        start("back", forwarder.port());

        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(dir.resolve("back/in/" + down))
                && front.offered.contains(up));
        assertArrayEquals(Files.readAllBytes(downFile), Files.readAllBytes(dir.resolve("back/in/" + down)));
        assertArrayEquals(upBytes, Files.readAllBytes(dir.resolve("front/in/" + up)));
        // The front read each byte of the upload once, across both lives of the back.
        assertEquals(SIZE, front.link.fileBytesReceived());
        // Its first answer carried the whole file; the second only what the back did not hold.
        long second = front.link.fileBytesSent() - SIZE;
        assertTrue(second > 0 && second <= SIZE - fetchedBefore, "the second answer carried " + second + " bytes, "
                + fetchedBefore + " were held");
    }

    private void start(String role, int port) throws IOException {
        Path keys = dir.resolve("keys");
        if (!Files.exists(keys)) {
            Files.createDirectories(keys);
            KeyFiles.writePrivate(keys.resolve("front.jwks"), FRONT_KEYS.toJwkSet(), true);
            KeyFiles.writePublic(keys.resolve("front.pub.jwks"), FRONT_KEYS.publicKeys().toJwkSet(), true);
            KeyFiles.writePrivate(keys.resolve("back.jwks"), BACK_KEYS.toJwkSet(), true);
            KeyFiles.writePublic(keys.resolve("back.pub.jwks"), BACK_KEYS.publicKeys().toJwkSet(), true);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx96m", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), DialoutLinkProcess.class.getName(), role, dir.toString(), keys.toString(),
                Integer.toString(port));
        builder.redirectErrorStream(true);
        builder.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(role + ".log").toFile()));
        process = builder.start();
    }

    /** The bytes of the one partial file in {@code node}'s link folder (0 if there is none). */
    private long partialBytes(String node) throws IOException {
        Path folder = dir.resolve(node + "/partial");
        if (!Files.exists(folder)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.mapToLong(file -> file.toFile().length()).sum();
        }
    }

    private static void awaitListening(int port) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).ignoreExceptions().until(() -> {
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return true;
            }
        });
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
