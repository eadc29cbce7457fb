package io.hoft.transport.spool.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEObject;
import com.nimbusds.jose.JWEObject;
import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeKeys;
import io.hoft.transport.keys.PeerKeys;
import io.hoft.transport.keys.TrustList;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.spool.DecodedFrame;
import io.hoft.transport.spool.FileMode;
import io.hoft.transport.spool.ModePolicy;
import io.hoft.transport.spool.SpoolFile;
import io.hoft.transport.spool.SpoolFileHeader;
import io.hoft.transport.spool.SpoolFileReader;
import io.hoft.transport.spool.SpoolLimits;
import io.hoft.transport.spool.Digests;
import io.hoft.transport.spool.internal.HeaderClaimsCodec;
import io.hoft.transport.spool.MetaCodec;
import io.hoft.transport.spool.internal.Preamble;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Stream;

/**
 * The committed SPEC.md test vectors: where they live, the keys that open them, and the one
 * JSON description of a decoded spool file that the generator writes as {@code expected.json},
 * the Java test compares against, and {@code tools/decode-spool.py} prints.
 *
 * <p>Layout under {@value #DEFAULT_DIR}: {@code keys/} holds the two nodes' key files, and
 * each vector is a folder holding one spool file and its {@code expected.json}.
 */
public final class SpecVectors {
    /** Relative to the transport-core module, which is the working directory of its tests. */
    public static final String DEFAULT_DIR = "src/test/resources/vectors";

    /** The time every vector was written at and is read at. */
    public static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");

    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private SpecVectors() {}

    public static Path dir() {
        return Paths.get(System.getProperty("hoft.vectors.dir", DEFAULT_DIR));
    }

    public static Path keysDir() {
        return dir().resolve("keys");
    }

    public static Clock clock() {
        return Clock.fixed(NOW, ZoneOffset.UTC);
    }

    /** Every vector folder, in name order. */
    public static List<Path> vectorDirs() throws IOException {
        try (Stream<Path> entries = Files.list(dir())) {
            return entries.filter(p -> Files.isRegularFile(p.resolve("expected.json"))).sorted().toList();
        }
    }

    /** The one {@code .hoft} file of a vector folder. */
    public static Path spoolFile(Path vectorDir) throws IOException {
        try (Stream<Path> entries = Files.list(vectorDir)) {
            List<Path> files = entries.filter(p -> p.getFileName().toString().endsWith(".hoft")).toList();
            if (files.size() != 1) {
                throw new IllegalStateException(vectorDir + " must hold exactly one .hoft file, holds " + files);
            }
            return files.get(0);
        }
    }

    public static JsonNode readJson(Path file) throws IOException {
        return JSON.readTree(Files.readAllBytes(file));
    }

    /** A node's keyring from a private key file and trust files (paths relative to the vectors folder). */
    public static Keyring keyring(String keysFile, List<String> trustFiles) throws IOException {
        NodeKeys own = NodeKeys.fromJwkSet(KeyFiles.read(dir().resolve(keysFile)));
        List<PeerKeys> peers = new ArrayList<>();
        for (String trust : trustFiles) {
            peers.add(PeerKeys.fromJwkSet(KeyFiles.read(dir().resolve(trust))));
        }
        return new Keyring(own, TrustList.of(peers));
    }

    /** The reader described by an expected.json's {@code decodeWith} member. */
    public static SpoolFileReader reader(JsonNode decodeWith) throws IOException {
        List<String> trust = new ArrayList<>();
        decodeWith.get("trust").forEach(t -> trust.add(t.asText()));
        Keyring keyring = keyring(decodeWith.get("keys").asText(), trust);
        ModePolicy policy = ModePolicy.SIGNED_ONLY;
        if (decodeWith.get("allowChecksumOnly").asBoolean()) {
            for (var peer : keyring.trust().peers()) {
                policy = policy.with(peer.node(), EnumSet.allOf(FileMode.class));
            }
        }
        return new SpoolFileReader(keyring, policy, SpoolLimits.DEFAULT, clock());
    }

