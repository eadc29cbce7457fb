package io.hoft.link.dialout;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.hoft.transport.keys.KeyException;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The credential every dial-out connection carries (SPEC.md section 19.3): a compact JWS signed
 * with the dialing node's own key (ES256, or HS256 with the secret it shares with the front),
 * with header {@code typ: hoft-link+jwt} and {@code kid}, and claims {@code iss} (the dialing
 * node), {@code aud} (the front's node id), {@code iat}, {@code exp} and {@code jti}.
 *
 * <p>The front checks, in this order: the compact form parses and {@code typ} is right; the
 * {@code kid} is trusted and belongs to a node allowed to dial in; the algorithm is that key's;
 * the signature verifies; {@code iss} is the key's owner; {@code aud} is the front; the token is
 * within its lifetime (with {@link #CLOCK_SKEW}) and that lifetime is at most {@link #MAX_LIFETIME}.
 * Each failure is a {@link LinkAuthException} naming the rule.
 */
public final class LinkToken {
    public static final JOSEObjectType TYPE = new JOSEObjectType("hoft-link+jwt");
    /** How long a token the link makes lives. */
    public static final Duration LIFETIME = Duration.ofMinutes(5);
    /** The longest lifetime a front accepts. */
    public static final Duration MAX_LIFETIME = Duration.ofMinutes(10);
    /** Clock difference tolerated on {@code iat} and {@code exp}. */
    public static final Duration CLOCK_SKEW = Duration.ofSeconds(60);
    private static final int MAX_TOKEN_CHARS = 4096;
    private static final SecureRandom RANDOM = new SecureRandom();

    private LinkToken() {}

    /** A fresh token of {@code keyring}'s node for the front {@code front}, valid from {@code now}. */
    public static String issue(Keyring keyring, NodeId front, Instant now, Duration lifetime) {
        Keyring.Signing signing = keyring.signingFor(front, now);
        byte[] jti = new byte[12];
        RANDOM.nextBytes(jti);
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(keyring.node().value())
                .audience(front.value())
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(lifetime)))
                .jwtID(Base64.getUrlEncoder().withoutPadding().encodeToString(jti))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(signing.algorithm()).type(TYPE).keyID(signing.kid()).build(), claims);
        try {
            jwt.sign(signing.signer());
        } catch (JOSEException e) {
            throw new KeyException("cannot sign a link token", e);
        }
        return jwt.serialize();
    }

    /**
     * Checks {@code token} as the front {@code self} does and returns the node it names.
     *
     * @param allowed the nodes that may dial in to this front
     */
    public static NodeId verify(String token, Keyring keyring, NodeId self, Set<NodeId> allowed, Instant now) {
        if (token == null || token.isEmpty()) {
            throw new LinkAuthException("missing", "no token");
        }
        if (token.length() > MAX_TOKEN_CHARS) {
            throw new LinkAuthException("malformed", "token longer than " + MAX_TOKEN_CHARS + " characters");
        }
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token);
        } catch (ParseException e) {
            throw new LinkAuthException("malformed", "not a compact JWS: " + e.getMessage());
        }
        JWSHeader header = jwt.getHeader();
        if (!TYPE.equals(header.getType())) {
            throw new LinkAuthException("malformed", "typ is not " + TYPE);
        }
        if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
            throw new LinkAuthException("malformed", "crit is not supported");
        }
        String kid = header.getKeyID();
        if (kid == null) {
            throw new LinkAuthException("unknown-key", "no kid");
        }
        Optional<Keyring.Verifying> verifying = keyring.verifierFor(kid, now);
        if (verifying.isEmpty()) {
            throw new LinkAuthException("unknown-key", "kid " + kid + " is not a trusted, valid key");
        }
        NodeId owner = verifying.get().owner();
        if (!allowed.contains(owner)) {
            throw new LinkAuthException("not-allowed", "node " + owner + " may not dial in to " + self);
        }
        if (!verifying.get().algorithm().equals(header.getAlgorithm())) {
            throw new LinkAuthException("bad-signature", "alg " + header.getAlgorithm() + " is not the key's");
        }
        try {
            if (!jwt.verify(verifying.get().verifier())) {
                throw new LinkAuthException("bad-signature", "the signature does not verify");
            }
        } catch (JOSEException e) {
            throw new LinkAuthException("bad-signature", e.getMessage());
        }
        JWTClaimsSet claims;
        try {
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw new LinkAuthException("malformed", "claims: " + e.getMessage());
        }
        if (!owner.value().equals(claims.getIssuer())) {
            throw new LinkAuthException("wrong-issuer", "iss " + claims.getIssuer() + " is not the key's owner " + owner);
        }
        List<String> audience = claims.getAudience();
        if (audience == null || audience.size() != 1 || !audience.get(0).equals(self.value())) {
            throw new LinkAuthException("wrong-audience", "aud " + audience + " is not " + self);
        }
        Date iat = claims.getIssueTime();
        Date exp = claims.getExpirationTime();
        if (iat == null || exp == null) {
            throw new LinkAuthException("malformed", "iat and exp are required");
        }
        if (exp.toInstant().isBefore(now.minus(CLOCK_SKEW))) {
            throw new LinkAuthException("expired", "the token expired at " + exp.toInstant());
        }
        if (iat.toInstant().isAfter(now.plus(CLOCK_SKEW))) {
            throw new LinkAuthException("not-yet-valid", "the token is issued at " + iat.toInstant());
        }
        if (Duration.between(iat.toInstant(), exp.toInstant()).compareTo(MAX_LIFETIME) > 0 || exp.before(iat)) {
            throw new LinkAuthException("malformed", "the token lives longer than " + MAX_LIFETIME);
        }
        return owner;
    }
}
