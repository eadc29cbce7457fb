package io.hoft.link.dialout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.testing.SlicingInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The one-file multipart reader: round trips in random slices, and one malformed body per rule. */
class MultipartFileReaderTest {
    private static final String BOUNDARY = "hoft-0123456789abcdef";

    private static byte[] body(String preamble, String headers, byte[] file, String end) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(preamble.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(("--" + BOUNDARY + "\r\n" + headers + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(file);
        out.writeBytes(end.getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static byte[] standard(byte[] file) {
        return body("", "Content-Disposition: form-data; name=\"file\"; filename=\"x.hoft\"\r\nContent-Type: application/octet-stream",
                file, "\r\n--" + BOUNDARY + "--\r\n");
    }

    private static byte[] read(byte[] body, long seed, int maxSlice) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long n = MultipartFileReader.copyFile(new SlicingInputStream(new ByteArrayInputStream(body), seed, maxSlice), BOUNDARY, out,
                Long.MAX_VALUE);
        assertEquals(out.size(), n);
        return out.toByteArray();
    }

    @Test
    void filesOfEverySizeComeOutWholeWhateverTheReadSlices() throws IOException {
        Random random = new Random(5);
        byte[] nearMisses = ("\r\n--hoft-0123456789abcde\r\n--\r\r\n-\r\n--hoft-0123456789abcdeX" + "\r").getBytes(StandardCharsets.US_ASCII);
        for (int size : new int[] {0, 1, 2, 100, 65_536, 262_144, 262_145, 1 << 20, 3_000_001}) {
            byte[] file = new byte[size];
            random.nextBytes(file);
            for (int at = 0; at + nearMisses.length <= size; at += Math.max(nearMisses.length, size / 7)) {
                System.arraycopy(nearMisses, 0, file, at, nearMisses.length); // prefixes of the delimiter inside the data
            }
            if (size >= nearMisses.length) {
                System.arraycopy(nearMisses, 0, file, size - nearMisses.length, nearMisses.length); // and at its very end
            }
            for (int maxSlice : new int[] {1, 7, 4096, 1 << 20}) {
                if (maxSlice == 1 && size > 300_000) {
                    continue; // byte by byte is slow and proves nothing more
                }
                assertArrayEquals(file, read(standard(file), size + maxSlice, maxSlice), size + " bytes in slices of " + maxSlice);
            }
        }
    }

    @Test
    void aPreambleAndAnEpilogueAreAllowed() throws IOException {
        byte[] file = "spool".getBytes(StandardCharsets.US_ASCII);
        byte[] body = body("ignored preamble\r\n", "content-disposition: form-data; name=file", file,
                "\r\n--" + BOUNDARY + "--\r\nignored epilogue");
        assertArrayEquals(file, read(body, 1, 3));
    }

    @Test
    void everyMalformedBodyIsRefusedWithItsReason() {
        byte[] file = "spool".getBytes(StandardCharsets.US_ASCII);
        String disposition = "Content-Disposition: form-data; name=\"file\"";
        assertRefused(body("", disposition, file, "\r\n--" + BOUNDARY + "\r\n" + disposition + "\r\n\r\nmore\r\n--" + BOUNDARY + "--"),
                "one part only");
        assertRefused(body("", disposition, file, ""), "ends before the close delimiter");
        assertRefused(body("", disposition, file, "\r\n--" + BOUNDARY), "ends in the close delimiter");
        assertRefused(body("", "Content-Disposition: form-data; name=\"other\"", file, "\r\n--" + BOUNDARY + "--"), "not form-data named file");
        assertRefused(body("", "Content-Type: text/plain", file, "\r\n--" + BOUNDARY + "--"), "not form-data named file");
        assertRefused("no delimiter at all\r\n".getBytes(StandardCharsets.US_ASCII), "no delimiter");
        assertRefused(body("", "X: " + "y".repeat(2000), file, "\r\n--" + BOUNDARY + "--"), "longer than");
        IOException large = assertThrows(IOException.class, () -> MultipartFileReader.copyFile(
                new ByteArrayInputStream(standard(new byte[1000])), BOUNDARY, new ByteArrayOutputStream(), 999));
        assertTrue(large.getMessage().contains("larger than 999"), large.getMessage());
    }

    @Test
    void theBoundaryIsReadFromTheContentType() {
        assertEquals("abc", MultipartFileReader.boundary("multipart/form-data; boundary=abc"));
        assertEquals("a b", MultipartFileReader.boundary("Multipart/Form-Data; charset=x; boundary=\"a b\""));
        assertNull(MultipartFileReader.boundary("multipart/form-data"));
        assertNull(MultipartFileReader.boundary("application/octet-stream; boundary=abc"));
        assertNull(MultipartFileReader.boundary(null));
    }

    private static void assertRefused(byte[] body, String reason) {
        IOException e = assertThrows(IOException.class, () -> read(body, 3, 5));
        assertTrue(e.getMessage().contains(reason), e.getMessage() + " (expected: " + reason + ")");
    }
}
