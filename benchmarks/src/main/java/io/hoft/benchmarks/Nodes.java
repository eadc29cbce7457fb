package io.hoft.benchmarks;

import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.keys.NodeKeys;
import io.hoft.transport.keys.TrustList;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.spool.FileMode;
import io.hoft.transport.spool.ModePolicy;
import io.hoft.transport.spool.SpoolFileReader;
import io.hoft.transport.spool.SpoolFileWriter;
import io.hoft.transport.spool.SpoolLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;

/**
 * Two nodes, {@code front} sending to {@code back}, with fresh EC keys (ES256 signing,
 * ECDH-ES+A256KW key wrapping), and the writer and reader between them in one mode. Built from
 * the public API only, as an application would.
 */
final class Nodes {
    static final NodeId FRONT = NodeId.of("front");
    static final NodeId BACK = NodeId.of("back");
    static final long EPOCH = 1_700_000_000_000L;

    final Clock clock = Clock.systemUTC();
    final Keyring front;
    final Keyring back;

    Nodes() {
        Instant issued = clock.instant().minus(Duration.ofDays(1));
        NodeKeys frontKeys = NodeKeys.generate(FRONT, issued);
        NodeKeys backKeys = NodeKeys.generate(BACK, issued);
        front = new Keyring(frontKeys, TrustList.of(backKeys.publicKeys()));
        back = new Keyring(backKeys, TrustList.of(frontKeys.publicKeys()));
    }

    SpoolFileWriter writer(FileMode mode, int compressionLevel) {
        SpoolFileWriter.Options defaults = SpoolFileWriter.Options.DEFAULT;
        return new SpoolFileWriter(front, mode, new SpoolFileWriter.Options(compressionLevel, defaults.segmentSize()),
                clock, Disk.REAL);
    }

    /** The back's reader, which accepts checksum-only files from front: they must be allowed per peer. */
    SpoolFileReader reader() {
        return new SpoolFileReader(back, ModePolicy.SIGNED_ONLY.with(FRONT, EnumSet.allOf(FileMode.class)),
                SpoolLimits.DEFAULT, clock);
    }

    static SpoolFileWriter.Address address(long seq) {
        return new SpoolFileWriter.Address(BACK, EPOCH, seq);
    }

    /** A request as the front proxy would make it from an API call, expiring in a day. */
    Message request(Body body) {
        Instant now = Instant.ofEpochMilli(clock.millis());
        return new Message(MessageId.generate(clock), now, now.plus(Duration.ofDays(1)),
                new Envelope.Request("POST", "/api/v2/orders?tenant=acme", "orders-api", List.of(
                        new HeaderField("Content-Type", "application/json"),
                        new HeaderField("Accept", "application/json"),
                        new HeaderField("X-Request-Id", "5f0c6d3e-8b1a-4c1e-9a0f-2d6b7e3c9a11"),
                        new HeaderField("Authorization", "Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1LTEwMjkzNCJ9.sig"))),
                body);
    }

    private static Path benchDir;

    /**
     * The folder for benchmark files, one per JVM: {@code hoft.bench.dir} if set, else a new
     * folder under {@code /dev/shm} (tmpfs: no disk in the numbers) if there is one, else under
     * the JDK's temp dir; a folder made here is deleted when the JVM exits.
     */
    static synchronized Path benchDir() throws IOException {
        if (benchDir != null) {
            return benchDir;
        }
        String configured = System.getProperty("hoft.bench.dir");
        if (configured != null) {
            benchDir = Files.createDirectories(Path.of(configured));
            return benchDir;
        }
        Path shm = Path.of("/dev/shm");
        Path made = Files.isDirectory(shm) && Files.isWritable(shm)
                ? Files.createTempDirectory(shm, "hoft-bench-")
                : Files.createTempDirectory("hoft-bench-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                deleteTree(made);
            } catch (IOException e) {
                System.err.println("could not delete " + made + ": " + e);
            }
        }));
        benchDir = made;
        return benchDir;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
