package io.hoft.back;

import java.nio.file.Path;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * One back and one raw socket callee shared by the tests of a class (starting a back costs a
 * second); before each test the callee forgets what it saw and answers {@code 200 ok} again.
 */
abstract class RawCalleeSuite {
    @TempDir
    static Path root;

    static RawCallee callee;
    static BackHarness harness;

    /** Starts the callee, then a back whose {@code back:} section is made from the callee. */
    static void start(Function<RawCallee, String> backSection) throws Exception {
        callee = RawCallee.start(RawCallee.reply("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
        harness = new BackHarness(root, backSection.apply(callee)).startFront().startBack();
    }

    @AfterAll
    static void stop() throws Exception {
        harness.close();
        callee.close();
    }

    @BeforeEach
    void resetCallee() {
        callee.clear();
        callee.readBodies(true);
        callee.script(RawCallee.reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    }
}
