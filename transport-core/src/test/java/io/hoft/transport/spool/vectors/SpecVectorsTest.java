package io.hoft.transport.spool.vectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hoft.transport.spool.SpoolFileName;
import io.hoft.transport.spool.SpoolFileReader;
import io.hoft.transport.spool.Digests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The SPEC.md test vectors, checked by the build: every committed spool file decodes, with the
 * committed keys, to exactly what its {@code expected.json} says, and SPEC.md shows the values
 * the committed files really have.
 */
class SpecVectorsTest {
    /** SPEC.md, from the transport-core module folder where surefire runs. */
    static final Path SPEC = Paths.get("..", "SPEC.md");

    static List<Path> vectors() throws IOException {
        return SpecVectors.vectorDirs();
    }

    @Test
    void theVectorsAreThere() throws IOException {
        assertEquals(10, vectors().size(), "vectors under " + SpecVectors.dir().toAbsolutePath());
    }

    @ParameterizedTest
    @MethodSource("vectors")
    void committedVectorDecodesToItsExpectedContent(Path vectorDir) throws IOException {
        JsonNode expected = SpecVectors.readJson(vectorDir.resolve("expected.json"));
        Path file = SpecVectors.spoolFile(vectorDir);
        assertEquals(expected.get("fileSha256").asText(), Digests.hex(Digests.sha256(Files.readAllBytes(file))),
                file + " changed since it was generated (check git's line-ending conversion)");

        SpoolFileReader reader = SpecVectors.reader(expected.get("decodeWith"));
        SpecVectors.Decoded decoded = SpecVectors.decode(reader, file);
        JsonNode actual = SpecVectors.describe(file, decoded.header(), decoded.frames());
        assertEquals(SpecVectors.comparable(expected).toPrettyString(), SpecVectors.comparable(actual).toPrettyString());

        SpoolFileName name = SpoolFileName.parse(file.getFileName().toString()).orElseThrow();
        assertTrue(name.matches(decoded.header()), "the file name agrees with the signed header");
    }

    @ParameterizedTest
    @MethodSource("vectors")
    void specListsEveryVectorWithItsDigest(Path vectorDir) throws IOException {
        String spec = spec();
        JsonNode expected = SpecVectors.readJson(vectorDir.resolve("expected.json"));
        String path = "vectors/" + vectorDir.getFileName() + "/" + expected.get("file").asText();
        assertTrue(spec.contains(path), "SPEC.md names " + path);
        assertTrue(spec.contains(expected.get("fileSha256").asText()), "SPEC.md lists the SHA-256 of " + path);
    }

    @Test
    void specWorkedExampleShowsTheValuesOfTheFirstVector() throws Exception {
        String spec = withoutWhitespace(spec());
        Map<String, String> values = new java.util.LinkedHashMap<>(WorkedExample.values(SpecVectors.vectorDirs().get(0)));
        values.putAll(WorkedExample.sharedSecretValues());
        assertFalse(values.isEmpty());
        for (Map.Entry<String, String> value : values.entrySet()) {
            assertTrue(spec.contains(withoutWhitespace(value.getValue())),
                    "SPEC.md's worked example shows the " + value.getKey() + ":\n" + value.getValue());
        }
    }

    @Test
    void specShowsTheKeyFilesOfTheWorkedExample() throws IOException {
        String spec = withoutWhitespace(spec());
        for (String keys : List.of(VectorGenerator.FRONT_PUBLIC, VectorGenerator.BACK_KEYS)) {
            String json = Files.readString(SpecVectors.dir().resolve(keys), StandardCharsets.UTF_8);
            assertTrue(spec.contains(withoutWhitespace(json)), "SPEC.md shows " + keys + " verbatim");
        }
    }

    private static String spec() throws IOException {
        return Files.readString(SPEC, StandardCharsets.UTF_8);
    }

    private static String withoutWhitespace(String s) {
        return s.replaceAll("\\s+", "");
    }
}
