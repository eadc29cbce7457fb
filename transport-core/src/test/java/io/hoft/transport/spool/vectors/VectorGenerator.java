package io.hoft.transport.spool.vectors;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.keys.NodeKeys;
import io.hoft.transport.keys.PeerKeys;
import io.hoft.transport.keys.SharedSecret;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.message.SeqRange;
import io.hoft.transport.spool.FileMode;
import io.hoft.transport.spool.FragmentInfo;
import io.hoft.transport.spool.OlderVersions;
import io.hoft.transport.spool.OutgoingFrame;
import io.hoft.transport.spool.SendingSessions;
import io.hoft.transport.spool.SessionPolicy;
import io.hoft.transport.spool.SpoolFileWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes the SPEC.md test vectors. Run it only to replace them, and then update SPEC.md (the
 * worked example is printed to {@code target/spec-worked-example.md}):
 *
 * <pre>
 *   ./mvnw -B -q -pl transport-core test -Dtest=VectorGenerator -Dhoft.vectors.generate=true
 * </pre>
 *
 * Key files are made once and kept if present; the spool files are written anew each run and
 * differ every time (random payload keys, ECDSA and ECDH are randomised), which is why the
 * committed ones are what {@link SpecVectorsTest} checks. Every message expires in 2099, so
 * the vectors stay valid in real time too.
 */
class VectorGenerator {
    static final NodeId FRONT = NodeId.of("front");
    static final NodeId BACK = NodeId.of("back");
    static final Instant KEYS_ISSUED = Instant.parse("2026-01-01T00:00:00Z");
    static final String SHARED_KID = "front-back-shared-20260101";
    static final Instant EXPIRES = Instant.parse("2099-12-31T00:00:00Z");
    static final Instant EXPIRES_EARLIER = Instant.parse("2099-06-30T00:00:00Z");
    /** The channel epoch both nodes started their channels at. */
    static final long EPOCH = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
    /** The time part of a ULID made at {@link SpecVectors#NOW}; the rest of each id is fixed. */
    static final String ID_PREFIX = "01M81J18G0";

    static final String FRONT_KEYS = "keys/front.jwks";
    static final String BACK_KEYS = "keys/back.jwks";
    static final String FRONT_PUBLIC = "keys/front.public.jwks";
    static final String BACK_PUBLIC = "keys/back.public.jwks";
    /** The shared secret as front holds it: a trust-list entry naming back. */
    static final String SHARED_HELD_BY_FRONT = "keys/shared.held-by-front.jwks";
    /** The same secret as back holds it: a trust-list entry naming front. */
    static final String SHARED_HELD_BY_BACK = "keys/shared.held-by-back.jwks";

    @Test
    @EnabledIfSystemProperty(named = "hoft.vectors.generate", matches = "true")
    void generate() throws Exception {
        main(new String[0]);
    }

