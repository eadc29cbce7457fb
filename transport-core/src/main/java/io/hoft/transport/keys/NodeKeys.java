package io.hoft.transport.keys;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A node's own private keys: ES256 signing keys and P-256 key agreement keys
 * (ECDH-ES+A256KW), each with a {@code kid}.
 *
 * <p>Several keys of each use may be held at once, for rotation with overlap: the newest valid
 * signing key signs, and every valid agreement key can unwrap, so files encrypted to the
 * previous key before a peer learned the new one still open. Stored as a JWK set whose member
 * {@value #NODE_MEMBER} names the node.
 */
public final class NodeKeys {
    /** The JWK set member that names the node the keys belong to. */
    public static final String NODE_MEMBER = "hoft-node";

    private static final DateTimeFormatter KID_DATE =
            DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);

    private final NodeId node;
    private final List<ECKey> signingKeys;
    private final List<ECKey> agreementKeys;

    private NodeKeys(NodeId node, List<ECKey> signingKeys, List<ECKey> agreementKeys) {
        this.node = Objects.requireNonNull(node, "node");
        this.signingKeys = sortedNewestFirst(signingKeys);
        this.agreementKeys = sortedNewestFirst(agreementKeys);
    }

    /** Fresh keys for a new node: one signing key and one agreement key. */
    public static NodeKeys generate(NodeId node, Instant now) {
        return new NodeKeys(node, List.of(newSigningKey(node, now)), List.of(newAgreementKey(node, now)));
    }

    /**
     * New keys beside the current ones. The current keys stay valid for {@code overlap} and
     * then expire, so peers have that long to pick up the new public keys.
     */
    public NodeKeys rotate(Instant now, Duration overlap) {
        Instant retireAt = now.plus(overlap);
        List<ECKey> signing = new ArrayList<>();
        signing.add(newSigningKey(node, now));
        signingKeys.forEach(key -> signing.add(retire(key, retireAt)));
        List<ECKey> agreement = new ArrayList<>();
        agreement.add(newAgreementKey(node, now));
        agreementKeys.forEach(key -> agreement.add(retire(key, retireAt)));
        return new NodeKeys(node, signing, agreement);
    }

    /** Reads a node's private key set; every key must be a private P-256 key with a kid and a use. */
    public static NodeKeys fromJwkSet(JWKSet set) {
        NodeId node = nodeOf(set);
        List<ECKey> signing = new ArrayList<>();
        List<ECKey> agreement = new ArrayList<>();
        for (JWK jwk : set.getKeys()) {
            if (!(jwk instanceof ECKey) || ((ECKey) jwk).getCurve() != Curve.P_256 || !jwk.isPrivate()) {
                throw new KeyException("key " + jwk.getKeyID() + " of node " + node + " is not a private P-256 key");
            }
            if (jwk.getKeyID() == null) {
                throw new KeyException("a key of node " + node + " has no kid");
            }
            if (KeyUse.SIGNATURE.equals(jwk.getKeyUse())) {
                signing.add((ECKey) jwk);
            } else if (KeyUse.ENCRYPTION.equals(jwk.getKeyUse())) {
                agreement.add((ECKey) jwk);
            } else {
                throw new KeyException("key " + jwk.getKeyID() + " of node " + node + " has no use (sig or enc)");
            }
        }
        return new NodeKeys(node, signing, agreement);
    }

    static NodeId nodeOf(JWKSet set) {
        Object node = set.getAdditionalMembers().get(NODE_MEMBER);
        if (!(node instanceof String)) {
            throw new KeyException("JWK set has no \"" + NODE_MEMBER + "\" member naming its node");
        }
        try {
            return NodeId.of((String) node);
        } catch (IllegalArgumentException e) {
            throw new KeyException(e.getMessage(), e);
        }
    }

    public NodeId node() {
        return node;
    }

    /** The newest signing key valid at {@code now}. */
    Optional<ECKey> activeSigningKey(Instant now) {
        return signingKeys.stream().filter(key -> KeyValidity.isValidAt(key, now)).findFirst();
    }

    /** The agreement key with this kid, if it is held and valid at {@code now}. */
    public Optional<ECKey> agreementKey(String kid, Instant now) {
        return agreementKeys.stream()
                .filter(key -> key.getKeyID().equals(kid) && KeyValidity.isValidAt(key, now))
                .findFirst();
    }

    public List<ECKey> signingKeys() {
        return signingKeys;
    }

    public List<ECKey> agreementKeys() {
        return agreementKeys;
    }

    /** The public half, as a peer puts it in its trust list. */
    public PeerKeys publicKeys() {
        List<JWK> keys = new ArrayList<>();
        signingKeys.forEach(key -> keys.add(key.toPublicJWK()));
        agreementKeys.forEach(key -> keys.add(key.toPublicJWK()));
        return PeerKeys.fromJwkSet(new JWKSet(keys, nodeMember(node)));
    }

    /** The private key set, for {@link KeyFiles#writePrivate}. */
    public JWKSet toJwkSet() {
        List<JWK> keys = new ArrayList<>(signingKeys);
        keys.addAll(agreementKeys);
        return new JWKSet(keys, nodeMember(node));
    }

    static Map<String, Object> nodeMember(NodeId node) {
        Map<String, Object> members = new LinkedHashMap<>();
        members.put(NODE_MEMBER, node.value());
        return members;
    }

    static String newKid(NodeId node, String use, Instant now) {
        byte[] random = new byte[3];
        new SecureRandom().nextBytes(random);
        return node + "-" + use + "-" + KID_DATE.format(now) + "-" + HexFormat.of().formatHex(random);
    }

    private static ECKey newSigningKey(NodeId node, Instant now) {
        try {
            return new ECKeyGenerator(Curve.P_256)
                    .keyUse(KeyUse.SIGNATURE)
                    .algorithm(JWSAlgorithm.ES256)
                    .keyID(newKid(node, "sig", now))
                    .issueTime(Date.from(now))
                    .generate();
        } catch (JOSEException e) {
            throw new KeyException("cannot generate a P-256 key", e);
        }
    }

    private static ECKey newAgreementKey(NodeId node, Instant now) {
        try {
            return new ECKeyGenerator(Curve.P_256)
                    .keyUse(KeyUse.ENCRYPTION)
                    .algorithm(JWEAlgorithm.ECDH_ES_A256KW)
                    .keyID(newKid(node, "enc", now))
                    .issueTime(Date.from(now))
                    .generate();
        } catch (JOSEException e) {
            throw new KeyException("cannot generate a P-256 key", e);
        }
    }

    private static ECKey retire(ECKey key, Instant retireAt) {
        Date current = key.getExpirationTime();
        if (current != null && !current.toInstant().isAfter(retireAt)) {
            return key;
        }
        return new ECKey.Builder(key).expirationTime(Date.from(retireAt)).build();
    }

    private static List<ECKey> sortedNewestFirst(List<ECKey> keys) {
        List<ECKey> sorted = new ArrayList<>(keys);
        sorted.sort(KeyValidity.NEWEST_FIRST);
        return List.copyOf(sorted);
    }
}
