package io.hoft.transport.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.luben.zstd.Zstd;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.util.Base64URL;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.spool.Digests;
import io.hoft.transport.spool.internal.JoseHeader;
import io.hoft.transport.spool.internal.Preamble;
import io.hoft.transport.spool.internal.SegmentEncryptingOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Takes a valid spool file apart so a test can break exactly one rule, then puts it back
 * together: the claims or the JWS protected header are re-signed with front's real key (the
 * one back trusts), the preamble's lengths and header digest are recomputed, and the payload's
 * length and digest in the claims follow a replaced payload. Whatever the test did not touch
 * stays valid, so the rule under test is the only one broken.
 *
 * <pre>
 *   FileForge.of(file).claims(c -> c.put("seq", "1")).writeTo(forged);
 * </pre>
 */
public final class FileForge {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final byte[] originalPreamble;
    private String joseJson;
    private String claimsJson;
    private String signaturePart;
    private byte[] rawHeader;
    private byte[] padding;
    private byte[] payload;
    private boolean resign;
    private boolean unsecured;
    private Keyring.Signing signing;
    private final List<Consumer<ByteBuffer>> preambleEdits = new ArrayList<>();

    private FileForge(byte[] file) {
        ByteBuffer buffer = ByteBuffer.wrap(file).order(ByteOrder.BIG_ENDIAN);
        originalPreamble = Arrays.copyOf(file, Preamble.LENGTH);
        int headerLength = buffer.getInt(Preamble.HEADER_LENGTH_OFFSET);
        int payloadOffset = buffer.getInt(Preamble.PAYLOAD_OFFSET_OFFSET);
        byte[] header = Arrays.copyOfRange(file, Preamble.LENGTH, Preamble.LENGTH + headerLength);
        padding = Arrays.copyOfRange(file, Preamble.LENGTH + headerLength, payloadOffset);
        payload = Arrays.copyOfRange(file, payloadOffset, file.length);
        String[] parts = new String(header, StandardCharsets.US_ASCII).split("\\.", -1);
        joseJson = new Base64URL(parts[0]).decodeToString();
        claimsJson = new Base64URL(parts[1]).decodeToString();
        signaturePart = parts[2];
        rawHeader = header;
        unsecured = signaturePart.isEmpty();
    }

    public static FileForge of(Path file) throws IOException {
        return new FileForge(Files.readAllBytes(file));
    }

    public static FileForge of(byte[] file) {
        return new FileForge(file.clone());
    }

    // ---- reading the parts ----

    public ObjectNode claims() {
        return parse(claimsJson);
    }

    public ObjectNode jose() {
        return parse(joseJson);
    }

    public byte[] payload() {
        return payload.clone();
    }

    public byte[] padding() {
        return padding.clone();
    }

    /** The header bytes as they will be written. */
    public byte[] header() {
        return headerBytes();
    }

    // ---- breaking one thing ----

    /** Edits the claims JSON as a tree; the header is re-signed. */
    public FileForge claims(Consumer<ObjectNode> edit) {
        ObjectNode claims = claims();
        edit.accept(claims);
        return claimsText(ignored -> write(claims));
    }

    /** Edits the claims JSON as text (for what a tree cannot hold, such as a duplicate key). */
    public FileForge claimsText(UnaryOperator<String> edit) {
        claimsJson = edit.apply(claimsJson);
        rawHeader = null;
        resign = true;
        return this;
    }

    /** Edits the JWS protected header; the header is re-signed with the key it was signed with. */
    public FileForge jose(Consumer<ObjectNode> edit) {
        ObjectNode jose = jose();
        edit.accept(jose);
        joseJson = write(jose);
        rawHeader = null;
        resign = true;
        return this;
    }

    /** Signs with {@code signing} instead of front's key, naming its algorithm and kid. */
    public FileForge signedBy(Keyring.Signing signing) {
        this.signing = signing;
        this.unsecured = false;
        return jose(j -> {
            j.put("alg", signing.algorithm().getName());
            j.put("kid", signing.kid());
        });
    }

    /** Makes the header an unsecured JWS ({@code alg} none, no signature) over the same claims. */
    public FileForge unsigned() {
        unsecured = true;
        joseJson = "{\"alg\":\"none\",\"typ\":\"" + JoseHeader.TYPE + "\"}";
        rawHeader = null;
        resign = true;
        return this;
    }

    /** Replaces the header bytes outright (nothing is signed); the preamble still follows them. */
    public FileForge header(byte[] header) {
        rawHeader = header.clone();
        resign = false;
        return this;
    }

    public FileForge padding(byte[] padding) {
        this.padding = padding.clone();
        return this;
    }

