package io.hoft.transport.config;

import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.Link;
import io.hoft.transport.link.dialout.DialoutClientLink;
import io.hoft.transport.link.dialout.DialoutConfigs;
import io.hoft.transport.link.dialout.DialoutServerLink;
import io.hoft.transport.link.dialout.DialoutSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The dial-out links of a node, built from its config: one dialing link per peer the node dials
 * (state in {@code {state}/dialout/{peer}}), and one receiving link shared by every peer that
 * dials in to it (state in {@code {state}/dialout/dialed}).
 */
final class DialoutLinks {
    private final Map<NodeId, Link> byPeer;
    private final Optional<DialoutServerLink> server;

    private DialoutLinks(Map<NodeId, Link> byPeer, Optional<DialoutServerLink> server) {
        this.byPeer = byPeer;
        this.server = server;
    }

    static DialoutLinks build(NodeConfig config, Keyring keyring, Clock clock) throws IOException {
        Path root = config.state().resolve("dialout");
        Map<NodeId, Link> byPeer = new HashMap<>();
        Set<NodeId> dialingIn = new LinkedHashSet<>();
        Duration heartbeat = null;
        for (NodeConfig.PeerConfig peer : config.peers()) {
            NodeConfig.LinkConfig link = peer.link();
            if (link.isFolder()) {
                continue;
            }
            if (link.dials()) {
                DialoutSettings settings = new DialoutSettings(DialoutConfigs.checkUrl(link.url()),
                        link.proxy() == null ? null : DialoutConfigs.proxyAddress(link.proxy()), link.heartbeat(),
                        link.parallel(), link.trust(), null);
                byPeer.put(peer.nodeId(), new DialoutClientLink(config.nodeId(), peer.nodeId(), settings, keyring,
                        config.linkOutbox(peer).getParent(), clock));
            } else {
                dialingIn.add(peer.nodeId());
                heartbeat = heartbeat == null || link.heartbeat().compareTo(heartbeat) < 0 ? link.heartbeat() : heartbeat;
            }
        }
        Optional<DialoutServerLink> server = Optional.empty();
        if (!dialingIn.isEmpty()) {
            long maxFile = config.channel().toChannelConfig(config.fileMode()).maxFileBytes();
            long maxUpload = maxFile > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : 2 * maxFile + (1 << 20);
            DialoutServerLink link = new DialoutServerLink(config.nodeId(), keyring, dialingIn, root.resolve("dialed"),
                    heartbeat, maxUpload, clock);
            dialingIn.forEach(peer -> byPeer.put(peer, link));
            server = Optional.of(link);
        }
        return new DialoutLinks(byPeer, server);
    }

    Link linkOf(NodeConfig.PeerConfig peer) {
        return byPeer.get(peer.nodeId());
    }

    Optional<DialoutServerLink> server() {
        return server;
    }
}
