package io.hoft.tools.spool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hoft.tools.Cli;
import io.hoft.tools.LivePair;
import io.hoft.transport.message.HeaderField;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** {@code hoft spool show} of files a real front wrote for back: with back's keys, with front's, and with none. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SpoolShowTest {
    LivePair pair;
    Path root;
    Path json;
    Path binary;
    Path long_;
    byte[] binaryBody = new byte[300];
    byte[] longBody;

    @BeforeAll
    void filesFromARealFront(@TempDir Path root) throws Exception {
        this.root = root;
        pair = new LivePair(root);
        pair.start(LivePair.FRONT);
        json = pair.sendAndAwaitFile(LivePair.FRONT, pair.frontToBack, "{\"name\":\"widget\",\"qty\":3}".getBytes(StandardCharsets.UTF_8),
                new HeaderField("Content-Type", "application/json"), new HeaderField("X-Note", "caf\u00e9"),
                new HeaderField("X-Odd", "a\u0001b\\c"));
        new Random(7).nextBytes(binaryBody);
        binary = pair.sendAndAwaitFile(LivePair.FRONT, pair.frontToBack, binaryBody,
                new HeaderField("Content-Type", "application/octet-stream"));
        longBody = "0123456789abcdef\n".repeat(200).getBytes(StandardCharsets.US_ASCII);
        long_ = pair.sendAndAwaitFile(LivePair.FRONT, pair.frontToBack, longBody, new HeaderField("Content-Type", "text/plain"));
        pair.stop(LivePair.FRONT);
    }

    @AfterAll
    void stop() throws Exception {
        pair.close();
    }

    @Test
    void withTheRecipientsKeysShowsTheRequestLineTheExactHeaderBytesAndTheBody() {
        Cli.Result result = Cli.run("spool", "show", "--config", pair.config("back"), json);

        assertEquals(0, result.exit(), result.toString());
        String out = result.out();
        assertTrue(out.contains("header    verified: HS256 under session "), out);
        assertTrue(out.contains("(format version 4; its ticket is signed by front)"), out);
        assertTrue(out.contains("mode      encrypted"), out);
        assertTrue(out.contains("from      front") && out.contains("to        back"), out);
        assertTrue(out.contains("POST /api/items?x=1  (upstream api)"), out);
        assertTrue(out.contains("Content-Type: application/json"), out);
        assertTrue(out.contains("X-Note: caf\\xe9"), "a non-ASCII byte is escaped: " + out);
        assertTrue(out.contains("X-Odd: a\\x01b\\\\c"), "a control byte and a backslash are escaped: " + out);
        assertTrue(out.contains("body: 25 bytes, application/json, as text:"), out);
        assertTrue(out.contains("{\"name\":\"widget\",\"qty\":3}"), out);
    }

    @Test
    void jsonCarriesHeadersByteForByteAndTheBodyPreview() {
        Cli.Result result = Cli.run("spool", "show", "--config", pair.config("back"), "--json", json);

        assertEquals(0, result.exit(), result.toString());
        JsonNode doc = result.json();
        assertTrue(doc.get("verified").asBoolean());
        assertEquals("content", doc.get("check").asText());
        assertEquals("front", doc.get("header").get("sender").asText());
        assertEquals(4, doc.get("header").get("version").asInt(), "nodes key their files by sessions (format version 4)");
        assertEquals("HS256", doc.get("header").get("signature").get("alg").asText());
        assertTrue(doc.get("header").get("signature").get("session").asBoolean());
        assertEquals("A256KW", doc.get("header").get("encryption").get("keyAlg").asText());
        assertEquals(doc.get("header").get("signature").get("kid").asText(),
                doc.get("header").get("encryption").get("keyKid").asText(), "both under the session's id");
        JsonNode request = null;
        for (JsonNode message : doc.get("messages")) {
            if (message.get("kind").asText().equals("request")) {
                request = message;
            }
        }
        assertEquals("POST", request.get("method").asText());
        assertEquals("X-Note", request.get("headers").get(1).get(0).asText());
        assertEquals("caf\u00e9", request.get("headers").get(1).get(1).asText(), "one character per byte, as in the spool meta");
        assertEquals("utf-8", request.get("body").get("previewEncoding").asText());
        assertEquals("{\"name\":\"widget\",\"qty\":3}", request.get("body").get("preview").asText());
        assertTrue(doc.get("error").isNull());
    }

    @Test
    void aBinaryBodyIsShownAsAHexDump() {
        Cli.Result result = Cli.run("spool", "show", "--config", pair.config("back"), binary);

        assertEquals(0, result.exit(), result.toString());
        assertTrue(result.out().contains("body: 300 bytes, application/octet-stream, in hex:"), result.out());
        String firstBytes = String.format("%02x %02x %02x", binaryBody[0], binaryBody[1], binaryBody[2]);
        assertTrue(result.out().contains("00000000  " + firstBytes), result.out());
    }

    @Test
    void aLongBodyIsCutInThePreviewAndBodyOutWritesAllOfIt() throws Exception {
        Path out = root.resolve("body.txt");

        Cli.Result result = Cli.run("spool", "show", "--config", pair.config("back"), "--preview", "64", "--body-out", out, long_);

        assertEquals(0, result.exit(), result.toString());
        assertTrue(result.out().contains("first 64 bytes"), result.out());
        assertTrue(result.out().contains("more bytes; --body-out FILE --frame"), result.out());
        assertTrue(result.out().contains("wrote the body of frame"), result.out());
        assertArrayEquals(longBody, Files.readAllBytes(out));
    }

    @Test
    void withoutKeysTheHeaderIsShownAsClaimedAndMarkedUnverified() {
        Cli.Result human = Cli.run("spool", "show", json);
        Cli.Result doc = Cli.run("spool", "show", "--json", json);

        assertEquals(0, human.exit(), human.toString());
        assertTrue(human.out().contains("header    UNVERIFIED: no keys to check it"), human.out());
        assertFalse(human.out().contains("widget"), "no content without keys");
        assertFalse(doc.json().get("verified").asBoolean());
        assertTrue(doc.json().get("messages").isNull());
        assertEquals("front", doc.json().get("header").get("sender").asText());
    }

    @Test
    void withTheSendersKeysTheHeaderVerifiesButTheContentStaysClosed() {
        Cli.Result result = Cli.run("spool", "show", "--config", pair.config("front"), json);

        assertEquals(0, result.exit(), result.toString());
        assertTrue(result.out().contains("header    verified"), result.out());
        assertTrue(result.out().contains("content   not shown: a session file, readable with back's keys only"), result.out());
    }

    @Test
    void aTamperedFileSaysExactlyWhyAndExitsOne() throws Exception {
        byte[] bytes = Files.readAllBytes(json);
        bytes[bytes.length - 5] ^= 0x40;
        Path tampered = Files.write(root.resolve(json.getFileName()), bytes);

        Cli.Result human = Cli.run("spool", "show", "--config", pair.config("back"), tampered);
        Cli.Result doc = Cli.run("spool", "show", "--config", pair.config("back"), "--json", tampered);
        Cli.Result bodyOut = Cli.run("spool", "show", "--config", pair.config("back"), "--body-out", root.resolve("x"), tampered);

        assertEquals(1, human.exit(), human.toString());
        assertTrue(human.out().contains("REJECTED  corrupt: "), human.out());
        assertFalse(human.out().contains("widget"), "nothing of a file that failed is shown as its content");
        assertEquals("corrupt", doc.json().get("error").get("reason").asText());
        assertTrue(doc.json().get("messages").isNull());
        assertEquals(1, bodyOut.exit(), bodyOut.toString());
        assertFalse(Files.exists(root.resolve("x")), "no body of a file that failed is written");
    }

    @Test
    void bodyOutWithoutKeysThatOpenTheContentIsAnEnvironmentError() {
        Cli.Result result = Cli.run("spool", "show", "--config", pair.config("front"), "--body-out", root.resolve("y"), json);

        assertEquals(2, result.exit(), result.toString());
        assertTrue(result.err().contains("cannot decrypt"), result.toString());
    }
}
