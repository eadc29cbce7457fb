package io.hoft.transport.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import io.hoft.transport.fs.Disk;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.spool.FileMode;
import io.hoft.transport.spool.MalformedFileException;
import io.hoft.transport.spool.ModePolicy;
import io.hoft.transport.spool.OutgoingFrame;
import io.hoft.transport.spool.SpoofedFileException;
import io.hoft.transport.spool.SpoolFile;
import io.hoft.transport.spool.SpoolFileHeader;
import io.hoft.transport.spool.SpoolFileReader;
import io.hoft.transport.spool.SpoolFileWriter;
import io.hoft.transport.spool.SpoolLimits;
import io.hoft.transport.spool.internal.JoseHeader;
import io.hoft.transport.testing.MutableClock;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Node identities and keys: generation and rotation with overlap (seen through real spool
 * files), key files on disk, and the trust list's rules.
 */
class KeysTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final NodeId FRONT = NodeId.of("front");
    private static final NodeId BACK = NodeId.of("back");
    private static final Duration OVERLAP = Duration.ofDays(7);

    @TempDir
    Path dir;

    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger keyFilesLog = (Logger) LoggerFactory.getLogger(KeyFiles.class);
    private int files;

    @AfterEach
    void detachLog() {
        keyFilesLog.detachAppender(logged);
    }

    // ---- generation and rotation ----

    @Test
    void generatedKeysAreOneSigningAndOneAgreementKeyWithKidsNamingTheNode() {
        NodeKeys keys = NodeKeys.generate(FRONT, T0);
        assertEquals(1, keys.signingKeys().size());
        assertEquals(1, keys.agreementKeys().size());
        assertTrue(keys.signingKeys().get(0).getKeyID().matches("front-sig-20260101-[0-9a-f]{6}"));
        assertTrue(keys.agreementKeys().get(0).getKeyID().matches("front-enc-20260101-[0-9a-f]{6}"));
        assertTrue(keys.signingKeys().get(0).isPrivate());
        assertFalse(keys.publicKeys().signingKeys().get(0).isPrivate());
    }

    @Test
    void afterRotationTheNewKeySignsAndTheOldStillVerifiesUntilTheOverlapEnds() throws IOException {
        NodeKeys before = NodeKeys.generate(FRONT, T0);
        Instant rotated = T0.plus(Duration.ofDays(30));
        NodeKeys after = before.rotate(rotated, OVERLAP);
        NodeKeys back = NodeKeys.generate(BACK, T0);
        Keyring backTrustingRotatedFront = new Keyring(back, TrustList.of(after.publicKeys()));
        String oldKid = before.signingKeys().get(0).getKeyID();
        String newKid = after.activeSigningKey(rotated).orElseThrow().getKeyID();
        assertNotEquals(oldKid, newKid);

        Path signedByNew = write(new Keyring(after, TrustList.of(back.publicKeys())), rotated.plusSeconds(1));
        Path signedByOld = write(new Keyring(before, TrustList.of(back.publicKeys())), rotated.plusSeconds(1));

        assertEquals(newKid, read(backTrustingRotatedFront, signedByNew, rotated.plusSeconds(2)).signingKid());
        assertEquals(oldKid, read(backTrustingRotatedFront, signedByOld, rotated.plus(OVERLAP).minusSeconds(1)).signingKid());
        SpoofedFileException e = assertThrows(SpoofedFileException.class,
                () -> read(backTrustingRotatedFront, signedByOld, rotated.plus(OVERLAP)));
        assertTrue(e.getMessage().contains("signed with kid " + oldKid + ", which is not a valid trusted key"), e.getMessage());
        assertEquals(newKid, read(backTrustingRotatedFront, signedByNew, rotated.plus(OVERLAP).plusSeconds(1)).signingKid());
    }

    @Test
    void aFileEncryptedToTheOldAgreementKeyStillOpensDuringTheOverlap() throws Exception {
        NodeKeys front = NodeKeys.generate(FRONT, T0);
        NodeKeys backBefore = NodeKeys.generate(BACK, T0);
        Instant rotated = T0.plus(Duration.ofDays(30));
        NodeKeys backAfter = backBefore.rotate(rotated, OVERLAP);
        Keyring backNow = new Keyring(backAfter, TrustList.of(front.publicKeys()));

        // Front has not yet learned back's new public keys, so it still encrypts to the old one.
        Path toOldKey = write(new Keyring(front, TrustList.of(backBefore.publicKeys())), rotated.plusSeconds(1));
        String oldKid = backBefore.agreementKeys().get(0).getKeyID();
        assertEquals(oldKid, contentKeyKid(read(backNow, toOldKey, rotated.plusSeconds(2))));
        read(backNow, toOldKey, rotated.plus(OVERLAP).minusSeconds(1));
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> read(backNow, toOldKey, rotated.plus(OVERLAP)));
        assertTrue(e.getMessage().contains("wrapped for kid " + oldKid + ", which this node does not hold"), e.getMessage());

        // Once front has the new public keys it encrypts to the new key.
        Path toNewKey = write(new Keyring(front, TrustList.of(backAfter.publicKeys())), rotated.plusSeconds(1));
        String newKid = backAfter.agreementKeys().get(0).getKeyID();
        assertNotEquals(oldKid, newKid);
        assertEquals(newKid, contentKeyKid(read(backNow, toNewKey, rotated.plus(OVERLAP))));
    }

    @Test
    void rotatingTwiceKeepsTheEarliestRetirement() {
        NodeKeys once = NodeKeys.generate(FRONT, T0).rotate(T0.plus(Duration.ofDays(1)), OVERLAP);
        NodeKeys twice = once.rotate(T0.plus(Duration.ofDays(2)), Duration.ofDays(30));
        assertEquals(3, twice.signingKeys().size());
        ECKey original = twice.signingKeys().get(2);
        assertEquals(T0.plus(Duration.ofDays(1)).plus(OVERLAP), original.getExpirationTime().toInstant());
    }

    // ---- key files ----

    @Test
    void privateKeyFilesAreWrittenOwnerOnlyAndReadBack() throws IOException {
        NodeKeys keys = NodeKeys.generate(FRONT, T0);
        Path file = dir.resolve("keys/front.jwks");
        KeyFiles.writePrivate(file, keys.toJwkSet(), false);

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertFalse(KeyFiles.readableByOthers(file));
        NodeKeys read = KeyFiles.readNodeKeys(file);
        assertEquals(FRONT, read.node());
        assertEquals(keys.signingKeys(), read.signingKeys());
        assertEquals(keys.agreementKeys(), read.agreementKeys());
        try (var leftovers = Files.list(file.getParent())) {
            assertEquals(List.of(file), leftovers.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void privateKeyFilesAreNotOverwrittenUnlessAsked() throws IOException {
        Path file = dir.resolve("front.jwks");
        KeyFiles.writePrivate(file, NodeKeys.generate(FRONT, T0).toJwkSet(), false);
        byte[] first = Files.readAllBytes(file);
        assertThrows(FileAlreadyExistsException.class, () -> KeyFiles.writePrivate(file, NodeKeys.generate(FRONT, T0).toJwkSet(), false));
        assertTrue(Arrays.equals(first, Files.readAllBytes(file)));

        KeyFiles.writePrivate(file, NodeKeys.generate(FRONT, T0).toJwkSet(), true);
        assertFalse(Arrays.equals(first, Files.readAllBytes(file)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void loadingAPrivateKeyFileOthersCanReadWarnsWithoutPrintingTheKey() throws IOException {
        NodeKeys keys = NodeKeys.generate(FRONT, T0);
        Path file = dir.resolve("front.jwks");
        KeyFiles.writePrivate(file, keys.toJwkSet(), false);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        captureLog();

        assertTrue(KeyFiles.readableByOthers(file));
        KeyFiles.readNodeKeys(file);

        assertEquals(1, logged.list.size());
        ILoggingEvent warning = logged.list.get(0);
        assertEquals(Level.WARN, warning.getLevel());
        assertTrue(warning.getFormattedMessage().contains(file.toString()));
        assertTrue(warning.getFormattedMessage().contains("chmod 600"));
        String d = keys.signingKeys().get(0).getD().toString();
        assertFalse(warning.getFormattedMessage().contains(d), "the warning must not carry key material");
    }

    @Test
    void loadingAnOwnerOnlyKeyFileOrAPublicTrustFileDoesNotWarn() throws IOException {
        NodeKeys keys = NodeKeys.generate(FRONT, T0);
        Path own = dir.resolve("front.jwks");
        KeyFiles.writePrivate(own, keys.toJwkSet(), false);
        Path peer = dir.resolve("peers/front.pub.jwks");
        KeyFiles.writePublic(peer, keys.publicKeys().toJwkSet(), false);
        Files.setPosixFilePermissions(peer, PosixFilePermissions.fromString("rw-r--r--"));
        captureLog();

        KeyFiles.readNodeKeys(own);
        PeerKeys read = KeyFiles.readPeerKeys(peer);

        assertTrue(logged.list.isEmpty(), logged.list.toString());
        assertEquals(keys.publicKeys().signingKeys(), read.signingKeys());
    }

    @Test
    void aTrustFileHoldingASharedSecretThatOthersCanReadWarns() throws IOException {
        Path file = dir.resolve("front.shared.jwks");
        PeerKeys shared = PeerKeys.sharedSecret(FRONT, SharedSecret.generate("front-back-1", T0));
        KeyFiles.writePrivate(file, shared.toJwkSet(), false);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw----"));
        captureLog();

        KeyFiles.readPeerKeys(file);

        assertEquals(1, logged.list.size());
        assertEquals(Level.WARN, logged.list.get(0).getLevel());
    }

    @Test
    void aKeyFileThatIsNotAJwkSetIsRefused() throws IOException {
        Path file = Files.writeString(dir.resolve("broken.jwks"), "{\"keys\": [ {\"kty\": ");
        assertThrows(KeyException.class, () -> KeyFiles.readNodeKeys(file));
    }

    // ---- trust list and peers ----

    @Test
    void trustListRefusesAKidClaimedByTwoPeers() {
        OctetSequenceKey secret = SharedSecret.generate("same-kid", T0);
        PeerKeys front = PeerKeys.sharedSecret(FRONT, secret);
        PeerKeys other = PeerKeys.sharedSecret(NodeId.of("other"), SharedSecret.generate("same-kid", T0));
        KeyException e = assertThrows(KeyException.class, () -> TrustList.of(front, other));
        assertTrue(e.getMessage().contains("kid same-kid is claimed by both"), e.getMessage());
    }

    @Test
    void trustListMergesKeySetsOfOnePeer() {
        NodeKeys before = NodeKeys.generate(FRONT, T0);
        NodeKeys after = before.rotate(T0.plus(Duration.ofDays(1)), OVERLAP);
        TrustList trust = TrustList.of(before.publicKeys(), after.publicKeys());
        assertEquals(1, trust.peers().size());
        assertEquals(2, trust.peer(FRONT).orElseThrow().signingKeys().size());
        for (ECKey key : after.signingKeys()) {
            assertEquals(FRONT, trust.ownerOf(key.getKeyID()).orElseThrow());
        }
        assertTrue(trust.ownerOf("nobody").isEmpty());
        assertTrue(trust.trusts(FRONT));
        assertFalse(trust.trusts(BACK));
    }

    @Test
    void peerKeysRefusePrivateKeys() {
        JWKSet privateSet = NodeKeys.generate(FRONT, T0).toJwkSet();
        KeyException e = assertThrows(KeyException.class, () -> PeerKeys.fromJwkSet(privateSet));
        assertTrue(e.getMessage().contains("a trust list takes public keys only"), e.getMessage());
    }

    @Test
    void nodeKeysRefusePublicKeys() {
        JWKSet publicSet = NodeKeys.generate(FRONT, T0).publicKeys().toJwkSet();
        assertThrows(KeyException.class, () -> NodeKeys.fromJwkSet(publicSet));
    }

    @Test
    void keySetsMustNameTheirNodeWithAValidId() {
        List<JWK> keys = List.copyOf(NodeKeys.generate(FRONT, T0).publicKeys().toJwkSet().getKeys());
        assertThrows(KeyException.class, () -> PeerKeys.fromJwkSet(new JWKSet(keys)));
        assertThrows(KeyException.class, () -> PeerKeys.fromJwkSet(new JWKSet(keys, Map.of(NodeKeys.NODE_MEMBER, "Front!"))));
    }

    @Test
    void sharedSecretsShorterThan256BitsAreRefused() {
        OctetSequenceKey short128 = new OctetSequenceKey.Builder(new byte[16]).keyID("short").build();
        assertThrows(KeyException.class, () -> PeerKeys.sharedSecret(FRONT, short128));
    }

    @Test
    void aSharedSecretDerivesDistinctSigningAndWrappingKeys() {
        OctetSequenceKey jwk = SharedSecret.generate("k1", T0);
        SharedSecret secret = new SharedSecret(jwk);
        assertEquals(32, secret.signingKey().length);
        assertFalse(Arrays.equals(secret.signingKey(), secret.wrappingKey()));
        assertFalse(Arrays.equals(secret.signingKey(), jwk.toByteArray()));
        assertTrue(Arrays.equals(secret.signingKey(), new SharedSecret(jwk).signingKey()), "derivation is deterministic");
    }

    @Test
    void nodeIdsAreDnsLabelsOfUpTo32Characters() {
        for (String valid : List.of("a", "0", "front", "back-2", "a".repeat(32), "a-b-c")) {
            assertTrue(NodeId.isValid(valid), valid);
            assertEquals(valid, NodeId.of(valid).value());
        }
        for (String invalid : List.of("", "-a", "a-", "Front", "a_b", "a.b", "a b", "a".repeat(33), "caf\u00e9", "../x", "a/b")) {
            assertFalse(NodeId.isValid(invalid), invalid);
            assertThrows(IllegalArgumentException.class, () -> NodeId.of(invalid), invalid);
        }
        assertFalse(NodeId.isValid(null));
        assertThrows(NullPointerException.class, () -> NodeId.of(null));
    }

    // ---- helpers ----

    private void captureLog() {
        logged.start();
        keyFilesLog.addAppender(logged);
    }

    /** Writes a small signed, encrypted file from {@code sender} to back at {@code at}. */
    private Path write(Keyring sender, Instant at) throws IOException {
        MutableClock clock = new MutableClock(at);
        SpoolFileWriter writer = new SpoolFileWriter(sender, FileMode.SIGNED_ENCRYPTED, SpoolFileWriter.Options.DEFAULT, clock, Disk.REAL);
        Message message = new Message(MessageId.generate(clock), at, at.plus(Duration.ofDays(365)),
                new Envelope.Request("GET", "/", "api", List.of()), Body.ofBytes("hi".getBytes(StandardCharsets.US_ASCII)));
        Path out = Files.createDirectories(dir.resolve("out-" + files++));
        return writer.publish(writer.write(new SpoolFileWriter.Address(BACK, 1, 1), List.of(OutgoingFrame.whole(message)), out), out);
    }

    private static String contentKeyKid(SpoolFileHeader header) throws Exception {
        return JoseHeader.parseContentKey(header.contentKey()).kid();
    }

    /** Decodes the whole file as {@code receiver} at {@code at}; returns its header. */
    private static SpoolFileHeader read(Keyring receiver, Path file, Instant at) throws IOException {
        SpoolFileReader reader = new SpoolFileReader(receiver, ModePolicy.SIGNED_ONLY, SpoolLimits.DEFAULT, new MutableClock(at));
        try (SpoolFile spoolFile = reader.open(file, Duration.ZERO)) {
            spoolFile.readFrames(frame -> frame.body().transferTo(OutputStream.nullOutputStream()));
            return spoolFile.header();
        }
    }
}
