package io.hoft.transport.spool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeKeys;
import io.hoft.transport.keys.TrustList;
import io.hoft.transport.testing.Codec;
import io.hoft.transport.testing.TestNodes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two header-only reads the tools use: {@code verifyHeader} checks signature, addressing,
 * expiry and length without the recipient's private key, and {@code readUnverifiedHeader}
 * shows what a file claims when no key is at hand, still refusing a damaged header.
 */
class HeaderOnlyReadTest {
    private static final Duration SETTLE = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    /** Reads as back would, but holding only front's public keys: back's private keys are a stand-in. */
    private static SpoolFileReader readerWithoutBacksPrivateKeys() {
        Keyring standIn = new Keyring(NodeKeys.generate(TestNodes.BACK, Codec.NOW), TrustList.of(TestNodes.frontKeys().publicKeys()));
        return new SpoolFileReader(standIn, ModePolicy.SIGNED_ONLY, SpoolLimits.DEFAULT, Codec.fixed());
    }

    @Test
    void verifyHeaderChecksAnEncryptedFileWithoutTheRecipientsPrivateKey() throws Exception {
        Codec codec = new Codec(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.EC);
        Path file = codec.write(dir, codec.request("hello".getBytes(StandardCharsets.UTF_8)));

        SpoolFileHeader header = readerWithoutBacksPrivateKeys().verifyHeader(file, SETTLE);

        assertEquals(TestNodes.FRONT, header.sender());
        assertEquals(1, header.frames().size());
        // Opening for content still needs the key.
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> readerWithoutBacksPrivateKeys().open(file, SETTLE));
        assertEquals(true, e.verifiedHeader().isPresent());
    }

    @Test
    void verifyHeaderStillFindsATruncatedFile() throws Exception {
        Codec codec = new Codec(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.EC);
        Path file = codec.write(dir, codec.request(new byte[5000]));
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 10));
        Files.setLastModifiedTime(file, FileTime.from(Codec.NOW.minusSeconds(60)));

        assertThrows(TruncatedFileException.class, () -> readerWithoutBacksPrivateKeys().verifyHeader(file, SETTLE));
    }

    @Test
    void unverifiedHeaderShowsWhatAFileFromAnUnknownSignerClaims() throws Exception {
        Codec codec = new Codec(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.EC);
        Path file = codec.write(dir, codec.request("x".getBytes(StandardCharsets.UTF_8)));
        SpoolFileReader nobodyTrusted = new SpoolFileReader(
                new Keyring(NodeKeys.generate(TestNodes.BACK, Codec.NOW), TrustList.of()), ModePolicy.SIGNED_ONLY,
                SpoolLimits.DEFAULT, Codec.fixed());

        assertThrows(SpoofedFileException.class, () -> nobodyTrusted.verifyHeader(file, SETTLE));
        SpoolFileReader.UnverifiedHeader claims = nobodyTrusted.readUnverifiedHeader(file);

        assertEquals(TestNodes.FRONT, claims.claims().sender());
        assertEquals(TestNodes.BACK, claims.claims().recipient());
        assertEquals("ES256", claims.claims().signingAlgorithm());
        assertEquals(Files.size(file), claims.declaredSize());
    }

    @Test
    void unverifiedHeaderRefusesADamagedHeader() throws Exception {
        Codec codec = new Codec(FileMode.SIGNED_PLAINTEXT, TestNodes.Keys.EC);
        Path file = codec.write(dir, codec.request("x".getBytes(StandardCharsets.UTF_8)));
        byte[] bytes = Files.readAllBytes(file);
        bytes[48 + 20] ^= 1; // inside the header: its digest in the preamble no longer matches
        Path damaged = Files.write(dir.resolve("damaged"), bytes);

        assertThrows(CorruptFileException.class, () -> codec.reader().readUnverifiedHeader(damaged));
    }
}
