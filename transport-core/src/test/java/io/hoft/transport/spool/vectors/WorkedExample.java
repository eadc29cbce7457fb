package io.hoft.transport.spool.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.luben.zstd.Zstd;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.hoft.transport.keys.KeyFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The intermediate values of decoding the first test vector by hand, step by step as SPEC.md
 * ("Worked example") walks through them. Everything here is computed with the JDK's own
 * primitives (SHA-256, ECDH, AES key unwrap, AES-GCM) and zstd, not with the hoft reader: it is a
 * second decoder, and SPEC.md must show exactly these values.
 */
final class WorkedExample {
    private static final HexFormat HEX = HexFormat.of();
    private static final Base64.Decoder B64URL = Base64.getUrlDecoder();

    private WorkedExample() {}

    /** Named values in the order SPEC.md shows them. */
    static Map<String, String> values(Path vectorDir) throws IOException, GeneralSecurityException {
        Map<String, String> v = new LinkedHashMap<>();
        Path file = SpecVectors.spoolFile(vectorDir);
        byte[] bytes = Files.readAllBytes(file);
        v.put("file name", file.getFileName().toString());
        v.put("file length", Integer.toString(bytes.length));
        v.put("file sha256", hex(sha256(bytes)));
        v.put("file base64", wrap(Base64.getEncoder().encodeToString(bytes), 76));

        ByteBuffer buffer = ByteBuffer.wrap(bytes); // big-endian by default, said anyway:
        buffer.order(java.nio.ByteOrder.BIG_ENDIAN);
        int headerLength = buffer.getInt(8);
        int payloadOffset = buffer.getInt(12);
        v.put("preamble hex", hexLines(Arrays.copyOfRange(bytes, 0, 48), 16));
        v.put("header length", Integer.toString(headerLength));
        v.put("payload offset", Integer.toString(payloadOffset));
        v.put("padding length", Integer.toString(payloadOffset - 48 - headerLength));
        byte[] header = Arrays.copyOfRange(bytes, 48, 48 + headerLength);
        v.put("header sha256", hex(sha256(header)));
        String jws = new String(header, StandardCharsets.US_ASCII);
        v.put("header jws", wrap(jws, 76));
        String[] jwsParts = jws.split("\\.", -1);
        v.put("jws protected header", new String(B64URL.decode(jwsParts[0]), StandardCharsets.UTF_8));
        String claims = new String(B64URL.decode(jwsParts[1]), StandardCharsets.UTF_8);
        v.put("claims", claims);
        v.put("jws signature hex", hex(B64URL.decode(jwsParts[2])));

        JsonNode claimsNode = SpecVectors.JSON.readTree(claims);
        String jwe = claimsNode.get("encryption").get("key").asText();
        String[] jweParts = jwe.split("\\.", -1);
        byte[] jweProtected = B64URL.decode(jweParts[0]);
        v.put("jwe protected header", new String(jweProtected, StandardCharsets.UTF_8));
        JsonNode jweHeader = SpecVectors.JSON.readTree(jweProtected);

        // ECDH-ES+A256KW (RFC 7518 4.6): Z = ECDH(recipient key, epk); KEK = Concat KDF(Z); CEK = AES-KW unwrap.
        JWKSet backSet = KeyFiles.read(SpecVectors.dir().resolve(VectorGenerator.BACK_KEYS));
        ECKey agreement = null;
        for (JWK key : backSet.getKeys()) {
            if (key.getKeyID().equals(jweHeader.get("kid").asText())) {
                agreement = key.toECKey();
            }
        }
        if (agreement == null) {
            throw new IllegalStateException("back.jwks has no key " + jweHeader.get("kid"));
        }
        KeyAgreement ecdh = KeyAgreement.getInstance("ECDH");
        try {
            ECKey epk = ECKey.parse(jweHeader.get("epk").toString());
            ecdh.init(agreement.toECPrivateKey());
            ecdh.doPhase(epk.toECPublicKey(), true);
        } catch (com.nimbusds.jose.JOSEException | java.text.ParseException e) {
            throw new GeneralSecurityException(e);
        }
        byte[] z = ecdh.generateSecret();
        v.put("ecdh z", hex(z));
        byte[] kek = concatKdf(z, "ECDH-ES+A256KW", 256);
        v.put("kek", hex(kek));
        byte[] encryptedKey = B64URL.decode(jweParts[1]);
        v.put("jwe encrypted key", hex(encryptedKey));
        Cipher kw = Cipher.getInstance("AESWrap");
        kw.init(Cipher.UNWRAP_MODE, new SecretKeySpec(kek, "AES"));
        Key cek = kw.unwrap(encryptedKey, "AES", Cipher.SECRET_KEY);
        v.put("cek", hex(cek.getEncoded()));
        byte[] iv = B64URL.decode(jweParts[2]);
        byte[] ciphertext = B64URL.decode(jweParts[3]);
        byte[] tag = B64URL.decode(jweParts[4]);
        v.put("jwe iv", hex(iv));
        v.put("jwe ciphertext", hex(ciphertext));
        v.put("jwe tag", hex(tag));
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(cek.getEncoded(), "AES"), new GCMParameterSpec(128, iv));
        gcm.updateAAD(jweParts[0].getBytes(StandardCharsets.US_ASCII));
        byte[] payloadKey = gcm.doFinal(concat(ciphertext, tag));
        v.put("payload key", hex(payloadKey));

