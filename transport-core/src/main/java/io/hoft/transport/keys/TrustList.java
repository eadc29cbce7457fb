package io.hoft.transport.keys;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The peers a node accepts files from, with their keys: its allowlist. A file signed by a key
 * that is not here is spoofed, whatever it says about itself.
 *
 * <p>Every kid names exactly one peer's key; a kid claimed by two peers is refused at load,
 * because it would let one peer's key vouch for another's name.
 */
public final class TrustList {
    private final Map<NodeId, PeerKeys> peers;
    private final Map<String, NodeId> ownerByKid;

    private TrustList(Map<NodeId, PeerKeys> peers) {
        this.peers = Map.copyOf(peers);
        Map<String, NodeId> owners = new LinkedHashMap<>();
        for (PeerKeys peer : peers.values()) {
            peer.kids().forEach(kid -> {
                NodeId previous = owners.putIfAbsent(kid, peer.node());
                if (previous != null) {
                    throw new KeyException("kid " + kid + " is claimed by both " + previous + " and " + peer.node());
                }
            });
        }
        this.ownerByKid = Map.copyOf(owners);
    }

    public static TrustList of(Collection<PeerKeys> peers) {
        Map<NodeId, PeerKeys> byNode = new LinkedHashMap<>();
        for (PeerKeys peer : peers) {
            byNode.merge(peer.node(), peer, PeerKeys::mergedWith);
        }
        return new TrustList(byNode);
    }

    public static TrustList of(PeerKeys... peers) {
        return of(java.util.List.of(peers));
    }

    public Optional<PeerKeys> peer(NodeId node) {
        return Optional.ofNullable(peers.get(node));
    }

    /** The peer that owns {@code kid}, if any. */
    Optional<NodeId> ownerOf(String kid) {
        return Optional.ofNullable(ownerByKid.get(kid));
    }

    public Collection<PeerKeys> peers() {
        return peers.values();
    }

    public boolean trusts(NodeId node) {
        return peers.containsKey(node);
    }
}
