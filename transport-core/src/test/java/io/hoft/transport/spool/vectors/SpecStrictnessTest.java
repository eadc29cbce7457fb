package io.hoft.transport.spool.vectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.spool.MalformedFileException;
import io.hoft.transport.spool.SpoolFileReader;
import io.hoft.transport.spool.Digests;
import io.hoft.transport.spool.internal.Preamble;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rules of SPEC.md that the reference reader once did not enforce, checked on files signed
 * with the committed vector keys, so each one is authentic and breaks exactly one rule: the
 * JSON of the claims ends with garbage (section 5.1), and the compact JWS or JWE holds a
 * character outside base64url (sections 4 and 6), which nimbus's decoder would skip.
 */
class SpecStrictnessTest {
    @TempDir
    Path dir;

    @Test
    void claimsWithBytesAfterTheJsonAreMalformed() throws Exception {
        Path vector = SpecVectors.spoolFile(SpecVectors.dir().resolve("2-signed-plaintext-response"));
        byte[] claims = claims(vector);
        byte[] withTrailer = Arrays.copyOf(claims, claims.length + 2);
        withTrailer[claims.length] = ' ';
        withTrailer[claims.length + 1] = 'x';
        Path file = rewrite(vector, resign(vector, withTrailer));
        assertRejectedAsMalformed(file, "header claims is not valid JSON");
    }

    @Test
    void headerWithBase64PaddingIsMalformedThoughItsSignatureStillVerifies() throws Exception {
        Path vector = SpecVectors.spoolFile(SpecVectors.dir().resolve("2-signed-plaintext-response"));
        String padded = SpecVectors.compactHeader(Files.readAllBytes(vector)) + "==";
        Path file = rewrite(vector, padded);
        assertRejectedAsMalformed(file, "header has a byte that cannot be in a compact JWS");
    }

    @Test
    void contentKeyWithACharacterOutsideBase64UrlIsMalformed() throws Exception {
        Path vector = SpecVectors.spoolFile(SpecVectors.dir().resolve("4-encrypted-collated"));
        ObjectNode claims = (ObjectNode) SpecVectors.JSON.readTree(claims(vector));
        ObjectNode encryption = (ObjectNode) claims.get("encryption");
        String key = encryption.get("key").asText();
        int dot = key.indexOf('.');
        encryption.put("key", key.substring(0, dot) + "!" + key.substring(dot)); // nimbus would skip the '!'
        byte[] json = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsBytes(claims);
        Path file = rewrite(vector, resign(vector, json));
        assertRejectedAsMalformed(file, "claims.encryption.key has a character that cannot be in a compact JWE");
    }

    private void assertRejectedAsMalformed(Path file, String message) throws Exception {
        SpoolFileReader reader = SpecVectors.reader(SpecVectors.readJson(
                SpecVectors.dir().resolve("2-signed-plaintext-response/expected.json")).get("decodeWith"));
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> SpecVectors.decode(reader, file));
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
    }

    /** The claims bytes of a committed vector. */
    private static byte[] claims(Path vector) throws Exception {
        String compact = SpecVectors.compactHeader(Files.readAllBytes(vector));
        return JWSObject.parse(compact).getPayload().toBytes();
    }

    /** Signs new claims with back's signing key under the vector's own protected header. */
    private static String resign(Path vector, byte[] claims) throws Exception {
        JWSHeader header = JWSObject.parse(SpecVectors.compactHeader(Files.readAllBytes(vector))).getHeader();
        ECKey key = null;
        for (JWK jwk : KeyFiles.read(SpecVectors.dir().resolve(VectorGenerator.BACK_KEYS)).getKeys()) {
            if (KeyUse.SIGNATURE.equals(jwk.getKeyUse())) {
                key = jwk.toECKey();
            }
        }
        assertEquals(header.getKeyID(), key.getKeyID());
        JWSObject jws = new JWSObject(header, new Payload(claims));
        jws.sign(new ECDSASigner(key));
        return jws.serialize();
    }

    /** The vector with another header: preamble recomputed, no padding, the same payload. */
    private Path rewrite(Path vector, String header) throws Exception {
        byte[] bytes = Files.readAllBytes(vector);
        int payloadOffset = ByteBuffer.wrap(bytes).getInt(Preamble.PAYLOAD_OFFSET_OFFSET);
        byte[] headerBytes = header.getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Preamble.encode(headerBytes.length, Preamble.LENGTH + headerBytes.length, Digests.sha256(headerBytes)));
        out.write(headerBytes);
        out.write(bytes, payloadOffset, bytes.length - payloadOffset);
        Path file = dir.resolve(vector.getFileName());
        Files.write(file, out.toByteArray());
        return file;
    }
}