    public static void main(String[] args) throws Exception {
        Path dir = SpecVectors.dir();
        Files.createDirectories(dir.resolve("keys"));
        writeKeysIfMissing(dir);

        Keyring frontEc = SpecVectors.keyring(FRONT_KEYS, List.of(BACK_PUBLIC));
        Keyring backEc = SpecVectors.keyring(BACK_KEYS, List.of(FRONT_PUBLIC));
        Keyring frontShared = SpecVectors.keyring(FRONT_KEYS, List.of(SHARED_HELD_BY_FRONT));

        MessageId request1 = id("0000000000000001");
        MessageId request3 = id("0000000000000003");

        // 1: encrypted, ES256 + ECDH-ES+A256KW, one request with a repeated header and an obs-text byte.
        Message m1 = new Message(request1, SpecVectors.NOW, EXPIRES,
                new Envelope.Request("POST", "/api/items?x=1", "api", List.of(
                        new HeaderField("Content-Type", "application/json"),
                        new HeaderField("X-Tag", "a"),
                        new HeaderField("X-Tag", "b"),
                        HeaderField.ofBytes(ascii("X-Note"), new byte[] {'c', 'a', 'f', (byte) 0xE9}))),
                Body.ofBytes(ascii("{\"name\":\"widget\",\"qty\":3}")));
        write(dir, "1-encrypted-es256-request", "One request, encrypted for back and signed by front with ES256;"
                        + " the content key is wrapped with ECDH-ES+A256KW. Two X-Tag fields and an obs-text byte (0xE9).",
                frontEc, FileMode.SIGNED_ENCRYPTED, SpoolFileWriter.Options.DEFAULT, BACK, 1,
                List.of(OutgoingFrame.whole(m1)), decodeWith(BACK_KEYS, List.of(FRONT_PUBLIC, SHARED_HELD_BY_BACK), false));

        // 2: signed plaintext, back to front: the response, with repeated Set-Cookie and a binary body.
        Message m2 = new Message(id("0000000000000002"), SpecVectors.NOW, EXPIRES,
                new Envelope.Response(request1, 201, "Created", List.of(
                        new HeaderField("Content-Type", "application/octet-stream"),
                        new HeaderField("Set-Cookie", "a=1; Path=/"),
                        new HeaderField("Set-Cookie", "b=2; Path=/")), null),
                Body.ofBytes(new byte[] {0x00, 0x01, 0x02, (byte) 0xFF, (byte) 0xFE, 0x0D, 0x0A, (byte) 0x80, 'h', 'o', 'f', 't'}));
        write(dir, "2-signed-plaintext-response", "One response from back to front, signed with ES256, not encrypted;"
                        + " two Set-Cookie fields and a binary body.",
                backEc, FileMode.SIGNED_PLAINTEXT, SpoolFileWriter.Options.DEFAULT, FRONT, 1,
                List.of(OutgoingFrame.whole(m2)), decodeWith(FRONT_KEYS, List.of(BACK_PUBLIC, SHARED_HELD_BY_FRONT), false));

        // 3: checksum-only: an unsigned header (alg none), digests only.
        Message m3 = new Message(request3, SpecVectors.NOW, EXPIRES,
                new Envelope.Request("POST", "/echo", "api", List.of(new HeaderField("Content-Type", "text/plain"))),
                Body.ofBytes(ascii("ping\n")));
        write(dir, "3-checksum-only-request", "One request in checksum-only mode: the header is an unsecured JWS"
                        + " (alg none) and only digests protect the file; the receiver must allow this mode for front.",
                frontEc, FileMode.CHECKSUM_ONLY_UNAUTHENTICATED, SpoolFileWriter.Options.DEFAULT, BACK, 2,
                List.of(OutgoingFrame.whole(m3)), decodeWith(BACK_KEYS, List.of(FRONT_PUBLIC, SHARED_HELD_BY_BACK), true));

        // 4: encrypted, back to front, three collated messages of three kinds.
        Message m4a = new Message(id("0000000000000004"), SpecVectors.NOW, EXPIRES,
                new Envelope.Response(request3, 200, "OK", List.of(new HeaderField("Content-Type", "text/plain")), null),
                Body.ofBytes(ascii("pong\n")));
        Message m4b = new Message(id("0000000000000005"), SpecVectors.NOW, EXPIRES_EARLIER,
                new Envelope.Status(request1, "delivered", SpecVectors.NOW.toEpochMilli(), "callee answered 201"),
                Body.EMPTY);
        Message m4c = new Message(id("0000000000000006"), SpecVectors.NOW, EXPIRES_EARLIER,
                new Envelope.Ack(EPOCH, 2, List.of(new SeqRange(4, 5))), Body.EMPTY);
        write(dir, "4-encrypted-collated", "Three messages collated into one encrypted file from back to front:"
                        + " a response, a status event and an ack (file kind mix).",
                backEc, FileMode.SIGNED_ENCRYPTED, SpoolFileWriter.Options.DEFAULT, FRONT, 2,
                List.of(OutgoingFrame.whole(m4a), OutgoingFrame.whole(m4b), OutgoingFrame.whole(m4c)),
                decodeWith(FRONT_KEYS, List.of(BACK_PUBLIC, SHARED_HELD_BY_FRONT), false));

        // 5: encrypted with the shared secret (HS256 + A256KW), 4 KiB segments, a body that needs two.
        byte[] random = new byte[5000];
        new Random(5).nextBytes(random);
        Message m5 = new Message(id("0000000000000007"), SpecVectors.NOW, EXPIRES,
                new Envelope.Request("PUT", "/upload/blob.bin", "files",
                        List.of(new HeaderField("Content-Type", "application/octet-stream"))),
                Body.ofBytes(random));
        write(dir, "5-encrypted-shared-secret", "One request encrypted and signed with the shared secret"
                        + " (HS256, A256KW), in 4096-byte segments: 5000 incompressible body bytes make two segments.",
                frontShared, FileMode.SIGNED_ENCRYPTED, new SpoolFileWriter.Options(3, 4096), BACK, 3,
                List.of(OutgoingFrame.whole(m5)), decodeWith(BACK_KEYS, List.of(FRONT_PUBLIC, SHARED_HELD_BY_BACK), false));

        // 6: signed plaintext, the second of three fragments of a request body.
        Message m6 = new Message(id("0000000000000008"), SpecVectors.NOW, EXPIRES,
                new Envelope.Request("PUT", "/upload/big", "files",
                        List.of(new HeaderField("Content-Type", "text/plain"))),
                Body.ofBytes(ascii("0123456789abcdefghijABCDEFGHIJ")));
        write(dir, "6-signed-plaintext-fragment", "Fragment 2 of 3 (index 1) of a request whose 30-byte body is"
                        + " split in 10-byte slices; signed with ES256, not encrypted.",
                frontEc, FileMode.SIGNED_PLAINTEXT, SpoolFileWriter.Options.DEFAULT, BACK, 4,
                List.of(new OutgoingFrame(m6, new FragmentInfo(1, 3, 10, 30), 10, 10)),
                decodeWith(BACK_KEYS, List.of(FRONT_PUBLIC, SHARED_HELD_BY_BACK), false));

        // 7: encrypted, keyed by a session (format version 2): HS256 and A256KW under keys derived
        // from the secret that the ticket in the header carries. The session lasts as long as the
        // vectors' messages, so the vector verifies in real time too.
        Message m7 = new Message(id("0000000000000009"), SpecVectors.NOW, EXPIRES,
                new Envelope.Request("GET", "/api/items/42", "api", List.of(new HeaderField("Accept", "application/json"))),
                Body.EMPTY);
        SendingSessions sessions = new SendingSessions(frontEc,
                new SessionPolicy(true, Duration.ofHours(1), Duration.between(SpecVectors.NOW, EXPIRES)));
        write(dir, "7-session-request", "One request in a version 2 file: encrypted for back, authenticated with HS256"
                        + " and its content key wrapped with A256KW under the keys of a session whose ticket (signed by"
                        + " front with ES256, its secret wrapped for back with ECDH-ES+A256KW) is in the header.",
                frontEc, FileMode.SIGNED_ENCRYPTED, SpoolFileWriter.Options.DEFAULT, BACK, 5,
                List.of(OutgoingFrame.whole(m7)), decodeWith(BACK_KEYS, List.of(FRONT_PUBLIC, SHARED_HELD_BY_BACK), false),
                sessions, true);

        // 8 to 10: format versions 3 and 4, what writers write now: no frame digests, zstd's content checksum.
        Message m8a = new Message(id("000000000000000A"), SpecVectors.NOW, EXPIRES,
                new Envelope.Request("POST", "/api/orders", "api", List.of(new HeaderField("Content-Type", "application/json"))),
                Body.ofBytes(ascii("{\"order\":17,\"items\":[\"widget\",\"gadget\"]}")));
        Message m8b = new Message(id("000000000000000B"), SpecVectors.NOW, EXPIRES_EARLIER,
                new Envelope.Ack(EPOCH, 4, List.of()), Body.EMPTY);
        write(dir, "8-session-collated-v4", "A request and an ack collated in a version 4 file: a version 2 file (a"
                        + " session's HS256 and A256KW, the ticket in the header) without frame digests, whose zstd"
                        + " stream carries its content checksum.",
                frontEc, FileMode.SIGNED_ENCRYPTED, SpoolFileWriter.Options.DEFAULT, BACK, 6,
                List.of(OutgoingFrame.whole(m8a), OutgoingFrame.whole(m8b)),
                decodeWith(BACK_KEYS, List.of(FRONT_PUBLIC, SHARED_HELD_BY_BACK), false), sessions, false);
        Message m9 = new Message(id("000000000000000C"), SpecVectors.NOW, EXPIRES,
                new Envelope.Response(id("000000000000000A"), 200, "OK",
                        List.of(new HeaderField("Content-Type", "application/json")), null),
                Body.ofBytes(ascii("{\"order\":17,\"state\":\"accepted\"}")));
        write(dir, "9-signed-plaintext-v3", "One response from back to front in a version 3 file: signed with ES256, not"
                        + " encrypted, no frame digest; the payload digest alone binds the frame.",
                backEc, FileMode.SIGNED_PLAINTEXT, SpoolFileWriter.Options.DEFAULT, FRONT, 3,
                List.of(OutgoingFrame.whole(m9)), decodeWith(FRONT_KEYS, List.of(BACK_PUBLIC, SHARED_HELD_BY_FRONT), false),
                null, false);
        Message m10 = new Message(id("000000000000000D"), SpecVectors.NOW, EXPIRES,
                new Envelope.Request("POST", "/echo", "api", List.of(new HeaderField("Content-Type", "text/plain"))),
                Body.ofBytes(ascii("ping again\n")));
        write(dir, "10-checksum-only-v3", "One request in checksum-only mode in a version 3 file: an unsecured header,"
                        + " the payload digest and zstd's content checksum only.",
                frontEc, FileMode.CHECKSUM_ONLY_UNAUTHENTICATED, SpoolFileWriter.Options.DEFAULT, BACK, 7,
                List.of(OutgoingFrame.whole(m10)), decodeWith(BACK_KEYS, List.of(FRONT_PUBLIC, SHARED_HELD_BY_BACK), true),
                null, false);

        Path example = Paths.get("target", "spec-worked-example.md");
        Files.createDirectories(example.getParent());
        Files.writeString(example, WorkedExample.markdown(dir.resolve("1-encrypted-es256-request")));
        System.out.println("vectors written to " + dir.toAbsolutePath() + "; worked example in " + example.toAbsolutePath());
    }

