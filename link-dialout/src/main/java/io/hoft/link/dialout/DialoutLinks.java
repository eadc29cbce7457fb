package io.hoft.link.dialout;

import io.hoft.transport.config.DialoutConfigs;
import io.hoft.transport.config.DialoutLinkFactory;
import io.hoft.transport.config.NodeConfig;
import io.hoft.transport.config.NodeRuntime;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.Link;
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
 * (state in {@code {state}/dialout/to-{peer}}), and one receiving link shared by every peer that
 * dials in to it (state in {@code {state}/dialout/dialed}). Pass {@link #FACTORY} to
 * {@link NodeRuntime#open(NodeConfig, DialoutLinkFactory, io.hoft.transport.channel.ChannelListener, Clock)}.
 */
public final class DialoutLinks implements DialoutLinkFactory {
    /** The factory a node that may have dial-out peers opens its runtime with. */
    public static final DialoutLinkFactory FACTORY = new DialoutLinks();

    private DialoutLinks() {}

    @Override
    public Map<NodeId, Link> links(NodeConfig config, Keyring keyring, Clock clock) throws IOException {
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
        if (!dialingIn.isEmpty()) {
            long maxFile = config.channel().toChannelConfig(config.fileMode()).maxFileBytes();
            long maxUpload = maxFile > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : 2 * maxFile + (1 << 20);
            DialoutServerLink link = new DialoutServerLink(config.nodeId(), keyring, dialingIn, root.resolve("dialed"),
                    heartbeat, maxUpload, clock);
            dialingIn.forEach(peer -> byPeer.put(peer, link));
        }
        return byPeer;
    }

    /** The dial-out link's receiving end, if peers dial in to this node (the front mounts its handler). */
    public static Optional<DialoutServerLink> serverOf(NodeRuntime runtime) {
        return runtime.config().peers().stream()
                .map(peer -> runtime.transport().link(peer.nodeId()).orElse(null))
                .filter(DialoutServerLink.class::isInstance)
                .map(DialoutServerLink.class::cast)
                .findFirst();
    }
}
