package io.hoft.tools.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.tools.Cli;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code hoft demo}: the whole chain in one run, a line per check, exit 0 only if all passed. */
class DemoCommandTest {
    private static final List<String> CHECKS = List.of("sync GET", "sync POST with a JSON body",
            "binary body (all 256 byte values)", "large body up (8MiB)", "large body down (8MiB)",
            "async with a JSON callback and status events", "async with a raw callback", "poll",
            "callee's errors and redirects pass through", "each call reached the callee once", "link health");

    @Test
    void runsEveryModeAndPrintsALinePerCheck() {
        Cli.Result demo = Cli.run("demo", "--large", "8MiB");
        assertEquals(0, demo.exit(), demo::toString);
        List<String> lines = demo.out().lines().toList();
        for (String check : CHECKS) {
            assertEquals(1, lines.stream().filter(line -> line.startsWith("ok   " + check + " ")).count(),
                    () -> "one ok line for '" + check + "':\n" + demo.out());
        }
        assertTrue(lines.stream().noneMatch(line -> line.startsWith("FAIL")), demo::toString);
        assertTrue(lines.stream().anyMatch(line -> line.startsWith("all " + CHECKS.size() + " checks passed in ")), demo::toString);
    }

    @Test
    void aBadSizeIsAUsageError() {
        Cli.Result demo = Cli.run("demo", "--large", "lots");
        assertEquals(2, demo.exit(), demo::toString);
        assertTrue(demo.err().contains("--large"), demo::toString);
    }
}