    private static void writeKeysIfMissing(Path dir) throws IOException {
        if (Files.exists(dir.resolve(FRONT_KEYS))) {
            return;
        }
        NodeKeys front = NodeKeys.generate(FRONT, KEYS_ISSUED);
        NodeKeys back = NodeKeys.generate(BACK, KEYS_ISSUED);
        OctetSequenceKey shared = SharedSecret.generate(SHARED_KID, KEYS_ISSUED);
        KeyFiles.writePrivate(dir.resolve(FRONT_KEYS), front.toJwkSet(), false);
        KeyFiles.writePrivate(dir.resolve(BACK_KEYS), back.toJwkSet(), false);
        KeyFiles.writePublic(dir.resolve(FRONT_PUBLIC), front.publicKeys().toJwkSet(), false);
        KeyFiles.writePublic(dir.resolve(BACK_PUBLIC), back.publicKeys().toJwkSet(), false);
        KeyFiles.writePrivate(dir.resolve(SHARED_HELD_BY_FRONT), sharedSet(BACK, shared), false);
        KeyFiles.writePrivate(dir.resolve(SHARED_HELD_BY_BACK), sharedSet(FRONT, shared), false);
    }

    private static JWKSet sharedSet(NodeId peer, OctetSequenceKey secret) {
        return PeerKeys.sharedSecret(peer, secret).toJwkSet();
    }

