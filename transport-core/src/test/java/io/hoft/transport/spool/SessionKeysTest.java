package io.hoft.transport.spool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.keys.NodeKeys;
import io.hoft.transport.keys.SessionSecret;
import io.hoft.transport.keys.TrustList;
import io.hoft.transport.message.Message;
import io.hoft.transport.spool.SpoolFileException.Disposition;
import io.hoft.transport.spool.internal.JoseHeader;
import io.hoft.transport.spool.internal.Preamble;
import io.hoft.transport.spool.internal.SessionTicket;
import io.hoft.transport.testing.Codec;
import io.hoft.transport.testing.FileForge;
import io.hoft.transport.testing.MutableClock;
import io.hoft.transport.testing.TestNodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Session-keyed files (format version 2, SPEC.md section 10.8): what the sender's sessions do
 * over time and key rotations, and that the reader refuses, as spoofed, every file whose session
 * it cannot prove came from a trusted peer to it: a ticket nobody trusts, a header that names
 * another session, a genuine ticket on a header made without its secret, a ticket for another
 * node or naming a sender other than its signer, and an expired session.
 */
class SessionKeysTest {
    private static final Duration SETTLE = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    private Codec codec;
    private Path outbox;

    @BeforeEach
    void setUp() throws IOException {
        codec = new Codec(FileMode.SIGNED_ENCRYPTED, TestNodes.Keys.SESSION);
        outbox = Files.createDirectory(dir.resolve("outbox"));
    }

    /** A request that outlives every session in these tests. */
    private Message request(byte[] body) {
        return new Message(io.hoft.transport.message.MessageId.generate(codec.clock), Codec.NOW,
                Codec.NOW.plus(Duration.ofDays(30)), new io.hoft.transport.message.Envelope.Request("POST", "/x", "api", List.of()),
                io.hoft.transport.message.Body.ofBytes(body));
    }

    private Path write(long seq, Message message) throws IOException {
        return codec.write(outbox, seq, List.of(OutgoingFrame.whole(message)));
    }

    private static String ticketOf(Path file) throws IOException {
        return FileForge.of(file).jose().get(JoseHeader.SESSION_PARAM).asText();
    }

    private static String kidOf(Path file) throws IOException {
        return FileForge.of(file).jose().get("kid").asText();
    }