        JsonNode payload = claimsNode.get("payload");
        long payloadLength = payload.get("length").asLong();
        byte[] stored = Arrays.copyOfRange(bytes, payloadOffset, (int) (payloadOffset + payloadLength));
        v.put("payload length", Long.toString(payloadLength));
        v.put("payload sha256", hex(sha256(stored)));
        int segmentSize = claimsNode.get("encryption").get("segmentSize").asInt();
        long sealed = segmentSize + 16L;
        long segments = (payloadLength + sealed - 1) / sealed;
        if (segments != 1) {
            throw new IllegalStateException("the worked example expects a one-segment payload");
        }
        v.put("segment count", Long.toString(segments));
        byte[] nonce = new byte[12];
        ByteBuffer.wrap(nonce).putInt(7, 0).put(11, (byte) 1); // segment 0, the last one
        v.put("segment 0 nonce", hex(nonce));
        v.put("segment 0 tag", hex(Arrays.copyOfRange(stored, stored.length - 16, stored.length)));
        gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(payloadKey, "AES"), new GCMParameterSpec(128, nonce));
        byte[] compressed = gcm.doFinal(stored);
        v.put("zstd bytes", hexLines(compressed, 32));

        long plainLength = 0;
        for (JsonNode frame : claimsNode.get("frames")) {
            plainLength += frame.get("metaLength").asLong() + frame.get("bodyLength").asLong();
        }
        byte[] plain = Zstd.decompress(compressed, (int) plainLength);
        v.put("plaintext hex", hexLines(plain, 32));
        JsonNode frame = claimsNode.get("frames").get(0);
        int metaLength = frame.get("metaLength").asInt();
        v.put("meta", new String(plain, 0, metaLength, StandardCharsets.UTF_8));
        v.put("body", new String(plain, metaLength, plain.length - metaLength, StandardCharsets.UTF_8));
        v.put("frame sha256", hex(sha256(plain)));
        return v;
    }

    /**
     * The two keys derived from the committed shared secret (SPEC.md, "Shared secrets"): HKDF-SHA256
     * (RFC 5869) computed by hand with HMAC, salt of 32 zero bytes (what an empty salt means).
     */
    static Map<String, String> sharedSecretValues() throws IOException, GeneralSecurityException {
        JWKSet set = KeyFiles.read(SpecVectors.dir().resolve(VectorGenerator.SHARED_HELD_BY_BACK));
        byte[] secret = set.getKeys().get(0).toOctetSequenceKey().toByteArray();
        Map<String, String> v = new LinkedHashMap<>();
        v.put("shared secret", hex(secret));
        v.put("HS256 key", hex(hkdf(secret, "hoft v1 sign")));
        v.put("A256KW key", hex(hkdf(secret, "hoft v1 wrap")));
        return v;
    }

    private static byte[] hkdf(byte[] secret, String info) throws GeneralSecurityException {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(new byte[32], "HmacSHA256"));
        byte[] prk = mac.doFinal(secret);
        mac.init(new SecretKeySpec(prk, "HmacSHA256"));
        mac.update(info.getBytes(StandardCharsets.US_ASCII));
        mac.update((byte) 1);
        return mac.doFinal(); // L = 32 = one block of T(1)
    }

    /** The worked example as SPEC.md's code blocks, to paste after a regeneration. */
    static String markdown(Path vectorDir) throws IOException {
        try {
            StringBuilder out = new StringBuilder();
            Map<String, String> all = new LinkedHashMap<>(values(vectorDir));
            all.putAll(sharedSecretValues());
            for (Map.Entry<String, String> e : all.entrySet()) {
                out.append("### ").append(e.getKey()).append("\n\n```\n").append(e.getValue()).append("\n```\n\n");
            }
            return out.toString();
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    /** RFC 7518 4.6.2: one round of Concat KDF with SHA-256, no PartyUInfo or PartyVInfo. */
    static byte[] concatKdf(byte[] z, String algorithmId, int keyBits) {
        ByteArrayOutputStream otherInfo = new ByteArrayOutputStream();
        byte[] alg = algorithmId.getBytes(StandardCharsets.US_ASCII);
        otherInfo.writeBytes(ByteBuffer.allocate(4).putInt(alg.length).array());
        otherInfo.writeBytes(alg);
        otherInfo.writeBytes(new byte[4]); // PartyUInfo: length 0
        otherInfo.writeBytes(new byte[4]); // PartyVInfo: length 0
        otherInfo.writeBytes(ByteBuffer.allocate(4).putInt(keyBits).array()); // SuppPubInfo
        MessageDigest sha = io.hoft.transport.spool.Digests.sha256();
        sha.update(new byte[] {0, 0, 0, 1});
        sha.update(z);
        sha.update(otherInfo.toByteArray());
        return Arrays.copyOf(sha.digest(), keyBits / 8);
    }

    static String hex(byte[] bytes) {
        return HEX.formatHex(bytes);
    }

    static String hexLines(byte[] bytes, int perLine) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < bytes.length; i += perLine) {
            if (i > 0) {
                out.append('\n');
            }
            out.append(HEX.formatHex(bytes, i, Math.min(bytes.length, i + perLine)));
        }
        return out.toString();
    }

    static String wrap(String s, int width) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i += width) {
            if (i > 0) {
                out.append('\n');
            }
            out.append(s, i, Math.min(s.length(), i + width));
        }
        return out.toString();
    }

    private static byte[] sha256(byte[] bytes) {
        return io.hoft.transport.spool.Digests.sha256(bytes);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
