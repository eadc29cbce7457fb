package io.hoft.transport.spool;

import io.hoft.transport.keys.NodeId;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Which {@link FileMode}s a receiver accepts from each peer. By default both signed modes are
 * accepted and checksum-only files are refused as spoofed: they prove nothing about their
 * origin, so a peer must be named here to be allowed to send them.
 */
public final class ModePolicy {
    public static final ModePolicy SIGNED_ONLY =
            new ModePolicy(EnumSet.of(FileMode.SIGNED_ENCRYPTED, FileMode.SIGNED_PLAINTEXT), Map.of());

    private final Set<FileMode> defaults;
    private final Map<NodeId, Set<FileMode>> perPeer;

    ModePolicy(Set<FileMode> defaults, Map<NodeId, Set<FileMode>> perPeer) {
        this.defaults = Set.copyOf(defaults);
        this.perPeer = Map.copyOf(perPeer);
    }

    /** A policy that also accepts {@code modes} from {@code peer} (and only those). */
    public ModePolicy with(NodeId peer, Set<FileMode> modes) {
        Map<NodeId, Set<FileMode>> copy = new java.util.HashMap<>(perPeer);
        copy.put(peer, Set.copyOf(modes));
        return new ModePolicy(defaults, copy);
    }

    boolean accepts(NodeId peer, FileMode mode) {
        return perPeer.getOrDefault(peer, defaults).contains(mode);
    }
}