    /** One frame as the description holds it: its meta bytes and its body bytes. */
    public record FrameBytes(byte[] meta, byte[] body) {}

    /** A file decoded by the Java reader: its verified header and its frames. */
    public record Decoded(SpoolFileHeader header, List<FrameBytes> frames) {}

    /** Decodes a spool file with the Java reader; the meta is re-encoded from the parsed envelope. */
    public static Decoded decode(SpoolFileReader reader, Path file) throws IOException {
        List<FrameBytes> frames = new ArrayList<>();
        try (SpoolFile spoolFile = reader.open(file, Duration.ZERO)) {
            spoolFile.readFrames((DecodedFrame frame) -> {
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                frame.body().transferTo(body);
                frames.add(new FrameBytes(MetaCodec.encode(frame.envelope()), body.toByteArray()));
            });
            return new Decoded(spoolFile.header(), frames);
        }
    }

    /** Decodes a spool file with the Java reader and describes it. */
    public static ObjectNode decodeAndDescribe(SpoolFileReader reader, Path file) throws IOException {
        Decoded decoded = decode(reader, file);
        return describe(file, decoded.header(), decoded.frames());
    }

    /**
     * The description of a spool file: its name, size and digest, the JOSE protected headers,
     * the claims, and per frame the meta JSON and the body in hex. Every value comes from the
     * given header and frames; only the protected headers are read from the file itself.
     */
    public static ObjectNode describe(Path file, SpoolFileHeader header, List<FrameBytes> frames) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ObjectNode out = JSON.createObjectNode();
        out.put("file", file.getFileName().toString());
        out.put("fileLength", bytes.length);
        out.put("fileSha256", Digests.hex(Digests.sha256(bytes)));
        out.set("protectedHeader", protectedHeader(compactHeader(bytes)));
        out.set("claims", JSON.readTree(HeaderClaimsCodec.encode(header)));
        if (header.contentKey() != null) {
            out.set("contentKeyHeader", protectedHeader(header.contentKey()));
        } else {
            out.putNull("contentKeyHeader");
        }
        ArrayNode array = out.putArray("frames");
        for (FrameBytes frame : frames) {
            ObjectNode f = array.addObject();
            f.set("meta", JSON.readTree(frame.meta()));
            f.put("bodyHex", Digests.hex(frame.body()));
        }
        return out;
    }

    /** The compact JWS header of a spool file, as the preamble locates it. */
    public static String compactHeader(byte[] file) {
        int length = ByteBuffer.wrap(file).getInt(Preamble.HEADER_LENGTH_OFFSET);
        return new String(file, Preamble.LENGTH, length, StandardCharsets.US_ASCII);
    }

    /** The decoded protected header of a compact JWS or JWE, as JSON. */
    public static JsonNode protectedHeader(String compact) throws IOException {
        try {
            JOSEObject object = compact.chars().filter(c -> c == '.').count() == 4
                    ? JWEObject.parse(compact)
                    : JOSEObject.parse(compact);
            return JSON.readTree(object.getHeader().toBase64URL().decodeToString());
        } catch (ParseException e) {
            throw new IOException("not a compact JOSE object: " + e.getMessage(), e);
        }
    }

    /** The meta bytes of an envelope as the writer encodes them. */
    public static byte[] meta(Envelope envelope) {
        return MetaCodec.encode(envelope);
    }

    /** The members of a description that a decoder must reproduce exactly. */
    public static final List<String> COMPARED = List.of(
            "file", "fileLength", "fileSha256", "protectedHeader", "claims", "contentKeyHeader", "frames");

    /** Only the compared members, re-parsed from text so that numbers compare by value. */
    public static JsonNode comparable(JsonNode description) throws IOException {
        ObjectNode out = JSON.createObjectNode();
        for (String member : COMPARED) {
            if (description.has(member)) {
                out.set(member, description.get(member));
            }
        }
        return JSON.readTree(JSON.writeValueAsBytes(out));
    }
}
