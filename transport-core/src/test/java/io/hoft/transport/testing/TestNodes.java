package io.hoft.transport.testing;

import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.keys.NodeKeys;
import io.hoft.transport.keys.PeerKeys;
import io.hoft.transport.keys.SharedSecret;
import io.hoft.transport.keys.TrustList;
import io.hoft.transport.spool.FileMode;
import io.hoft.transport.spool.ModePolicy;
import java.time.Instant;
import java.util.EnumSet;

/**
 * Two nodes that trust each other, {@code front} and {@code back}, with keys made once per
 * JVM (key generation is slow enough to matter across hundreds of tests), plus a stranger
 * neither trusts.
 */
public final class TestNodes {
    public static final NodeId FRONT = NodeId.of("front");
    public static final NodeId BACK = NodeId.of("back");
    public static final NodeId STRANGER = NodeId.of("stranger");

    private static final Instant KEYS_ISSUED = Instant.parse("2026-01-01T00:00:00Z");
    private static final NodeKeys FRONT_KEYS = NodeKeys.generate(FRONT, KEYS_ISSUED);
    private static final NodeKeys BACK_KEYS = NodeKeys.generate(BACK, KEYS_ISSUED);
    private static final NodeKeys STRANGER_KEYS = NodeKeys.generate(STRANGER, KEYS_ISSUED);
    private static final com.nimbusds.jose.jwk.OctetSequenceKey SHARED =
            SharedSecret.generate("front-back-shared-1", KEYS_ISSUED);

    private TestNodes() {}

    /** Which keys a pair uses. */
    public enum Keys {
        /** EC keys, every signed file signed on its own (format version 1). */
        EC,
        /** A shared secret (version 1, HS256 and A256KW). */
        SHARED_SECRET,
        /** EC keys, signed files keyed by sessions (format version 2). */
        SESSION
    }

    public static Keyring front(Keys keys) {
        return keyring(FRONT_KEYS, BACK_KEYS, BACK, keys);
    }

    public static Keyring back(Keys keys) {
        return keyring(BACK_KEYS, FRONT_KEYS, FRONT, keys);
    }

    public static Keyring front() {
        return front(Keys.EC);
    }

    public static Keyring back() {
        return back(Keys.EC);
    }

    /** A node that calls itself "front" but whose keys nobody trusts. */
    public static Keyring impostorFront() {
        NodeKeys fake = NodeKeys.generate(FRONT, KEYS_ISSUED);
        return new Keyring(fake, TrustList.of(BACK_KEYS.publicKeys()));
    }

    /** The stranger, who trusts back (so it can address files to it) but back does not trust it. */
    public static Keyring stranger() {
        return new Keyring(STRANGER_KEYS, TrustList.of(BACK_KEYS.publicKeys()));
    }

    /** A third node both front and back know of, for misaddressing tests: back trusts front, this one is "other". */
    public static Keyring frontTrustingOther(NodeKeys other) {
        return new Keyring(FRONT_KEYS, TrustList.of(BACK_KEYS.publicKeys(), other.publicKeys()));
    }

    public static NodeKeys frontKeys() {
        return FRONT_KEYS;
    }

    public static NodeKeys backKeys() {
        return BACK_KEYS;
    }

    /** The receive policy that also accepts checksum-only files from front. */
    public static ModePolicy backPolicyAcceptingChecksumOnly() {
        return ModePolicy.SIGNED_ONLY.with(FRONT, EnumSet.allOf(FileMode.class));
    }

    private static Keyring keyring(NodeKeys own, NodeKeys peer, NodeId peerId, Keys keys) {
        PeerKeys peerKeys = keys == Keys.SHARED_SECRET ? PeerKeys.sharedSecret(peerId, SHARED) : peer.publicKeys();
        return new Keyring(own, TrustList.of(peerKeys));
    }
}
