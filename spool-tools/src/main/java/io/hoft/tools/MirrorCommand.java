package io.hoft.tools;

import io.hoft.transport.link.Mirror;
import io.hoft.transport.link.MirrorFaults;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hoft mirror}: a one-way folder mirror for local setups, with optional faults. */
@Command(name = "mirror",
        mixinStandardHelpOptions = true,
        description = {
            "Carries files one way from one folder to another, like a transfer service, until stopped (SIGTERM or Ctrl-C).",
            "Optionally misbehaves: loses, duplicates, truncates, corrupts, reorders or delays files, each drawn from a"
                + " seeded random source so a run can be repeated."},
        footer = {"", "Example: hoft mirror --from link/front-out --to link/back-in --loss 0.1 --truncate 0.05 --seed 7"})
final class MirrorCommand implements Callable<Integer> {
    @Option(names = "--from", required = true, paramLabel = "DIR", description = "folder to carry files from")
    Path from;

    @Option(names = "--to", required = true, paramLabel = "DIR", description = "folder to deliver files into")
    Path to;

    @Option(names = "--copy", description = "leave carried files in --from (a copying mirror); default moves them")
    boolean copy;

    @Option(names = "--in-place", description = "write deliveries slowly under their final name instead of renaming them in")
    boolean inPlace;

    @Option(names = "--loss", paramLabel = "P", defaultValue = "0", description = "probability a file is lost (0..1)")
    double loss;

    @Option(names = "--duplicate", paramLabel = "P", defaultValue = "0", description = "probability a file is delivered twice")
    double duplicate;

    @Option(names = "--truncate", paramLabel = "P", defaultValue = "0", description = "probability a delivery is cut short")
    double truncate;

    @Option(names = "--corrupt", paramLabel = "P", defaultValue = "0", description = "probability a delivery has a byte flipped")
    double corrupt;

    @Option(names = "--reorder", paramLabel = "P", defaultValue = "0",
            description = "probability a file is held back up to --max-delay, so later ones overtake it")
    double reorder;

    @Option(names = "--delay", paramLabel = "DURATION", defaultValue = "0ms", converter = DurationConverter.class,
            description = "delay added to every delivery (e.g. 2s)")
    Duration delay;

    @Option(names = "--max-delay", paramLabel = "DURATION", defaultValue = "5s", converter = DurationConverter.class,
            description = "longest hold of a reordered or duplicated file (default: ${DEFAULT-VALUE})")
    Duration maxDelay;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "seed of the fault source (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--poll", paramLabel = "DURATION", defaultValue = "200ms", converter = DurationConverter.class,
            description = "how often --from is scanned (default: ${DEFAULT-VALUE})")
    Duration poll;

    @Override
    public Integer call() throws Exception {
        MirrorFaults faults;
        try {
            faults = new MirrorFaults(loss, duplicate, truncate, corrupt, reorder, delay, maxDelay, seed);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        try (Mirror mirror = new Mirror(from, to, copy ? Mirror.Mode.COPY : Mirror.Mode.MOVE, faults, poll, inPlace)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                System.err.println("hoft mirror: " + mirror.stats());
                stopped.countDown();
            }));
            mirror.start();
            System.err.printf("hoft mirror: carrying %s -> %s (%s)%s%n", from, to, copy ? "copy" : "move",
                    faults.any() ? " with faults" : "");
            stopped.await();
        }
        return Main.OK;
    }
}
