package io.hoft.transport.spool;

import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEDecrypter;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.SessionSecret;
import io.hoft.transport.spool.internal.CanonicalBase64Url;
import io.hoft.transport.spool.internal.JoseHeader;
import io.hoft.transport.spool.internal.SessionTicket;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The session tickets a reader has verified (SPEC.md section 10.8, steps 12a to 12j): the
 * public-key work of a session (one signature check, one key agreement) is done for its first
 * file only; later files of the session are matched by their ticket's exact text. What can
 * change with time is checked at every use: the ticket's signing key is still trusted and
 * valid, the agreement key it is wrapped for is still held and valid, the session has not
 * expired, and the header names the ticket's session. Thread-safe.
 */
final class ReceivedSessions {
    private static final int MAX_CACHED = 256;

    private final Keyring keyring;
    private final Map<String, SessionTicket.Session> verified = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, SessionTicket.Session> eldest) {
            return size() > MAX_CACHED;
        }
    };

    ReceivedSessions(Keyring keyring) {
        this.keyring = keyring;
    }

    /** The session of a version 2 header that names {@code headerKid} and carries {@code ticket}. */
    SessionTicket.Session verify(String ticket, String headerKid, Instant now) throws SpoolFileException {
        SessionTicket.Session session;
        synchronized (verified) {
            session = verified.get(ticket);
        }
        if (session == null) {
            session = verifyAnew(ticket, now);
            synchronized (verified) {
                verified.put(ticket, session);
            }
        }
        if (keyring.signingKeyOwner(session.ticketKid(), now).isEmpty()) {
            throw new SpoofedFileException("the session ticket is signed with kid " + printable(session.ticketKid())
                    + ", which is no longer a valid trusted key");
        }
        if (keyring.own().agreementKey(session.agreementKid(), now).isEmpty()) {
            throw new SpoofedFileException("the session secret is wrapped for kid " + printable(session.agreementKid())
                    + ", which this node no longer holds");
        }
        checkOpens(session.claims(), headerKid, now);
        return session;
    }

    /**
     * Steps 12c to 12g and 12i of a ticket, for a reader that holds the sender's public keys but
     * cannot unwrap the secret (it reads as a stand-in for the recipient): the ticket is signed
     * by a trusted peer, names that peer as its sender and this reader's node as its recipient,
     * has not expired, and opens the session {@code headerKid} names. Nothing is remembered.
     */
    SessionTicket verifyTicketOnly(String ticket, String headerKid, Instant now) throws SpoolFileException {
        SessionTicket claims = verifySignedClaims(ticket, now).claims();
        checkOpens(claims, headerKid, now);
        return claims;
    }

    /** Step 12i: the session has not expired, and it is the one the header names. */
    private static void checkOpens(SessionTicket claims, String headerKid, Instant now) throws SpoofedFileException {
        if (now.isAfter(claims.expires())) {
            throw new SpoofedFileException("session " + claims.sessionId() + " expired at " + claims.expires());
        }
        if (!claims.sessionId().equals(headerKid)) {
            throw new SpoofedFileException("the header's kid " + printable(headerKid) + " is not the session "
                    + claims.sessionId() + " its ticket opens");
        }
    }

    /** A ticket whose signature verified, with the kid that made it. */
    private record SignedTicket(SessionTicket claims, String kid) {}

    /** Steps 12c to 12g: a ticket signed by a trusted peer, from that peer, for this node. */
    private SignedTicket verifySignedClaims(String ticket, Instant now) throws SpoolFileException {
        JoseHeader.Parsed jose;
        try {
            jose = JoseHeader.parseTicket(ticket);
            CanonicalBase64Url.check(ticket, "session ticket");
        } catch (CodecException e) {
            throw new MalformedFileException(e.getMessage());
        }
        if (!"ES256".equals(jose.algorithm())) {
            throw new SpoofedFileException("the session ticket is signed with " + printable(jose.algorithm()) + ", not ES256");
        }
        if (jose.kid() == null) {
            throw new SpoofedFileException("the session ticket is signed without a kid");
        }
        Optional<Keyring.Verifying> verifying = keyring.verifierFor(jose.kid(), now);
        if (verifying.isEmpty() || !"ES256".equals(verifying.get().algorithm().getName())) {
            throw new SpoofedFileException("the session ticket is signed with kid " + printable(jose.kid())
                    + ", which is not a valid trusted signing key");
        }
        if (!jose.verify(verifying.get().verifier())) {
            throw new SpoofedFileException("the session ticket's signature does not verify with key " + jose.kid());
        }
        SessionTicket claims;
        try {
            claims = SessionTicket.decode(jose.claims());
        } catch (CodecException e) {
            throw new MalformedFileException(e.getMessage());
        }
        if (!verifying.get().owner().equals(claims.sender())) {
            throw new SpoofedFileException("the session ticket is signed by a key of " + verifying.get().owner()
                    + " but names " + claims.sender() + " as its sender");
        }
        if (!claims.recipient().equals(keyring.node())) {
            throw new SpoofedFileException("the session ticket is for " + claims.recipient() + ", not " + keyring.node());
        }
        return new SignedTicket(claims, jose.kid());
    }

    private SessionTicket.Session verifyAnew(String ticket, Instant now) throws SpoolFileException {
        SignedTicket signed = verifySignedClaims(ticket, now);
        SessionTicket claims = signed.claims();
        JoseHeader.WrappedKey wrapped;
        try {
            wrapped = JoseHeader.parseContentKey(claims.key());
            CanonicalBase64Url.check(claims.key(), "ticket.key");
        } catch (CodecException e) {
            throw new MalformedFileException(e.getMessage().replace("claims.encryption.key", "ticket.key"));
        }
        if (!JWEAlgorithm.ECDH_ES_A256KW.equals(wrapped.algorithm())) {
            throw new MalformedFileException("the session secret must be wrapped with ECDH-ES+A256KW, not " + wrapped.algorithm());
        }
        Optional<JWEDecrypter> unwrapper = keyring.unwrapperFor(wrapped.kid(), wrapped.algorithm(), claims.sender(), now);
        if (unwrapper.isEmpty()) {
            throw new SpoofedFileException("the session secret is wrapped for kid " + printable(wrapped.kid())
                    + ", which this node does not hold (or no longer holds)");
        }
        byte[] secret = JoseHeader.unwrap(wrapped, unwrapper.get());
        if (secret == null) {
            throw new SpoofedFileException("the session secret does not decrypt");
        }
        if (secret.length != SessionSecret.LENGTH) {
            throw new MalformedFileException("the session secret is " + secret.length + " bytes, not " + SessionSecret.LENGTH);
        }
        return new SessionTicket.Session(ticket, claims, signed.kid(), wrapped.kid(), SessionSecret.of(secret));
    }

    private static String printable(String s) {
        return s == null ? "null" : StrictJson.printable(s);
    }
}
