package io.hoft.link.dialout;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.hoft.share.CatalogUpdateFuzzTest;
import io.hoft.transport.config.ConfigLoaderFuzzTest;
import io.hoft.transport.spool.SpoolFileReaderFuzzTest;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The short fuzzing run of every build: one fuzz test over every parser that reads bytes from
 * outside, because Jazzer fuzzes a single test per JVM and starting it costs more than the run
 * itself. An input's first byte picks the parser (its value modulo the number of parsers, in the
 * order of {@link Parser}), the rest goes to that parser's own fuzz test, which says what may be
 * thrown. The seeds are every parser's committed seeds and regressions with its byte in front;
 * Jazzer runs them first, then fuzzes for {@link #RUNS} inputs or {@link #DURATION}, whichever
 * ends first. It lives in link-dialout, the module that has every parser on its class path (the
 * others' fuzz tests and seeds come from the test jars of transport-core and file-share). The
 * pom runs this class alone, in a JVM of its own with {@code JAZZER_FUZZ=1}; a crash, or an
 * input running over 30 s, fails the build and is saved under
 * {@code link-dialout/src/test/resources/io/hoft/link/dialout/EveryParserFuzzTestInputs/}, to be
 * moved beside its parser's seeds once fixed (README, "Fuzzing").
 */
class EveryParserFuzzTest {
    static final long RUNS = 100_000;
    static final String DURATION = "10s";

    private static final Logger LOG = LoggerFactory.getLogger(EveryParserFuzzTest.class);
    private static final AtomicLongArray EXECUTIONS = new AtomicLongArray(Parser.values().length);

    /** The parsers, each with the fuzz test whose check and seeds it uses. The order is part of every input. */
    enum Parser {
        SPOOL_FILE_READER(SpoolFileReaderFuzzTest.class, SpoolFileReaderFuzzTest::read),
        CONTROL_MESSAGE(ControlMessageFuzzTest.class, ControlMessageFuzzTest::decode),
        MULTIPART_FILE_READER(MultipartFileReaderFuzzTest.class, MultipartFileReaderFuzzTest::copyFile),
        LINK_TOKEN(LinkTokenFuzzTest.class, LinkTokenFuzzTest::verify),
        CATALOG_UPDATE(CatalogUpdateFuzzTest.class, CatalogUpdateFuzzTest::decode),
        CONFIG_LOADER(ConfigLoaderFuzzTest.class, ConfigLoaderFuzzTest::parse);

        private final Class<?> fuzzTest;
        private final Check check;

        Parser(Class<?> fuzzTest, Check check) {
            this.fuzzTest = fuzzTest;
            this.check = check;
        }

        static Parser pickedBy(byte first) {
            Parser[] all = values();
            return all[Byte.toUnsignedInt(first) % all.length];
        }

        /**
         * The fuzz test's committed inputs: Jazzer's {@code <TestClass>Inputs} folder beside it, a
         * folder or, for another module's fuzz test, an entry of that module's test jar.
         */
        List<Path> seeds() throws IOException, URISyntaxException {
            URL folder = fuzzTest.getResource(fuzzTest.getSimpleName() + "Inputs");
            if (folder == null) {
                throw new IllegalStateException(fuzzTest.getSimpleName() + " has no committed seeds");
            }
            URI uri = folder.toURI();
            if (uri.getScheme().equals("jar")) {
                try {
                    FileSystems.newFileSystem(uri, Map.of());
                } catch (FileSystemAlreadyExistsException e) {
                    // another parser's seeds come from the same jar
                }
            }
            try (Stream<Path> files = Files.walk(Path.of(uri))) {
                return files.filter(Files::isRegularFile).sorted().toList();
            }
        }
    }

    @FunctionalInterface
    interface Check {
        void accept(byte[] input) throws IOException;
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = DURATION, maxExecutions = RUNS)
    void everyParserFailsOnlyWithItsOwnExceptions(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        Parser parser = Parser.pickedBy(input[0]);
        EXECUTIONS.incrementAndGet(parser.ordinal());
        parser.check.accept(Arrays.copyOfRange(input, 1, input.length));
    }

    static Stream<Arguments> seeds() throws IOException, URISyntaxException {
        List<Arguments> seeds = new ArrayList<>();
        for (Parser parser : Parser.values()) {
            for (Path file : parser.seeds()) {
                byte[] bytes = Files.readAllBytes(file);
                byte[] seed = new byte[bytes.length + 1];
                seed[0] = (byte) parser.ordinal();
                System.arraycopy(bytes, 0, seed, 1, bytes.length);
                seeds.add(Arguments.of(Named.of(parser + " " + file.getFileName(), seed)));
            }
        }
        return seeds.stream();
    }

    @AfterAll
    static void reportExecutions() {
        StringJoiner counts = new StringJoiner(", ");
        for (Parser parser : Parser.values()) {
            counts.add(parser + " " + EXECUTIONS.get(parser.ordinal()));
        }
        LOG.info("Inputs run per parser: {}", counts);
    }
}
