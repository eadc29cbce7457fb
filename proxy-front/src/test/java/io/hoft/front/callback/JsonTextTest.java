package io.hoft.front.callback;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hoft.transport.testing.SlicingInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

class JsonTextTest {

    @Test
    void stringsEscapeQuotesBackslashesAndControlsAndKeepEverythingElse() {
        String value = "a\"b\\c\n\r\t\b\f\u0000\u001f\u007f\u00e9\u20ac\uD83D\uDE00";
        assertEquals("\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0000\\u001f\u007f\u00e9\u20ac\uD83D\uDE00\"",
                JsonText.appendString(new StringBuilder(), value).toString());
    }

    @Test
    void loneSurrogatesAreEscapedSoTheOutputStaysValidUtf8() {
        assertEquals("\"x\\ud83dy\\ude00\"", JsonText.appendString(new StringBuilder(), "x\uD83Dy\uDE00").toString());
    }

    @Test
    void utf8DetectionHoldsAcrossReadBoundariesOfAnySize() throws IOException {
        byte[] text = ("\u00e9\u20ac\uD83D\uDE00 ".repeat(40_000)).getBytes(StandardCharsets.UTF_8);
        for (long seed = 0; seed < 5; seed++) {
            assertTrue(JsonText.isUtf8(new SlicingInputStream(new ByteArrayInputStream(text), seed, 70_000)));
        }
        byte[] truncated = java.util.Arrays.copyOf(text, text.length - 2);
        assertFalse(JsonText.isUtf8(new SlicingInputStream(new ByteArrayInputStream(truncated), 1, 70_000)));
        assertTrue(JsonText.isUtf8(new ByteArrayInputStream(new byte[0])));
        assertFalse(JsonText.isUtf8(new ByteArrayInputStream(new byte[] {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80})));
    }

    @Test
    void aUtf8BodyCopiedAsJsonStringContentParsesBackToTheSameBytes() throws IOException {
        Random random = new Random(5);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 200_000; i++) {
            int codePoint = random.nextInt(10) < 3 ? random.nextInt(0x80) : 0x80 + random.nextInt(0x10FFFF - 0x80);
            text.appendCodePoint(Character.isSurrogate((char) codePoint) && codePoint < 0x10000 ? 'x' : codePoint);
        }
        byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        json.write('"');
        JsonText.copyEscapedUtf8(new SlicingInputStream(new ByteArrayInputStream(body), 2, 100_000), json);
        json.write('"');
        assertEquals(text.toString(), new ObjectMapper().readValue(json.toByteArray(), String.class));
    }

    @Test
    void base64CopyIsStandardWithPaddingAndNoLineBreaks() throws IOException {
        byte[] body = new byte[100_001];
        new Random(6).nextBytes(body);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonText.copyBase64(new SlicingInputStream(new ByteArrayInputStream(body), 3, 9_000), out);
        assertEquals(Base64.getEncoder().encodeToString(body), out.toString(StandardCharsets.US_ASCII));
    }

    @Test
    void retryAfterReadsSecondsAndDatesAndIgnoresNonsense() {
        Instant now = Instant.parse("2026-11-22T12:00:00Z");
        assertEquals(120_000L, RetryAfter.parseDelayMs(" 120 ", now));
        assertEquals(0L, RetryAfter.parseDelayMs("0", now));
        assertEquals(90_000L, RetryAfter.parseDelayMs("Sun, 22 Nov 2026 12:01:30 GMT", now));
        assertEquals(0L, RetryAfter.parseDelayMs("Sun, 22 Nov 2026 11:00:00 GMT", now));
        assertEquals(999_999_999_000L, RetryAfter.parseDelayMs("99999999999999999999", now));
        assertNull(RetryAfter.parseDelayMs("-5", now));
        assertNull(RetryAfter.parseDelayMs("soon", now));
        assertNull(RetryAfter.parseDelayMs("", now));
    }
}