    @Test
    void filesOfOneSessionAreVersionFourAndCarryOneTicketTheirKidNames() throws Exception {
        List<Path> files = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            files.add(write(i, request(("call " + i).getBytes())));
        }
        String ticket = ticketOf(files.get(0));
        SessionTicket claims = SessionTicket.decode(JoseHeader.parseTicket(ticket).claims());
        for (Path file : files) {
            assertEquals(Preamble.VERSION_SESSION_NO_FRAME_DIGESTS, Files.readAllBytes(file)[Preamble.VERSION_OFFSET]);
            assertEquals("HS256", FileForge.of(file).jose().get("alg").asText());
            assertEquals(ticket, ticketOf(file), "one session, one ticket");
            assertEquals(claims.sessionId(), kidOf(file));
            assertEquals(1, codec.read(file).frames().size());
        }
        assertEquals(TestNodes.FRONT, claims.sender());
        assertEquals(TestNodes.BACK, claims.recipient());
        assertEquals(codec.clock.instant().plus(SessionPolicy.DEFAULT.lifetime()), claims.expires());
    }

    @Test
    void aNewSessionStartsAfterRotateAfterAndTheOldSessionsFilesVerifyUntilTheOldSessionExpires() throws IOException {
        Path old = write(1, request("old".getBytes()));
        codec.clock.advance(SessionPolicy.DEFAULT.rotateAfter().plusSeconds(1));
        Path fresh = write(2, request("new".getBytes()));
        assertNotEquals(kidOf(old), kidOf(fresh), "a new session");
        SpoolFileReader reader = codec.reader();
        assertEquals(1, read(reader, old));
        assertEquals(1, read(reader, fresh));

        codec.clock.set(Codec.NOW.plus(SessionPolicy.DEFAULT.lifetime()).plusSeconds(1));
        SpoofedFileException refused = assertThrows(SpoofedFileException.class, () -> read(reader, old));
        assertTrue(refused.getMessage().contains("expired"), refused.getMessage());
        assertEquals(Disposition.QUARANTINE, refused.disposition());
        assertEquals(1, read(reader, fresh), "the newer session lives on");
    }

    @Test
    void aNewerSigningKeyStartsANewSessionAtOnceAndTheOldKeysSessionVerifiesUntilThatKeyExpires() throws Exception {
        Instant now = Codec.NOW;
        NodeKeys base = TestNodes.frontKeys();
        ECKey oldSigning = withTimes(base.signingKeys().get(0), null, now.plus(Duration.ofMinutes(30)));
        ECKey newSigning = withTimes(new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE)
                .keyID("front-sig-newer").issueTime(Date.from(now)).generate(), now.plus(Duration.ofMinutes(10)), null);
        List<JWK> keys = new ArrayList<>(List.of(newSigning, oldSigning));
        keys.addAll(base.agreementKeys());
        NodeKeys rotated = NodeKeys.fromJwkSet(new JWKSet(keys, Map.of(NodeKeys.NODE_MEMBER, "front")));
        Keyring front = new Keyring(rotated, TrustList.of(TestNodes.backKeys().publicKeys()));
        Keyring back = new Keyring(TestNodes.backKeys(), TrustList.of(rotated.publicKeys()));
        MutableClock clock = new MutableClock(now);
        SendingSessions sessions = new SendingSessions(front, SessionPolicy.DEFAULT);
        SpoolFileWriter writer = new SpoolFileWriter(front, FileMode.SIGNED_ENCRYPTED, SpoolFileWriter.Options.DEFAULT, clock,
                Disk.REAL, sessions);
        SpoolFileReader reader = new SpoolFileReader(back, ModePolicy.SIGNED_ONLY, SpoolLimits.DEFAULT, clock);

        Path early = publish(writer, 1, request("early".getBytes()));
        clock.advance(Duration.ofMinutes(11)); // the newer key is valid now; rotateAfter is far off
        Path later = publish(writer, 2, request("later".getBytes()));
        assertNotEquals(kidOf(early), kidOf(later), "the newer key opened a new session");
        assertEquals(oldSigning.getKeyID(), JoseHeader.parseTicket(ticketOf(early)).kid());
        assertEquals("front-sig-newer", JoseHeader.parseTicket(ticketOf(later)).kid());
        assertEquals(1, read(reader, early), "the old key's session still verifies during the overlap");

        clock.advance(Duration.ofMinutes(20)); // the old signing key has expired
        SpoofedFileException refused = assertThrows(SpoofedFileException.class, () -> read(reader, early));
        assertTrue(refused.getMessage().contains("no longer a valid trusted key"), refused.getMessage());
        assertEquals(1, read(reader, later));
    }

    private static ECKey withTimes(ECKey key, Instant notBefore, Instant expires) {
        return new ECKey.Builder(key).notBeforeTime(notBefore == null ? null : Date.from(notBefore))
                .expirationTime(expires == null ? null : Date.from(expires)).build();
    }

    private Path publish(SpoolFileWriter writer, long seq, Message message) throws IOException {
        SpoolFileWriter.WrittenFile file = writer.write(new SpoolFileWriter.Address(TestNodes.BACK, 1_700_000_000_000L, seq),
                List.of(OutgoingFrame.whole(message)), outbox);
        return writer.publish(file, outbox);
    }

    private static int read(SpoolFileReader reader, Path file) throws IOException {
        try (SpoolFile spoolFile = reader.open(file, SETTLE)) {
            int[] frames = {0};
            spoolFile.readFrames(frame -> {
                frame.body().readAllBytes();
                frames[0]++;
            });
            return frames[0];
        }
    }

    // ---- files from an unknown session are refused like forged ones ----

    private void assertSpoofed(Path file, String detail) {
        SpoofedFileException e = assertThrows(SpoofedFileException.class, () -> read(codec.reader(), file));
        assertTrue(e.getMessage().contains(detail), "expected \"" + detail + "\" in: " + e.getMessage());
        assertEquals(Disposition.QUARANTINE, e.disposition(), "never nacked, never answered");
        assertTrue(e.verifiedHeader().isEmpty(), "nothing in the file is believed");
    }

    @Test
    void aTicketSignedWithAKeyNobodyTrustsIsSpoofed() throws IOException {
        Keyring impostor = TestNodes.impostorFront();
        SpoolFileWriter writer = new SpoolFileWriter(impostor, FileMode.SIGNED_ENCRYPTED, SpoolFileWriter.Options.DEFAULT,
                codec.clock, Disk.REAL, new SendingSessions(impostor, SessionPolicy.DEFAULT));
        assertSpoofed(publish(writer, 1, request("forged".getBytes())), "not a valid trusted signing key");
    }

    @Test
    void aHeaderThatNamesAnotherSessionThanItsTicketIsSpoofed() throws IOException {
        Path genuine = write(1, request("hello".getBytes()));
        SessionTicket.Session session = codec.sessions.forFile(TestNodes.BACK, codec.clock.instant()).orElseThrow();
        String otherSid = SessionTicket.newSessionId();
        Path forged = FileForge.of(genuine).signedBy(session.secret().signing(otherSid)).writeTo(dir.resolve("forged"));
        assertSpoofed(forged, "is not the session");
    }

    @Test
    void aGenuineTicketOnAHeaderSignedWithoutItsSecretIsSpoofed() throws IOException {
        Path genuine = write(1, request("hello".getBytes()));
        String sid = kidOf(genuine);
        Path forged = FileForge.of(genuine).claims(c -> c.put("seq", 99))
                .signedBy(SessionSecret.generate().signing(sid)).writeTo(dir.resolve("forged"));
        assertSpoofed(forged, "signature does not verify with the keys of session");
    }

    @Test
    void aTicketForAnotherNodeIsSpoofed() throws IOException {
        NodeKeys otherKeys = NodeKeys.generate(NodeId.of("other"), Codec.NOW);
        Keyring front = TestNodes.frontTrustingOther(otherKeys);
        SendingSessions toOther = new SendingSessions(front, SessionPolicy.DEFAULT);
        SessionTicket.Session forOther = toOther.forFile(NodeId.of("other"), codec.clock.instant()).orElseThrow();
        Path genuine = write(1, request("hello".getBytes()));
        Path forged = FileForge.of(genuine)
                .jose(j -> j.put(JoseHeader.SESSION_PARAM, forOther.ticket()))
                .signedBy(forOther.secret().signing(forOther.id())).writeTo(dir.resolve("forged"));
        assertSpoofed(forged, "the session ticket is for other, not back");
    }

    @Test
    void aTicketNamingASenderOtherThanItsSignerIsSpoofed() throws IOException {
        Instant now = codec.clock.instant();
        SessionSecret secret = SessionSecret.generate();
        Keyring front = TestNodes.front();
        SessionTicket claims = new SessionTicket(NodeId.of("other"), TestNodes.BACK, SessionTicket.newSessionId(), now,
                now.plus(Duration.ofHours(1)), JoseHeader.wrapContentKey(secret.bytes(), front.wrappingFor(TestNodes.BACK, now)));
        String ticket = JoseHeader.signTicket(claims.encode(), front.signingFor(TestNodes.BACK, now));
        Path genuine = write(1, request("hello".getBytes()));
        Path forged = FileForge.of(genuine).jose(j -> j.put(JoseHeader.SESSION_PARAM, ticket))
                .signedBy(secret.signing(claims.sessionId())).writeTo(dir.resolve("forged"));
        assertSpoofed(forged, "signed by a key of front but names other as its sender");
    }

    @Test
    void aVersionTwoHeaderSignedWithAnEcKeyIsSpoofed() throws IOException {
        Path genuine = write(1, request("hello".getBytes()));
        Path forged = FileForge.of(genuine).signedBy(TestNodes.front().signingFor(TestNodes.BACK, codec.clock.instant()))
                .writeTo(dir.resolve("forged"));
        assertSpoofed(forged, "must be signed HS256 under its session");
    }

    @Test
    void aVersionOneHeaderThatCarriesATicketIsMalformed() throws IOException {
        Path genuine = write(1, request("hello".getBytes()));
        SessionTicket.Session session = codec.sessions.forFile(TestNodes.BACK, codec.clock.instant()).orElseThrow();
        Path relabelled = FileForge.of(genuine).signedBy(session.secret().signing(session.id()))
                .preamble(p -> p.put(Preamble.VERSION_OFFSET, (byte) Preamble.VERSION)).writeTo(dir.resolve("v1"));
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> read(codec.reader(), relabelled));
        assertTrue(e.getMessage().contains("hoft-session"), e.getMessage());
    }

    @Test
    void aTicketWithAWrongTypeIsMalformed() throws IOException {
        Path genuine = write(1, request("hello".getBytes()));
        SessionTicket.Session session = codec.sessions.forFile(TestNodes.BACK, codec.clock.instant()).orElseThrow();
        String[] parts = session.ticket().split("\\.");
        String retyped = com.nimbusds.jose.util.Base64URL.encode("{\"alg\":\"ES256\",\"kid\":\"" + session.ticketKid()
                + "\",\"typ\":\"JWT\"}").toString() + "." + parts[1] + "." + parts[2];
        Path forged = FileForge.of(genuine).jose(j -> j.put(JoseHeader.SESSION_PARAM, retyped))
                .signedBy(session.secret().signing(session.id())).writeTo(dir.resolve("forged"));
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> read(codec.reader(), forged));
        assertTrue(e.getMessage().contains("session ticket typ"), e.getMessage());
        assertEquals(Disposition.QUARANTINE, e.disposition());
    }

    @Test
    void aSessionsPublicKeyWorkIsDoneOnceOnEachSide() throws Exception {
        Instant now = codec.clock.instant();
        SessionTicket.Session sending = codec.sessions.forFile(TestNodes.BACK, now).orElseThrow();
        assertSame(sending, codec.sessions.forFile(TestNodes.BACK, now.plusSeconds(60)).orElseThrow(),
                "the sender signs and wraps once per session");
        ReceivedSessions received = new ReceivedSessions(TestNodes.back(TestNodes.Keys.SESSION));
        SessionTicket.Session verified = received.verify(sending.ticket(), sending.id(), now);
        assertSame(verified, received.verify(sending.ticket(), sending.id(), now.plusSeconds(60)),
                "the receiver verifies and unwraps once per session");
        assertArrayEquals(sending.secret().bytes(), verified.secret().bytes());
    }
}