    private static ObjectNode decodeWith(String keys, List<String> trust, boolean allowChecksumOnly) {
        ObjectNode node = SpecVectors.JSON.createObjectNode();
        node.put("keys", keys);
        ArrayNode array = node.putArray("trust");
        trust.forEach(array::add);
        node.put("allowChecksumOnly", allowChecksumOnly);
        node.put("now", SpecVectors.NOW.toEpochMilli());
        return node;
    }

    private static void write(Path dir, String name, String description, Keyring keyring, FileMode mode,
            SpoolFileWriter.Options options, NodeId recipient, long seq, List<OutgoingFrame> frames,
            ObjectNode decodeWith) throws IOException {
        write(dir, name, description, keyring, mode, options, recipient, seq, frames, decodeWith, null, true);
    }

    /**
     * Writes one vector, keyed by {@code sessions} or signed on its own (null), in the older
     * format versions 1 and 2 ({@code olderVersion}: vectors 1 to 7) or in versions 3 and 4. A
     * vector whose folder exists is kept as it is, so a new vector can be added without changing
     * the others; {@code -Dhoft.vectors.all=true} writes every one afresh.
     */
    private static void write(Path dir, String name, String description, Keyring keyring, FileMode mode,
            SpoolFileWriter.Options options, NodeId recipient, long seq, List<OutgoingFrame> frames,
            ObjectNode decodeWith, SendingSessions sessions, boolean olderVersion) throws IOException {
        Path vectorDir = dir.resolve(name);
        if (Files.isDirectory(vectorDir) && !Boolean.getBoolean("hoft.vectors.all")) {
            return;
        }
        Files.createDirectories(vectorDir);
        try (Stream<Path> old = Files.list(vectorDir)) {
            for (Path p : old.toList()) {
                Files.delete(p);
            }
        }
        SpoolFileWriter writer = new SpoolFileWriter(keyring, mode, options, SpecVectors.clock(), Disk.REAL, sessions);
        writer = olderVersion ? OlderVersions.writer(writer) : writer;
        SpoolFileWriter.WrittenFile written = writer.write(new SpoolFileWriter.Address(recipient, EPOCH, seq), frames, vectorDir);
        Path file = writer.publish(written, vectorDir);

        // The expectation comes from what was written (the writer's header and the inputs), not from decoding.
        List<SpecVectors.FrameBytes> inputs = new ArrayList<>();
        for (OutgoingFrame frame : frames) {
            byte[] body;
            try (InputStream in = frame.message().body().open()) {
                in.skipNBytes(frame.bodyOffset());
                body = in.readNBytes((int) frame.bodyLength());
            }
            inputs.add(new SpecVectors.FrameBytes(SpecVectors.meta(frame.message().envelope()), body));
        }
        ObjectNode expected = SpecVectors.JSON.createObjectNode();
        expected.put("description", description);
        expected.set("decodeWith", decodeWith);
        expected.setAll(SpecVectors.describe(file, written.header(), inputs));
        Files.write(vectorDir.resolve("expected.json"), (SpecVectors.JSON.writeValueAsString(expected) + "\n")
                .getBytes(StandardCharsets.UTF_8));
    }

    private static MessageId id(String suffix) {
        return MessageId.of(ID_PREFIX + suffix);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
