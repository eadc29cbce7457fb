package io.hoft.transport.spool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrowsExactly;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.luben.zstd.Zstd;
import com.nimbusds.jose.util.Base64URL;
import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.keys.NodeKeys;
import io.hoft.transport.keys.TrustList;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.spool.SpoolFileException.Disposition;
import io.hoft.transport.spool.internal.JoseHeader;
import io.hoft.transport.spool.internal.Preamble;
import io.hoft.transport.testing.Codec;
import io.hoft.transport.testing.FileForge;
import io.hoft.transport.testing.FuzzSeeds;
import io.hoft.transport.testing.MutableClock;
import io.hoft.transport.testing.TestNodes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One hand-built malformed input per decoding rule (Netty's {@code SnappyFrameDecoderTest},
 * Okio's {@code GzipSourceTest}), each asserting the exact exception type and the words of its
 * message that name the rule. Inputs are made by {@link FileForge} from a valid file, so the
 * rule under test is the only one broken: a changed claim is re-signed with front's real key and
 * the preamble's digest is recomputed unless the test is about them. Every input is decoded
 * both from a path and from a stream, and both must fail the same way.
 */
class MalformedInputTest {
    private static final Duration SETTLE = Duration.ofSeconds(2);
    /** A third node that front and, in some tests, back know. */
    private static final NodeKeys OTHER = NodeKeys.generate(NodeId.of("other"), Instant.parse("2026-01-01T00:00:00Z"));

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Codec.NOW);
    private Codec plaintext;
    private Codec encrypted;
    private Path plainFile;
    private Path encryptedFile;
    private int forged;

    @BeforeEach
    void setUp() throws IOException {
        plaintext = new Codec(FileMode.SIGNED_PLAINTEXT, TestNodes.Keys.EC);
        encrypted = new Codec(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.EC);
        plainFile = plaintext.write(Files.createDirectory(dir.resolve("plain")), hello());
        encryptedFile = encrypted.write(Files.createDirectory(dir.resolve("encrypted")), hello());
    }

    // ---- preamble ----

    @Test
    void badMagicIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "bad magic",
                FileForge.of(plainFile).preamble(p -> p.put(Preamble.MAGIC_OFFSET, (byte) 'h')));
    }

    @Test
    void versionFiveInThePreambleIsUnsupported() throws IOException {
        SpoolFileException e = assertRejected(UnsupportedVersionException.class, "format version 5 is not supported",
                FileForge.of(plainFile).preamble(p -> p.put(Preamble.VERSION_OFFSET, (byte) 5)));
        assertEquals(Disposition.QUARANTINE, e.disposition());
    }

    @Test
    void aVersionOneFileRelabelledVersionTwoIsMalformedForLackOfASession() throws IOException {
        assertRejected(MalformedFileException.class, "a version 2 header has no hoft-session member",
                FileForge.of(plainFile).preamble(p -> p.put(Preamble.VERSION_OFFSET, (byte) 2)));
    }

    @Test
    void nonzeroReservedBytesAreMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "reserved preamble bytes are not zero",
                FileForge.of(plainFile).preamble(p -> p.put(Preamble.RESERVED_OFFSET + 2, (byte) 1)));
    }

    @Test
    void headerLengthZeroIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "header length is zero",
                FileForge.of(plainFile).preamble(p -> p.putInt(Preamble.HEADER_LENGTH_OFFSET, 0)));
    }

    @Test
    void headerLengthOverTheCapIsTooLargeBeforeAnythingIsRead() throws IOException {
        int cap = SpoolLimits.DEFAULT.maxHeaderBytes();
        assertRejected(TooLargeException.class, "header of " + (cap + 1) + " bytes is over the cap of " + cap,
                FileForge.of(plainFile).preamble(p -> p.putInt(Preamble.HEADER_LENGTH_OFFSET, cap + 1)));
        // An unsigned 32-bit length near 4 GiB must not turn negative on the way to the cap check.
        assertRejected(TooLargeException.class, "header of 4294967295 bytes is over the cap",
                FileForge.of(plainFile).preamble(p -> p.putInt(Preamble.HEADER_LENGTH_OFFSET, -1)));
    }

    @Test
    void payloadOffsetThatDoesNotFitTheHeaderIsMalformed() throws IOException {
        int headerLength = FileForge.of(plainFile).header().length;
        assertRejected(MalformedFileException.class, "does not fit header length " + headerLength,
                FileForge.of(plainFile).preamble(p -> p.putInt(Preamble.PAYLOAD_OFFSET_OFFSET, Preamble.LENGTH + headerLength - 1)));
        assertRejected(MalformedFileException.class, "(padding must be 0 to 4096)",
                FileForge.of(plainFile).padding(new byte[Preamble.MAX_PADDING + 1]));
    }

    @Test
    void nonzeroPaddingIsMalformed() throws IOException {
        byte[] padding = new byte[12];
        padding[11] = 1;
        assertRejected(MalformedFileException.class, "header padding is not zero", FileForge.of(plainFile).padding(padding));
    }

    @Test
    void headerDigestMismatchIsCorruptAndQuarantined() throws IOException {
        SpoolFileException e = assertRejected(CorruptFileException.class, "header does not match the digest in the preamble",
                FileForge.of(plainFile).preamble(p -> p.put(Preamble.HEADER_SHA256_OFFSET + 31, (byte) 0x5a)));
        assertFalse(e.verifiedHeader().isPresent());
        assertEquals(Disposition.QUARANTINE, e.disposition());
    }

    // ---- the JWS ----

    @Test
    void nonAsciiByteInTheHeaderIsMalformed() throws IOException {
        byte[] header = FileForge.of(plainFile).header();
        header[header.length / 2] = (byte) 0xc3;
        assertRejected(MalformedFileException.class, "header has a byte that cannot be in a compact JWS",
                FileForge.of(plainFile).header(header));
    }

    @Test
    void headerThatIsNotACompactJwsIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "header is not a compact JWS",
                FileForge.of(plainFile).header("not-a-jws".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void headerThatIsACompactJweIsMalformed() throws IOException {
        String jwe = FileForge.of(encryptedFile).claims().get("encryption").get("key").asText();
        assertRejected(MalformedFileException.class, "header is a JWE, not a JWS",
                FileForge.of(plainFile).header(jwe.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void missingTypIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "header typ must be \"hoft-header\"",
                FileForge.of(plainFile).jose(j -> j.remove("typ")));
    }

    @Test
    void wrongTypIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "header typ must be \"hoft-header\"",
                FileForge.of(plainFile).jose(j -> j.put("typ", "JWT")));
    }

    @Test
    void extraJwsHeaderParameterIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "JWS header has unexpected parameter \"cty\"",
                FileForge.of(plainFile).jose(j -> j.put("cty", "json")));
    }

    @Test
    void jwsHeaderWithoutAlgIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "header is not a compact JWS",
                FileForge.of(plainFile).jose(j -> j.remove("alg")));
    }

    @Test
    void nonCanonicalBase64urlInTheSignatureIsMalformedThoughItDecodesToTheSameBytes() throws IOException {
        // 64 signature bytes are 86 characters; the last one's low 4 bits encode nothing.
        byte[] header = FileForge.of(plainFile).header();
        header[header.length - 1] = (byte) withUnusedBitsSet((char) header[header.length - 1]);
        assertRejected(MalformedFileException.class, "header part 3 is not canonical base64url: the unused bits of its last"
                + " character are not zero", FileForge.of(plainFile).header(header));
    }

    @Test
    void contentKeyInNonCanonicalBase64urlIsMalformed() throws IOException {
        String jwe = FileForge.of(encryptedFile).claims().get("encryption").get("key").asText();
        String spelled = jwe.substring(0, jwe.length() - 1) + withUnusedBitsSet(jwe.charAt(jwe.length() - 1));
        SpoolFileException e = assertRejected(MalformedFileException.class,
                "claims.encryption.key part 5 is not canonical base64url",
                FileForge.of(encryptedFile).claims(c -> encryption(c).put("key", spelled)));
        assertEquals(Disposition.NACK, e.disposition());
    }

    @Test
    void claimsStartingWithAByteOrderMarkAreMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "header claims starts with a byte order mark",
                FileForge.of(plainFile).claimsText(json -> "\uFEFF" + json));
    }

    @Test
    void metaInUtf16IsMalformed() throws IOException {
        byte[] meta = requestMeta("[]").getBytes(StandardCharsets.UTF_16LE);
        byte[] body = "hello".getBytes(StandardCharsets.US_ASCII);
        assertRejected(MalformedFileException.class, "frame meta is not UTF-8 JSON: a NUL byte at 1",
                FileForge.of(plainFile).plainPayload(FileForge.concat(meta, body)).claims(c -> describeFrame0(c, meta, body)));
    }

    /** The base64url character with the same high bits as {@code c} and its lowest bit set. */
    private static char withUnusedBitsSet(char c) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        return alphabet.charAt(alphabet.indexOf(c) | 1);
    }

    @Test
    void unknownKidIsSpoofedAndQuarantined() throws IOException {
        SpoolFileException e = assertRejected(SpoofedFileException.class,
                "signed with kid front-sig-19700101-000000, which is not a valid trusted key",
                FileForge.of(plainFile).jose(j -> j.put("kid", "front-sig-19700101-000000")));
        assertFalse(e.verifiedHeader().isPresent());
        assertEquals(Disposition.QUARANTINE, e.disposition());
    }

    @Test
    void signedWithoutKidIsSpoofed() throws IOException {
        assertRejected(SpoofedFileException.class, "header is signed without a kid",
                FileForge.of(plainFile).jose(j -> j.remove("kid")));
    }

    @Test
    void fileFromAnImpostorClaimingToBeFrontIsSpoofed() throws IOException {
        Keyring impostor = TestNodes.impostorFront();
        Path file = write(impostor, FileMode.SIGNED_ENCRYPTED, TestNodes.BACK, hello());
        assertRejected(SpoofedFileException.class, "which is not a valid trusted key", FileForge.of(file));

        // The impostor naming front's real kid gets no further: its signature does not verify with that key.
        String frontKid = TestNodes.frontKeys().signingKeys().get(0).getKeyID();
        SpoolFileException e = assertRejected(SpoofedFileException.class, "signature does not verify with key " + frontKid,
                FileForge.of(file).signedBy(impostor.signingFor(TestNodes.BACK, Codec.NOW)).jose(j -> j.put("kid", frontKid)));
        assertFalse(e.verifiedHeader().isPresent());
    }

    @Test
    void signatureAlgorithmOtherThanEs256OrHs256IsSpoofed() throws IOException {
        assertRejected(SpoofedFileException.class, "signature algorithm ES384 is not accepted",
                FileForge.of(plainFile).jose(j -> j.put("alg", "ES384")));
    }

    @Test
    void hmacSignatureNamingAnEcKidIsSpoofed() throws IOException {
        String frontKid = TestNodes.frontKeys().signingKeys().get(0).getKeyID();
        Keyring.Signing hmac = TestNodes.front(TestNodes.Keys.SHARED_SECRET).signingFor(TestNodes.BACK, Codec.NOW);
        assertRejected(SpoofedFileException.class, "kid " + frontKid + " is a ES256 key, not HS256",
                FileForge.of(plainFile).signedBy(hmac).jose(j -> j.put("kid", frontKid)));
    }

    @Test
    void signerThatIsNotTheNamedSenderIsSpoofed() throws IOException {
        Keyring backTrustingOther = new Keyring(TestNodes.backKeys(),
                TrustList.of(TestNodes.frontKeys().publicKeys(), OTHER.publicKeys()));
        Keyring.Signing other = new Keyring(OTHER, TrustList.of(TestNodes.backKeys().publicKeys()))
                .signingFor(TestNodes.BACK, Codec.NOW);
        assertRejected(SpoofedFileException.class, "signed by a key of other but claims to be from front",
                reader(backTrustingOther, ModePolicy.SIGNED_ONLY, SpoolLimits.DEFAULT),
                FileForge.of(plainFile).signedBy(other));
    }

    @Test
    void unsignedFileIsSpoofedWhenThePolicyDoesNotAllowChecksumOnly() throws IOException {
        Codec checksumOnly = new Codec(FileMode.CHECKSUM_ONLY_UNAUTHENTICATED, TestNodes.Keys.EC);
        Path file = checksumOnly.write(Files.createDirectory(dir.resolve("checksum")), hello());
        SpoolFileException e = assertRejected(SpoofedFileException.class,
                "unsigned file claiming to be from front, which is not allowed to send checksum-only-unauthenticated files",
                FileForge.of(file));
        assertEquals(Disposition.QUARANTINE, e.disposition());
    }

    @Test
    void unsignedHeaderClaimingASignedModeIsSpoofed() throws IOException {
        assertRejected(SpoofedFileException.class, "header is unsigned but claims mode signed-plaintext",
                reader(TestNodes.back(), TestNodes.backPolicyAcceptingChecksumOnly(), SpoolLimits.DEFAULT),
                FileForge.of(plainFile).unsigned());
    }

    @Test
    void signedHeaderClaimingChecksumOnlyIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "signed header claims mode checksum-only-unauthenticated",
                reader(TestNodes.back(), TestNodes.backPolicyAcceptingChecksumOnly(), SpoolLimits.DEFAULT),
                FileForge.of(plainFile).claims(c -> c.put("mode", FileMode.CHECKSUM_ONLY_UNAUTHENTICATED.wireName())));
    }

    @Test
    void signedModeTheReceiverDoesNotAcceptFromThatSenderIsSpoofed() throws IOException {
        ModePolicy encryptedOnly = ModePolicy.SIGNED_ONLY.with(TestNodes.FRONT, EnumSet.of(FileMode.SIGNED_ENCRYPTED));
        assertRejected(SpoofedFileException.class, "signed-plaintext files from front are not accepted",
                reader(TestNodes.back(), encryptedOnly, SpoolLimits.DEFAULT), FileForge.of(plainFile));
    }

    // ---- the claims ----

    @Test
    void unknownClaimsFieldIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims has unknown field \"extra\"",
                FileForge.of(plainFile).claims(c -> c.put("extra", 1)));
    }

    @Test
    void duplicateJsonKeyIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "Duplicate field 'seq'",
                FileForge.of(plainFile).claimsText(json -> json.replaceFirst("\\{", "{\"seq\":1,")));
    }

    @Test
    void trailingJsonAfterTheClaimsIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "header claims is not valid JSON",
                FileForge.of(plainFile).claimsText(json -> json + "{}"));
    }

    @Test
    void missingFieldIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims.epoch is missing",
                FileForge.of(plainFile).claims(c -> c.remove("epoch")));
    }

    @Test
    void wrongTypeIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims.seq must be a non-negative integer",
                FileForge.of(plainFile).claims(c -> c.put("seq", "1")));
    }

    @Test
    void fractionalNumberIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims.created must be a non-negative integer",
                FileForge.of(plainFile).claims(c -> c.put("created", c.get("created").asLong() + 0.5)));
        assertRejected(MalformedFileException.class, "claims.frames[0].bodyLength must be a non-negative integer",
                FileForge.of(plainFile).claimsText(json -> json.replace("\"bodyLength\":5", "\"bodyLength\":5.0")));
    }

    @Test
    void negativeNumberIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims.epoch must be a non-negative integer",
                FileForge.of(plainFile).claims(c -> c.put("epoch", -1)));
    }

    @Test
    void sequenceNumberZeroIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims.seq must be at least 1 in a file with data frames",
                FileForge.of(plainFile).claims(c -> c.put("seq", 0)));
    }

    @Test
    void invalidNodeIdIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims.recipient is not a valid node id",
                FileForge.of(plainFile).claims(c -> c.put("recipient", "../back")));
    }

    @Test
    void unknownModeIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims.mode is not a known mode",
                FileForge.of(plainFile).claims(c -> c.put("mode", "rot13")));
    }

    @Test
    void unknownKindIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims.frames[0].kind is not a known message kind",
                FileForge.of(plainFile).claims(c -> frame0(c).put("kind", "fax")));
    }

    @Test
    void claimsVersionThatDiffersFromThePreambleIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims.hoft 4 differs from the preamble's version",
                FileForge.of(plainFile).claims(c -> c.put("hoft", 4)));
        assertRejected(MalformedFileException.class, "claims.hoft 2 differs from the preamble's version",
                FileForge.of(olderVersionFile(plaintext, "older")).claims(c -> c.put("hoft", 2)));
    }

    @Test
    void aFrameDigestInAVersionThreeFileIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims.frames[0] has unknown field \"sha256\"",
                FileForge.of(plainFile).claims(c -> frame0(c).put("sha256", FileForge.sha256Hex(new byte[0]))));
    }

    @Test
    void aVersionOneFrameWithoutItsDigestIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims.frames[0].sha256 is missing",
                FileForge.of(olderVersionFile(plaintext, "older")).claims(c -> frame0(c).remove("sha256")));
    }

    @Test
    void emptyFramesAreMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims.frames must be a non-empty array",
                FileForge.of(plainFile).claims(c -> c.putArray("frames")));
    }

    @Test
    void repeatedFrameIdIsMalformed() throws IOException {
        Path file = plaintext.write(Files.createDirectory(dir.resolve("two")), hello(1), hello(2));
        assertRejected(MalformedFileException.class, "claims.frames[1].id repeats an earlier frame's id",
                FileForge.of(file).claims(c -> frame(c, 1).put("id", frame0(c).get("id").asText())));
    }

    @Test
    void frameDigestThatIsNotLowercaseHexIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims.frames[0].sha256 must be 64 lowercase hex digits",
                FileForge.of(olderVersionFile(plaintext, "older"))
                        .claims(c -> frame0(c).put("sha256", frame0(c).get("sha256").asText().toUpperCase())));
    }

    @Test
    void compressionOtherThanZstdIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims.payload.compression must be \"zstd\"",
                FileForge.of(plainFile).claims(c -> ((ObjectNode) c.get("payload")).put("compression", "gzip")));
    }

    @Test
    void tooManyFramesIsTooLarge() throws IOException {
        Path file = plaintext.write(Files.createDirectory(dir.resolve("three")), hello(1), hello(2), hello(3));
        SpoolLimits twoFrames = limits(2, 1024 * 1024, 64, SpoolLimits.DEFAULT.maxPlainBytes());
        assertRejected(TooLargeException.class, "file has 3 frames, more than the cap of 2",
                reader(TestNodes.back(), ModePolicy.SIGNED_ONLY, twoFrames), FileForge.of(file));
    }

    @Test
    void metaOverTheCapIsTooLarge() throws IOException {
        Message big = plaintext.request(new byte[1], new HeaderField("X-Padding", "x".repeat(300)));
        Path file = plaintext.write(Files.createDirectory(dir.resolve("big-meta")), big);
        SpoolLimits smallMeta = limits(16, 256, 64, SpoolLimits.DEFAULT.maxPlainBytes());
        assertRejected(TooLargeException.class, "bytes of meta, over the cap of 256",
                reader(TestNodes.back(), ModePolicy.SIGNED_ONLY, smallMeta), FileForge.of(file));
    }

    @Test
    void decompressedSizeOverTheCapIsTooLarge() throws IOException {
        Path file = plaintext.write(Files.createDirectory(dir.resolve("big-body")), plaintext.request(new byte[4000]));
        SpoolLimits smallPlain = limits(16, 1024, 64, 2048);
        assertRejected(TooLargeException.class, "frames declare more than the cap of 2048 decompressed bytes",
                reader(TestNodes.back(), ModePolicy.SIGNED_ONLY, smallPlain), FileForge.of(file));
    }

    @Test
    void fileOverTheCapIsTooLarge() throws IOException {
        Path file = plaintext.write(Files.createDirectory(dir.resolve("big-file")), plaintext.request(randomBytes(4000)));
        SpoolLimits smallFile = SpoolLimits.DEFAULT.toBuilder().maxFrames(16).maxMetaBytes(1024).maxFileBytes(2048)
                .maxPlainBytes(1 << 20).maxFragments(64).maxBodyBytes(1 << 20).build();
        assertRejected(TooLargeException.class, "bytes is over the cap of 2048",
                reader(TestNodes.back(), ModePolicy.SIGNED_ONLY, smallFile), FileForge.of(file));
    }

    @Test
    void fragmentCountOverTheCapIsTooLarge() throws IOException {
        Message message = plaintext.request(randomBytes(3000));
        List<OutgoingFrame> fragments = Fragmenter.split(message, 1000);
        Path file = plaintext.write(Files.createDirectory(dir.resolve("fragment")), 1, List.of(fragments.get(0)));
        SpoolLimits twoFragments = limits(16, 1024, 2, SpoolLimits.DEFAULT.maxPlainBytes());
        assertRejected(TooLargeException.class, "claims.frames[0].fragment.count 3 is over the cap of 2",
                reader(TestNodes.back(), ModePolicy.SIGNED_ONLY, twoFragments), FileForge.of(file));
    }

    @Test
    void twoFragmentsInOneFileAreMalformed() throws IOException {
        Path file = plaintext.write(Files.createDirectory(dir.resolve("two-fragments")), hello(1), hello(2));
        assertRejected(MalformedFileException.class, "claims.frames[1] is a second fragment; a file carries at most one",
                FileForge.of(file).claims(c -> {
                    fragment(frame0(c), 0, 2, 0, 10);
                    fragment(frame(c, 1), 1, 2, 5, 10);
                }));
    }

    @Test
    void fragmentReachingBeyondItsTotalLengthIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims.frames[0].fragment covers bytes beyond totalLength",
                FileForge.of(plainFile).claims(c -> fragment(frame0(c), 1, 2, 6, 10)));
    }

    @Test
    void fragmentOfAControlMessageIsMalformed() throws IOException {
        Message beat = Message.of(MessageId.of("beat"), Codec.NOW, Codec.NOW.plusSeconds(60), new Envelope.Heartbeat(1000, 0, 1));
        Path file = plaintext.write(Files.createDirectory(dir.resolve("beat")), beat);
        assertRejected(MalformedFileException.class, "is a fragment of a heartbeat; only bodies are fragmented",
                FileForge.of(file).claims(c -> fragment(frame0(c), 0, 2, 0, 0)));
    }

    @Test
    void expiresThatIsNotTheLatestFrameExpiryIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims.expires must equal the latest expires of its frames",
                FileForge.of(plainFile).claims(c -> c.put("expires", c.get("expires").asLong() + 1)));
    }

    @Test
    void createdAfterExpiresIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims.frames[0].created is after its expires",
                FileForge.of(plainFile).claims(c -> frame0(c).put("created", frame0(c).get("expires").asLong() + 1)));
    }

    @Test
    void encryptionObjectInAPlaintextFileIsMalformed() throws IOException {
        ObjectNode encryption = (ObjectNode) FileForge.of(encryptedFile).claims().get("encryption");
        assertRejected(MalformedFileException.class, "claims.encryption must be present exactly when mode is \"encrypted\"",
                FileForge.of(plainFile).claims(c -> c.set("encryption", encryption)));
        assertRejected(MalformedFileException.class, "claims.encryption must be present exactly when mode is \"encrypted\"",
                FileForge.of(encryptedFile).claims(c -> c.remove("encryption")));
    }

    @Test
    void segmentSizeThatIsNotAPowerOfTwoIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims.encryption.segmentSize must be a power of two",
                FileForge.of(encryptedFile).claims(c -> encryption(c).put("segmentSize", 65535)));
        assertRejected(MalformedFileException.class, "claims.encryption.segmentSize must be an integer in [4096, 1048576]",
                FileForge.of(encryptedFile).claims(c -> encryption(c).put("segmentSize", 2048)));
    }

    @Test
    void encryptionAlgorithmOtherThanStreamIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims.encryption.algorithm must be \"A256GCM-STREAM\"",
                FileForge.of(encryptedFile).claims(c -> encryption(c).put("algorithm", "A256CBC")));
    }

    // ---- addressing, time, the content key ----

    @Test
    void fileAddressedToAnotherNodeIsMisaddressed() throws IOException {
        Keyring frontTrustingOther = TestNodes.frontTrustingOther(OTHER);
        Path file = write(frontTrustingOther, FileMode.SIGNED_ENCRYPTED, OTHER.node(), hello());
        SpoolFileException e = assertRejected(MisaddressedFileException.class, "addressed to other, not to back", FileForge.of(file));
        assertEquals(OTHER.node(), e.verifiedHeader().orElseThrow().recipient());
        assertEquals(TestNodes.FRONT, e.verifiedHeader().orElseThrow().sender());
        assertEquals(Disposition.QUARANTINE, e.disposition());
    }

    @Test
    void expiredFileIsDiscarded() throws IOException {
        clock.advance(Duration.ofHours(1).plusMillis(1));
        SpoolFileException e = assertRejected(ExpiredFileException.class, "expired at 2026-11-22T13:00:00Z", FileForge.of(plainFile));
        assertEquals(Disposition.DISCARD, e.disposition());
        assertTrue(e.verifiedHeader().isPresent());
    }

    @Test
    void fileIsStillAcceptedAtTheMillisecondItExpires() throws IOException {
        clock.advance(Duration.ofHours(1));
        decode(reader(), plainFile);
    }

    @Test
    void contentKeyWrappedForAKidBackDoesNotHoldIsMalformedAndNacked() throws IOException {
        byte[] key = randomBytes(32);
        Keyring.Wrapping forOther = new Keyring(TestNodes.frontKeys(), TrustList.of(OTHER.publicKeys()))
                .wrappingFor(OTHER.node(), Codec.NOW);
        String otherKid = OTHER.agreementKeys().get(0).getKeyID();
        SpoolFileException e = assertRejected(MalformedFileException.class,
                "content key is wrapped for kid " + otherKid + ", which this node does not hold",
                FileForge.of(encryptedFile).claims(c -> encryption(c).put("key", JoseHeader.wrapContentKey(key, forOther))));
        assertEquals(Disposition.NACK, e.disposition());
        assertTrue(e.verifiedHeader().isPresent());
    }

    @Test
    void contentKeyThatDoesNotDecryptIsCorrupt() throws IOException {
        String jwe = FileForge.of(encryptedFile).claims().get("encryption").get("key").asText();
        String[] parts = jwe.split("\\.");
        char c = parts[3].charAt(0);
        parts[3] = (c == 'A' ? 'B' : 'A') + parts[3].substring(1);
        String broken = String.join(".", parts);
        SpoolFileException e = assertRejected(CorruptFileException.class, "content key does not decrypt",
                FileForge.of(encryptedFile).claims(cl -> encryption(cl).put("key", broken)));
        assertEquals(Disposition.NACK, e.disposition());
    }

    @Test
    void contentKeyThatIsNotACompactJweIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "claims.encryption.key is not a compact JWE",
                FileForge.of(encryptedFile).claims(c -> encryption(c).put("key", "abc.def")));
    }

    @Test
    void contentKeyJweWithoutEncIsMalformed() throws IOException {
        String jwe = FileForge.of(encryptedFile).claims().get("encryption").get("key").asText();
        String[] parts = jwe.split("\\.", -1);
        ObjectNode protectedHeader = (ObjectNode) StrictJson.MAPPER.readTree(
                new Base64URL(parts[0]).decodeToString());
        protectedHeader.remove("enc");
        parts[0] = Base64URL.encode(protectedHeader.toString()).toString();
        String withoutEnc = String.join(".", parts);
        SpoolFileException e = assertRejected(MalformedFileException.class, "claims.encryption.key is not a compact JWE",
                FileForge.of(encryptedFile).claims(c -> encryption(c).put("key", withoutEnc)));
        assertEquals(Disposition.NACK, e.disposition());
    }

    // ---- the payload ----

    @Test
    void metaThatIsNotValidForItsKindIsMalformedAndNacked() throws IOException {
        for (Path file : List.of(plainFile, encryptedFile)) {
            // A heartbeat's meta where the claims say request.
            SpoolFileException e = assertRejected(MalformedFileException.class, "frame 0 (hello-1): meta.",
                    withFrame0(file, "{\"intervalMillis\":5}", "hello"));
            assertContains("is missing", e);
            assertEquals(Disposition.NACK, e.disposition());
            assertEquals(TestNodes.FRONT, e.verifiedHeader().orElseThrow().sender());
            // A request's meta with a heartbeat's field added.
            assertRejected(MalformedFileException.class, "frame 0 (hello-1): meta has unknown field \"intervalMillis\"",
                    withFrame0(file, requestMeta("[]").replace("}", ",\"intervalMillis\":5}"), "hello"));
        }
    }

    @Test
    void metaThatIsNotJsonIsMalformed() throws IOException {
        assertRejected(MalformedFileException.class, "frame meta is not valid JSON", withFrame0(plainFile, "{method:", "hello"));
    }

    @Test
    void headerFieldValueWithCrLfIsMalformed() throws IOException {
        String meta = requestMeta("[[\"X-A\",\"a\\r\\nX-Injected: 1\"]]");
        assertRejected(MalformedFileException.class, "meta.headers[0]: header X-A has a forbidden character at 1",
                withFrame0(plainFile, meta, "hello"));
    }

    @Test
    void headerFieldValueAboveU00ffIsMalformed() throws IOException {
        String meta = requestMeta("[[\"X-A\",\"ok\\u0100\"]]");
        assertRejected(MalformedFileException.class, "meta.headers[0] has a character above U+00FF at 2",
                withFrame0(plainFile, meta, "hello"));
    }

    @Test
    void headerFieldNameWithAColonIsMalformed() throws IOException {
        String meta = requestMeta("[[\"X:A\",\"1\"]]");
        assertRejected(MalformedFileException.class, "meta.headers[0]: header name has a forbidden character at 1",
                withFrame0(plainFile, meta, "hello"));
    }

    @Test
    void bytesAfterTheDeclaredEndAreMalformed() throws IOException {
        byte[] file = FileForge.concat(Files.readAllBytes(encryptedFile), new byte[] {0});
        Path path = Files.write(dir.resolve("longer.hoft"), file);
        SpoolFileException fromPath = assertThrowsExactly(MalformedFileException.class, () -> decode(reader(), path));
        assertContains("1 bytes follow the declared end of the file", fromPath);
        assertEquals(Disposition.NACK, fromPath.disposition());
        SpoolFileException fromStream = assertThrowsExactly(MalformedFileException.class,
                () -> decode(reader().open(new ByteArrayInputStream(file))));
        assertContains("bytes follow the declared end of the file", fromStream);
    }

    @Test
    void payloadThatDecompressesToMoreThanItsFramesDeclareIsMalformed() throws IOException {
        byte[] meta = requestMeta("[]").getBytes(StandardCharsets.UTF_8);
        byte[] body = "hello".getBytes(StandardCharsets.US_ASCII);
        for (Path file : List.of(plainFile, encryptedFile)) {
            assertRejected(MalformedFileException.class, "payload decompresses to more bytes than its frames declare",
                    FileForge.of(file)
                            .plainPayload(FileForge.concat(meta, body, "and more".getBytes(StandardCharsets.US_ASCII)))
                            .claims(c -> describeFrame0(c, meta, body)));
        }
    }

    @Test
    void payloadThatDecompressesToLessThanItsFramesDeclareIsCorrupt() throws IOException {
        byte[] meta = requestMeta("[]").getBytes(StandardCharsets.UTF_8);
        byte[] body = "hello".getBytes(StandardCharsets.US_ASCII);
        assertRejected(CorruptFileException.class, "payload ends inside the body of frame 0",
                FileForge.of(plainFile).plainPayload(FileForge.concat(meta, "hel".getBytes(StandardCharsets.US_ASCII)))
                        .claims(c -> describeFrame0(c, meta, body)));
        assertRejected(CorruptFileException.class, "payload ends inside the meta of frame 0",
                FileForge.of(plainFile).plainPayload(new byte[] {'{'}).claims(c -> describeFrame0(c, meta, body)));
    }

    @Test
    void bytesAfterTheZstdStreamInsideThePayloadAreRejected() throws IOException {
        byte[] meta = requestMeta("[]").getBytes(StandardCharsets.UTF_8);
        byte[] body = "hello".getBytes(StandardCharsets.US_ASCII);
        byte[] compressed = Zstd.compress(FileForge.concat(meta, body), 3);
        assertRejected(CorruptFileException.class, "payload does not decompress",
                FileForge.of(plainFile).compressedPayload(FileForge.concat(compressed, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}))
                        .claims(c -> describeFrame0(c, meta, body)));
    }

    @Test
    void frameDigestMismatchIsCorrupt() throws IOException {
        SpoolFileException e = assertRejected(CorruptFileException.class, "does not match its sha256",
                FileForge.of(olderVersionFile(encrypted, "older")).claims(c -> frame0(c).put("sha256", FileForge.sha256Hex(new byte[0]))));
        assertEquals(Disposition.NACK, e.disposition());
    }

    @Test
    void payloadDigestMismatchIsCorrupt() throws IOException {
        assertRejected(CorruptFileException.class, "payload does not match its sha256",
                FileForge.of(plainFile).claims(c -> ((ObjectNode) c.get("payload")).put("sha256", FileForge.sha256Hex(new byte[0]))));
    }

    @Test
    void encryptedPayloadLengthThatIsNoSegmentLayoutIsMalformed() throws IOException {
        // Two segments whose second holds nothing but a tag: the writer never makes an empty last segment.
        byte[] twoSegments = randomBytes(4096 + 16 + 16);
        FileForge forge = FileForge.of(encryptedFile)
                .claims(c -> encryption(c).put("segmentSize", 4096))
                .rawPayload(twoSegments)
                .claims(c -> payload(c, twoSegments));
        assertRejected(MalformedFileException.class, "is not a valid segment layout for segment size 4096", forge);

        byte[] shorterThanATag = randomBytes(15);
        assertRejected(MalformedFileException.class, "encrypted payload of 15 bytes is shorter than one tag",
                FileForge.of(encryptedFile).rawPayload(shorterThanATag).claims(c -> payload(c, shorterThanATag)));
    }

    // ---- helpers ----

    private <T extends SpoolFileException> T assertRejected(Class<T> type, String fragment, FileForge forge) throws IOException {
        return assertRejected(type, fragment, reader(), forge);
    }

    /** Decodes the forged bytes from a path and from a stream; both must fail with {@code type} naming the rule. */
    private <T extends SpoolFileException> T assertRejected(Class<T> type, String fragment, SpoolFileReader reader, FileForge forge)
            throws IOException {
        byte[] bytes = forge.bytes();
        FuzzSeeds.keep("malformed", bytes);
        Path file = Files.write(dir.resolve("forged-" + forged++ + ".hoft"), bytes);
        T fromPath = assertThrowsExactly(type, () -> decode(reader, file));
        assertContains(fragment, fromPath);
        T fromStream = assertThrowsExactly(type, () -> decode(reader.open(new ByteArrayInputStream(bytes))));
        assertContains(fragment, fromStream);
        assertEquals(fromPath.verifiedHeader().isPresent(), fromStream.verifiedHeader().isPresent());
        return fromPath;
    }

    private static void assertContains(String fragment, Exception e) {
        assertTrue(e.getMessage().contains(fragment), "expected \"" + fragment + "\" in: " + e.getMessage());
    }

    private static void decode(SpoolFileReader reader, Path file) throws IOException {
        decode(reader.open(file, SETTLE));
    }

    private static void decode(SpoolFile opened) throws IOException {
        try (SpoolFile spoolFile = opened) {
            spoolFile.readFrames(frame -> frame.body().transferTo(OutputStream.nullOutputStream()));
        }
    }

    private SpoolFileReader reader() {
        return reader(TestNodes.back(), ModePolicy.SIGNED_ONLY, SpoolLimits.DEFAULT);
    }

    private SpoolFileReader reader(Keyring keyring, ModePolicy policy, SpoolLimits limits) {
        return new SpoolFileReader(keyring, policy, limits, clock);
    }

    private static SpoolLimits limits(int maxFrames, int maxMetaBytes, int maxFragments, long maxPlainBytes) {
        return SpoolLimits.DEFAULT.toBuilder().maxFrames(maxFrames).maxMetaBytes(maxMetaBytes)
                .maxPlainBytes(maxPlainBytes).maxFragments(maxFragments).build();
    }

    private Path write(Keyring sender, FileMode mode, NodeId recipient, Message... messages) throws IOException {
        SpoolFileWriter writer = new SpoolFileWriter(sender, mode, SpoolFileWriter.Options.DEFAULT, clock, Disk.REAL);
        List<OutgoingFrame> frames = new ArrayList<>();
        for (Message m : messages) {
            frames.add(OutgoingFrame.whole(m));
        }
        Path out = Files.createTempDirectory(dir, "out");
        return writer.publish(writer.write(new SpoolFileWriter.Address(recipient, 1_700_000_000_000L, 1), frames, out), out);
    }

    /** Frame 0 of the file replaced by {@code meta} and {@code body}, described truthfully in the claims. */
    private static FileForge withFrame0(Path file, String meta, String body) throws IOException {
        byte[] m = meta.getBytes(StandardCharsets.UTF_8);
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return FileForge.of(file).plainPayload(FileForge.concat(m, b)).claims(c -> describeFrame0(c, m, b));
    }

    private static void describeFrame0(ObjectNode claims, byte[] meta, byte[] body) {
        frame0(claims).put("metaLength", meta.length).put("bodyLength", body.length);
        if (frame0(claims).has("sha256")) { // format versions 1 and 2
            frame0(claims).put("sha256", FileForge.sha256Hex(meta, body));
        }
    }

    /** A file of the older format version 1, written by {@code codec}: its frames carry digests. */
    private Path olderVersionFile(Codec codec, String name) throws IOException {
        codec.olderVersions = true;
        return codec.write(Files.createDirectory(dir.resolve(name)), hello());
    }

    private static String requestMeta(String headers) {
        return "{\"method\":\"POST\",\"target\":\"/api/items?x=1\",\"upstream\":\"api\",\"headers\":" + headers + "}";
    }

    private static ObjectNode frame0(ObjectNode claims) {
        return frame(claims, 0);
    }

    private static ObjectNode frame(ObjectNode claims, int index) {
        return (ObjectNode) ((ArrayNode) claims.get("frames")).get(index);
    }

    private static ObjectNode encryption(ObjectNode claims) {
        return (ObjectNode) claims.get("encryption");
    }

    private static void payload(ObjectNode claims, byte[] payload) {
        ((ObjectNode) claims.get("payload")).put("length", payload.length).put("sha256", FileForge.sha256Hex(payload));
    }

    private static void fragment(ObjectNode frame, int index, int count, long offset, long total) {
        frame.putObject("fragment").put("index", index).put("count", count).put("offset", offset).put("totalLength", total);
    }

    /** The request every base file carries: {@code POST /api/items?x=1}, body "hello", expiring in an hour. */
    private static Message hello() {
        return hello(1);
    }

    private static Message hello(int n) {
        return new Message(MessageId.of("hello-" + n), Codec.NOW, Codec.NOW.plus(Duration.ofHours(1)),
                new Envelope.Request("POST", "/api/items?x=1", "api", List.of()), Body.ofBytes("hello".getBytes(StandardCharsets.US_ASCII)));
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }
}
