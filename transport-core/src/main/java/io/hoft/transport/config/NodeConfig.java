package io.hoft.transport.config;

import io.hoft.transport.keys.NodeId;
import io.hoft.transport.spool.FileMode;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The {@code node:} section every hoft node's config has: who it is, where its keys and state
 * live, and how it reaches each peer.
 *
 * <pre>
 * node:
 *   id: front
 *   keys: keys/front.jwks          # this node's private key set (owner-only)
 *   state: state/front             # database, bodies, sent files, quarantine
 *   mode: encrypted                # or signed-plaintext, checksum-only-unauthenticated
 *   spoolQuota: 64GiB
 *   peers:
 *     - id: back
 *       keys: keys/back.public.jwks
 *       link: {type: folder, outbox: link/front-out, inbox: link/front-in, watch: both, poll: 1s}
 *   channel: {heartbeat: 30s}      # optional, see ChannelSettings
 * </pre>
 */
public record NodeConfig(
        String id,
        Path keys,
        Path state,
        String mode,
        DataSize spoolQuota,
        List<PeerConfig> peers,
        ChannelSettings channel) {

    public NodeConfig {
        require(id, "id");
        if (!NodeId.isValid(id)) {
            throw new IllegalArgumentException("node.id '" + id + "' is not a valid node id (1-32 of [a-z0-9-])");
        }
        require(keys, "keys");
        require(state, "state");
        mode = mode == null ? FileMode.SIGNED_ENCRYPTED.wireName() : mode;
        if (FileMode.fromWireName(mode).isEmpty()) {
            throw new IllegalArgumentException("mode must be encrypted, signed-plaintext or checksum-only-unauthenticated");
        }
        spoolQuota = spoolQuota == null ? DataSize.parse("64GiB") : spoolQuota;
        if (peers == null || peers.isEmpty()) {
            throw new IllegalArgumentException("node.peers must name at least one peer");
        }
        peers = List.copyOf(peers);
        channel = channel == null ? ChannelSettings.DEFAULTS : channel;
    }

    public NodeId nodeId() {
        return NodeId.of(id);
    }

    public FileMode fileMode() {
        return FileMode.fromWireName(mode).orElseThrow();
    }

    static void require(Object value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " is required");
        }
    }

    /** A peer this node exchanges files with. {@code acceptModes} widens what is accepted from it. */
    public record PeerConfig(String id, Path keys, LinkConfig link, List<String> acceptModes) {
        public PeerConfig {
            require(id, "id");
            if (!NodeId.isValid(id)) {
                throw new IllegalArgumentException("peer id '" + id + "' is not a valid node id");
            }
            require(keys, "keys");
            require(link, "link");
            acceptModes = acceptModes == null ? List.of() : List.copyOf(acceptModes);
            for (String mode : acceptModes) {
                if (FileMode.fromWireName(mode).isEmpty()) {
                    throw new IllegalArgumentException("acceptModes: unknown mode '" + mode + "'");
                }
            }
        }

        public NodeId nodeId() {
            return NodeId.of(id);
        }
    }

    /**
     * How files reach a peer. For {@code type: folder}: the outbox this node publishes into,
     * the inbox it watches, how it watches ({@code inotify}, {@code poll} or {@code both}), the
     * poll interval, and a temporary folder on the outbox's filesystem (default: a hidden
     * folder beside the outbox).
     */
    public record LinkConfig(String type, Path outbox, Path inbox, String watch, java.time.Duration poll, Path temp) {
        public LinkConfig {
            type = type == null ? "folder" : type;
            if (!type.equals("folder")) {
                throw new IllegalArgumentException("link.type must be folder");
            }
            require(outbox, "outbox");
            require(inbox, "inbox");
            watch = watch == null ? "both" : watch;
            if (io.hoft.transport.link.WatchMode.fromConfigName(watch).isEmpty()) {
                throw new IllegalArgumentException("link.watch must be inotify, poll or both");
            }
            poll = poll == null ? java.time.Duration.ofSeconds(1) : poll;
            Objects.requireNonNull(poll);
        }

        public Path tempOrDefault(NodeId node) {
            return temp != null ? temp : outbox.toAbsolutePath().getParent().resolve(".hoft-tmp-" + node);
        }
    }
}
