package io.hoft.transport.keys;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEDecrypter;
import com.nimbusds.jose.JWEEncrypter;
import com.nimbusds.jose.JWEProvider;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSProvider;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.AESDecrypter;
import com.nimbusds.jose.crypto.AESEncrypter;
import com.nimbusds.jose.crypto.ECDHDecrypter;
import com.nimbusds.jose.crypto.ECDHEncrypter;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.jwk.ECKey;
import java.security.Provider;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * A node's own keys and its trust list, seen the way the spool codec needs them: who signs a
 * file to a given peer and with what, how the content key is wrapped for it, and which key
 * verifies or unwraps a file that names a kid.
 *
 * <p>A peer with a valid shared secret is spoken to with HS256 and A256KW; any other peer
 * with ES256 and ECDH-ES+A256KW on P-256.
 *
 * <p>The P-256 operations (signing, verifying, the ephemeral key and the key agreement of every
 * file) run on Bouncy Castle's provider, which hoft already ships: on JDK 17 the JDK's own
 * P-256 code takes several milliseconds per operation, which made it the largest cost of a small
 * call (a few operations per spool file, several files per call). The algorithms and the bytes
 * on disk are the same standard ES256 and ECDH-ES+A256KW; only the implementation differs.
 */
public final class Keyring {
    /** Not registered with the JDK: passed only to the JOSE objects built here. */
    private static final Provider EC_PROVIDER = new BouncyCastleProvider();

    private final NodeKeys own;
    private final TrustList trust;

    public Keyring(NodeKeys own, TrustList trust) {
        this.own = Objects.requireNonNull(own, "own");
        this.trust = Objects.requireNonNull(trust, "trust");
    }

    public NodeId node() {
        return own.node();
    }

    public NodeKeys own() {
        return own;
    }

    public TrustList trust() {
        return trust;
    }

    /** A signer and the header values that name it. */
    public record Signing(JWSAlgorithm algorithm, String kid, JWSSigner signer) {}

    /** A content-key wrapper and the header values that name it. */
    public record Wrapping(JWEAlgorithm algorithm, String kid, JWEEncrypter encrypter) {}

    /** A verifier for one kid, and the node that kid belongs to. */
    public record Verifying(NodeId owner, JWSAlgorithm algorithm, JWSVerifier verifier) {}

    /** How to sign a file to {@code recipient} at {@code now}. */
    public Signing signingFor(NodeId recipient, Instant now) {
        Optional<SharedSecret> shared = trust.peer(recipient).flatMap(p -> p.activeSharedSecret(now));
        try {
            if (shared.isPresent()) {
                return new Signing(JWSAlgorithm.HS256, shared.get().kid(), new MACSigner(shared.get().signingKey()));
            }
            ECKey key = own.activeSigningKey(now)
                    .orElseThrow(() -> new KeyException("node " + own.node() + " has no valid signing key"));
            return new Signing(JWSAlgorithm.ES256, key.getKeyID(), withEcProvider(new ECDSASigner(key)));
        } catch (JOSEException e) {
            throw new KeyException("cannot build a signer for " + recipient, e);
        }
    }

    /** True if files to {@code recipient} at {@code now} are keyed by a shared secret (no public-key work per file). */
    public boolean sharesSecretWith(NodeId recipient, Instant now) {
        return trust.peer(recipient).flatMap(p -> p.activeSharedSecret(now)).isPresent();
    }

    /**
     * The kids a session to {@code recipient} started at {@code now} would be bound to: this
     * node's newest signing key and the peer's newest agreement key. A session whose kids differ
     * from these is stale (one side rotated its keys) and is replaced.
     */
    public String sessionKeyIds(NodeId recipient, Instant now) {
        String signing = own.activeSigningKey(now).map(ECKey::getKeyID)
                .orElseThrow(() -> new KeyException("node " + own.node() + " has no valid signing key"));
        String agreement = trust.peer(recipient).flatMap(p -> p.activeAgreementKey(now)).map(ECKey::getKeyID)
                .orElseThrow(() -> new KeyException("peer " + recipient + " has no valid agreement key"));
        return signing + " " + agreement;
    }