    /** Replaces the stored payload bytes and nothing else: the claims still describe the old payload. */
    public FileForge rawPayload(byte[] payload) {
        this.payload = payload.clone();
        return this;
    }

    /**
     * Replaces the payload with {@code plain} (the decompressed frames: meta and body of each,
     * back to back), compressed as one zstd frame and, if the file is encrypted, sealed under a
     * fresh key wrapped for back. The claims' payload length and digest follow; frame
     * descriptions are the test's to adjust.
     */
    public FileForge plainPayload(byte[] plain) {
        return compressedPayload(Zstd.compress(plain, 3));
    }

    /** Like {@link #plainPayload} but with the zstd bytes given as they are. */
    public FileForge compressedPayload(byte[] compressed) {
        ObjectNode claims = claims();
        byte[] stored = compressed;
        if (claims.has("encryption")) {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            int segmentSize = claims.get("encryption").get("segmentSize").asInt();
            ByteArrayOutputStream sealed = new ByteArrayOutputStream();
            try (SegmentEncryptingOutputStream out = new SegmentEncryptingOutputStream(sealed, key, segmentSize)) {
                out.write(compressed);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            stored = sealed.toByteArray();
            Keyring.Wrapping wrapping = frontKeyring().wrappingFor(TestNodes.BACK, Codec.NOW);
            ((ObjectNode) claims.get("encryption")).put("key", JoseHeader.wrapContentKey(key, wrapping));
        }
        byte[] finalStored = stored;
        payload = stored;
        return claims(c -> {
            if (claims.has("encryption")) {
                c.set("encryption", claims.get("encryption"));
            }
            ((ObjectNode) c.get("payload")).put("length", finalStored.length);
            ((ObjectNode) c.get("payload")).put("sha256", sha256Hex(finalStored));
        });
    }

    /** Edits the 48 preamble bytes after the lengths and digest were recomputed. */
    public FileForge preamble(Consumer<ByteBuffer> edit) {
        preambleEdits.add(edit);
        return this;
    }

    // ---- putting it back together ----

    public byte[] bytes() {
        byte[] header = headerBytes();
        ByteBuffer preamble = ByteBuffer.wrap(originalPreamble.clone()).order(ByteOrder.BIG_ENDIAN);
        preamble.putInt(Preamble.HEADER_LENGTH_OFFSET, header.length);
        preamble.putInt(Preamble.PAYLOAD_OFFSET_OFFSET, Preamble.LENGTH + header.length + padding.length);
        preamble.put(Preamble.HEADER_SHA256_OFFSET, Digests.sha256(header));
        for (Consumer<ByteBuffer> edit : preambleEdits) {
            edit.accept(preamble);
        }
        ByteBuffer file = ByteBuffer.allocate(Preamble.LENGTH + header.length + padding.length + payload.length);
        file.put(preamble.array()).put(header).put(padding).put(payload);
        return file.array();
    }

    public Path writeTo(Path file) throws IOException {
        Files.write(file, bytes());
        return file;
    }

    private byte[] headerBytes() {
        if (rawHeader != null) {
            return rawHeader.clone();
        }
        String signingInput = b64(joseJson) + "." + b64(claimsJson);
        if (unsecured) {
            return (signingInput + ".").getBytes(StandardCharsets.US_ASCII);
        }
        if (resign) {
            Keyring.Signing by = signing != null ? signing : frontSigning();
            try {
                signaturePart = by.signer()
                        .sign(new JWSHeader(by.algorithm()), signingInput.getBytes(StandardCharsets.US_ASCII))
                        .toString();
            } catch (JOSEException e) {
                throw new IllegalStateException(e);
            }
        }
        return (signingInput + "." + signaturePart).getBytes(StandardCharsets.US_ASCII);
    }

    /** Front's real signing key for the algorithm the file was signed with. */
    private Keyring.Signing frontSigning() {
        return frontKeyring().signingFor(TestNodes.BACK, Codec.NOW);
    }

    private Keyring frontKeyring() {
        String alg = parse(joseJson).path("alg").asText();
        return TestNodes.front("HS256".equals(alg) ? TestNodes.Keys.SHARED_SECRET : TestNodes.Keys.EC);
    }

    // ---- helpers for tests ----

    public static String sha256Hex(byte[]... parts) {
        var digest = Digests.sha256();
        for (byte[] part : parts) {
            digest.update(part);
        }
        return Digests.hex(digest.digest());
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static String b64(String json) {
        return Base64URL.encode(json.getBytes(StandardCharsets.UTF_8)).toString();
    }

    private static ObjectNode parse(String json) {
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("not a JSON object: " + json, e);
        }
    }

    private static String write(ObjectNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
