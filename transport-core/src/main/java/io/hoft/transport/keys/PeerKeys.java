package io.hoft.transport.keys;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What a node trusts about one peer: its public signing keys, its public agreement keys, and
 * any secrets shared with it. Read from a JWK set whose {@value NodeKeys#NODE_MEMBER} member
 * names the peer. Private EC members in such a set are refused: a trust list holds only what
 * the peer published.
 */
public final class PeerKeys {
    private final NodeId node;
    private final List<ECKey> signingKeys;
    private final List<ECKey> agreementKeys;
    private final List<SharedSecret> sharedSecrets;

    private PeerKeys(NodeId node, List<ECKey> signingKeys, List<ECKey> agreementKeys, List<SharedSecret> shared) {
        this.node = node;
        this.signingKeys = sorted(signingKeys);
        this.agreementKeys = sorted(agreementKeys);
        List<SharedSecret> secrets = new ArrayList<>(shared);
        secrets.sort((a, b) -> KeyValidity.NEWEST_FIRST.compare(a.jwk(), b.jwk()));
        this.sharedSecrets = List.copyOf(secrets);
    }

    public static PeerKeys fromJwkSet(JWKSet set) {
        NodeId node = NodeKeys.nodeOf(set);
        List<ECKey> signing = new ArrayList<>();
        List<ECKey> agreement = new ArrayList<>();
        List<SharedSecret> shared = new ArrayList<>();
        for (JWK jwk : set.getKeys()) {
            if (jwk.getKeyID() == null) {
                throw new KeyException("a key of peer " + node + " has no kid");
            }
            if (jwk instanceof OctetSequenceKey) {
                shared.add(new SharedSecret((OctetSequenceKey) jwk));
                continue;
            }
            if (!(jwk instanceof ECKey) || ((ECKey) jwk).getCurve() != Curve.P_256) {
                throw new KeyException("key " + jwk.getKeyID() + " of peer " + node + " is neither P-256 nor a shared secret");
            }
            if (jwk.isPrivate()) {
                throw new KeyException("key " + jwk.getKeyID() + " of peer " + node
                        + " holds a private key; a trust list takes public keys only");
            }
            if (KeyUse.SIGNATURE.equals(jwk.getKeyUse())) {
                signing.add((ECKey) jwk);
            } else if (KeyUse.ENCRYPTION.equals(jwk.getKeyUse())) {
                agreement.add((ECKey) jwk);
            } else {
                throw new KeyException("key " + jwk.getKeyID() + " of peer " + node + " has no use (sig or enc)");
            }
        }
        return new PeerKeys(node, signing, agreement, shared);
    }

    /** A peer known only by a secret shared with it. */
    public static PeerKeys sharedSecret(NodeId node, OctetSequenceKey secret) {
        return new PeerKeys(node, List.of(), List.of(), List.of(new SharedSecret(secret)));
    }

    public NodeId node() {
        return node;
    }

    public List<ECKey> signingKeys() {
        return signingKeys;
    }

    public List<ECKey> agreementKeys() {
        return agreementKeys;
    }

    public List<SharedSecret> sharedSecrets() {
        return sharedSecrets;
    }

    /** The newest shared secret valid at {@code now}; when present it is used instead of EC keys. */
    Optional<SharedSecret> activeSharedSecret(Instant now) {
        return sharedSecrets.stream().filter(s -> s.isValidAt(now)).findFirst();
    }

    /** The newest agreement key valid at {@code now}: what files to this peer are encrypted to. */
    Optional<ECKey> activeAgreementKey(Instant now) {
        return agreementKeys.stream().filter(key -> KeyValidity.isValidAt(key, now)).findFirst();
    }

    /** Every kid this peer owns. */
    public Stream<String> kids() {
        return Stream.concat(
                Stream.concat(signingKeys.stream(), agreementKeys.stream()).map(JWK::getKeyID),
                sharedSecrets.stream().map(SharedSecret::kid));
    }

    /** The public key set (shared secrets included), as written to a trust list file. */
    public JWKSet toJwkSet() {
        List<JWK> keys = new ArrayList<>(signingKeys);
        keys.addAll(agreementKeys);
        sharedSecrets.forEach(s -> keys.add(s.jwk()));
        return new JWKSet(keys, NodeKeys.nodeMember(node));
    }

    /** These keys plus those of {@code other} for the same node (a rotated key set picked up). */
    PeerKeys mergedWith(PeerKeys other) {
        if (!other.node.equals(node)) {
            throw new KeyException("cannot merge keys of " + other.node + " into " + node);
        }
        List<ECKey> signing = new ArrayList<>(signingKeys);
        List<ECKey> agreement = new ArrayList<>(agreementKeys);
        List<SharedSecret> shared = new ArrayList<>(sharedSecrets);
        other.signingKeys.stream().filter(k -> absent(signing, k)).forEach(signing::add);
        other.agreementKeys.stream().filter(k -> absent(agreement, k)).forEach(agreement::add);
        other.sharedSecrets.stream()
                .filter(s -> shared.stream().noneMatch(x -> x.kid().equals(s.kid())))
                .forEach(shared::add);
        return new PeerKeys(node, signing, agreement, shared);
    }

    private static boolean absent(List<ECKey> keys, ECKey key) {
        return keys.stream().noneMatch(k -> k.getKeyID().equals(key.getKeyID()));
    }

    private static List<ECKey> sorted(List<ECKey> keys) {
        List<ECKey> copy = new ArrayList<>(keys);
        copy.sort(KeyValidity.NEWEST_FIRST);
        return List.copyOf(copy);
    }
}