    /** How to wrap a content key for {@code recipient} at {@code now}. */
    public Wrapping wrappingFor(NodeId recipient, Instant now) {
        PeerKeys peer = trust.peer(recipient)
                .orElseThrow(() -> new KeyException("peer " + recipient + " is not in the trust list"));
        try {
            Optional<SharedSecret> shared = peer.activeSharedSecret(now);
            if (shared.isPresent()) {
                return new Wrapping(JWEAlgorithm.A256KW, shared.get().kid(), new AESEncrypter(shared.get().wrappingKey()));
            }
            ECKey key = peer.activeAgreementKey(now)
                    .orElseThrow(() -> new KeyException("peer " + recipient + " has no valid agreement key"));
            return new Wrapping(JWEAlgorithm.ECDH_ES_A256KW, key.getKeyID(), withEcProvider(new ECDHEncrypter(key)));
        } catch (JOSEException e) {
            throw new KeyException("cannot build a key wrapper for " + recipient, e);
        }
    }

    /** The verifier of a signature made with {@code kid}, if that kid is trusted and valid now. */
    public Optional<Verifying> verifierFor(String kid, Instant now) {
        Optional<NodeId> owner = trust.ownerOf(kid);
        if (owner.isEmpty()) {
            return Optional.empty();
        }
        PeerKeys peer = trust.peer(owner.get()).orElseThrow();
        try {
            for (SharedSecret secret : peer.sharedSecrets()) {
                if (secret.kid().equals(kid) && secret.isValidAt(now)) {
                    return Optional.of(new Verifying(peer.node(), JWSAlgorithm.HS256, new MACVerifier(secret.signingKey())));
                }
            }
            for (ECKey key : peer.signingKeys()) {
                if (key.getKeyID().equals(kid) && KeyValidity.isValidAt(key, now)) {
                    return Optional.of(new Verifying(peer.node(), JWSAlgorithm.ES256, withEcProvider(new ECDSAVerifier(key))));
                }
            }
        } catch (JOSEException e) {
            throw new KeyException("cannot build a verifier for " + kid, e);
        }
        return Optional.empty();
    }

    /** The peer whose EC signing key {@code kid} is, if that key is trusted and valid at {@code now}. */
    public Optional<NodeId> signingKeyOwner(String kid, Instant now) {
        return trust.ownerOf(kid).filter(owner -> trust.peer(owner).orElseThrow().signingKeys().stream()
                .anyMatch(key -> key.getKeyID().equals(kid) && KeyValidity.isValidAt(key, now)));
    }

    /**
     * The unwrapper for a content key wrapped with {@code kid} by {@code sender}: one of this
     * node's agreement keys, or the secret shared with that sender.
     */
    public Optional<JWEDecrypter> unwrapperFor(String kid, JWEAlgorithm algorithm, NodeId sender, Instant now) {
        try {
            if (JWEAlgorithm.A256KW.equals(algorithm)) {
                Optional<PeerKeys> peer = trust.peer(sender);
                if (peer.isPresent()) {
                    for (SharedSecret secret : peer.get().sharedSecrets()) {
                        if (secret.kid().equals(kid) && secret.isValidAt(now)) {
                            return Optional.of(new AESDecrypter(secret.wrappingKey()));
                        }
                    }
                }
                return Optional.empty();
            }
            if (JWEAlgorithm.ECDH_ES_A256KW.equals(algorithm)) {
                Optional<ECKey> key = own.agreementKey(kid, now);
                if (key.isPresent()) {
                    return Optional.of(withEcProvider(new ECDHDecrypter(key.get())));
                }
            }
            return Optional.empty();
        } catch (JOSEException e) {
            throw new KeyException("cannot build an unwrapper for " + kid, e);
        }
    }

    private static <T extends JWSProvider> T withEcProvider(T jose) {
        jose.getJCAContext().setProvider(EC_PROVIDER);
        return jose;
    }

    private static <T extends JWEProvider> T withEcProvider(T jose) {
        // key agreement, ephemeral key generation and the key wrap; the content cipher stays the JDK's
        jose.getJCAContext().setKeyEncryptionProvider(EC_PROVIDER);
        return jose;
    }
}
