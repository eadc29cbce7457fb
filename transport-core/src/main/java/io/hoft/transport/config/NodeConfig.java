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
 *   quarantine: {maxAge: 7d, maxSize: 1GiB}   # optional, see QuarantineSettings
 * </pre>
 */
public record NodeConfig(
        String id,
        Path keys,
        Path state,
        String mode,
        DataSize spoolQuota,
        List<PeerConfig> peers,
        ChannelSettings channel,
        QuarantineSettings quarantine) {

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
        quarantine = quarantine == null ? QuarantineSettings.DEFAULTS : quarantine;
    }

    public NodeId nodeId() {
        return NodeId.of(id);
    }

    public FileMode fileMode() {
        return FileMode.fromWireName(mode).orElseThrow();
    }

    /**
     * The folder where files to {@code peer} wait on its link: the folder link's outbox, or the
     * dial-out link's folder of files waiting to go (SPEC.md section 19.6).
     */
    public Path linkOutbox(PeerConfig peer) {
        if (peer.link().isFolder()) {
            return peer.link().outbox();
        }
        return peer.link().dials() ? state.resolve("dialout/to-" + peer.id() + "/out") : state.resolve("dialout/dialed/held");
    }

    /** The folder where files from {@code peer} arrive: the folder link's inbox, or the dial-out link's. */
    public Path linkInbox(PeerConfig peer) {
        if (peer.link().isFolder()) {
            return peer.link().inbox();
        }
        return peer.link().dials() ? state.resolve("dialout/to-" + peer.id() + "/in") : state.resolve("dialout/dialed/in");
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
     * How files reach a peer.
     *
     * <p>{@code type: folder}: the outbox this node publishes into, the inbox it watches, how it
     * watches ({@code inotify}, {@code poll} or {@code both}), the poll interval, and a temporary
     * folder on the outbox's filesystem (default: a hidden folder beside the outbox).
     *
     * <p>{@code type: dialout} (SPEC.md section 19): with {@code url}, this node dials its peer
     * (the front's base URL, http or https), optionally through {@code proxy} (an HTTP proxy,
     * {@code host:port}, used with CONNECT), trusting {@code trust} (a PEM file: the front's
     * pinned certificate or CAs), pinging every {@code heartbeat} (default 10s) and running up
     * to {@code parallel} transfers each way (default 4); without {@code url}, this node is the
     * one dialed: the peer connects to its HTTP listener, and only {@code heartbeat} applies.
     */
    public record LinkConfig(String type, Path outbox, Path inbox, String watch, java.time.Duration poll, Path temp,
            String url, String proxy, java.time.Duration heartbeat, Integer parallel, Path trust) {
        public LinkConfig {
            type = type == null ? "folder" : type;
            if (type.equals("folder")) {
                require(outbox, "outbox");
                require(inbox, "inbox");
                refuse(url, "url", type);
                refuse(proxy, "proxy", type);
                refuse(heartbeat, "heartbeat", type);
                refuse(parallel, "parallel", type);
                refuse(trust, "trust", type);
                watch = watch == null ? "both" : watch;
                if (io.hoft.transport.link.WatchMode.fromConfigName(watch).isEmpty()) {
                    throw new IllegalArgumentException("link.watch must be inotify, poll or both");
                }
                poll = poll == null ? java.time.Duration.ofSeconds(1) : poll;
                Objects.requireNonNull(poll);
            } else if (type.equals("dialout")) {
                refuse(outbox, "outbox", type);
                refuse(inbox, "inbox", type);
                refuse(watch, "watch", type);
                refuse(poll, "poll", type);
                refuse(temp, "temp", type);
                if (url == null) {
                    refuse(proxy, "proxy", "dialout without url (the node that is dialed)");
                    refuse(parallel, "parallel", "dialout without url (the node that is dialed)");
                    refuse(trust, "trust", "dialout without url (the node that is dialed)");
                } else {
                    DialoutConfigs.checkUrl(url);
                    if (proxy != null) {
                        DialoutConfigs.proxyAddress(proxy);
                    }
                    parallel = parallel == null ? DialoutConfigs.DEFAULT_PARALLEL : parallel;
                    if (parallel < 2 || parallel > 64) {
                        throw new IllegalArgumentException("link.parallel must be between 2 and 64");
                    }
                }
                heartbeat = heartbeat == null ? DialoutConfigs.DEFAULT_HEARTBEAT : heartbeat;
                if (heartbeat.toMillis() < 100) {
                    throw new IllegalArgumentException("link.heartbeat must be at least 100ms");
                }
            } else {
                throw new IllegalArgumentException("link.type must be folder or dialout");
            }
        }

        private static void refuse(Object value, String key, String kind) {
            if (value != null) {
                throw new IllegalArgumentException("link." + key + " does not apply to a " + kind + " link");
            }
        }

        public boolean isFolder() {
            return type.equals("folder");
        }

        /** A dial-out link on the node that dials (it has the peer's url). */
        public boolean dials() {
            return type.equals("dialout") && url != null;
        }

        public Path tempOrDefault(NodeId node) {
            if (!isFolder()) {
                return null;
            }
            return temp != null ? temp : outbox.toAbsolutePath().getParent().resolve(".hoft-tmp-" + node);
        }
    }
}
