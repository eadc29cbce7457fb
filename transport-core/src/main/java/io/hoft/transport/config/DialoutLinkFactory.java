package io.hoft.transport.config;

import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.Link;
import java.io.IOException;
import java.time.Clock;
import java.util.Map;

/**
 * Builds the links of a node's {@code type: dialout} peers (SPEC.md section 19). Core carries no
 * dial-out link of its own: the module link-dialout implements this ({@code DialoutLinks}), and
 * {@link NodeRuntime#open(NodeConfig, DialoutLinkFactory, io.hoft.transport.channel.ChannelListener, Clock)}
 * calls it once, before the transport is built, with the config already checked.
 */
@FunctionalInterface
public interface DialoutLinkFactory {
    /** For a node whose peers are all folder links: refuses a dial-out peer with a {@link ConfigException}. */
    DialoutLinkFactory NONE = (config, keyring, clock) -> {
        for (NodeConfig.PeerConfig peer : config.peers()) {
            if (!peer.link().isFolder()) {
                throw new ConfigException("peer " + peer.id() + " has a dial-out link, and this program was built"
                        + " without the dial-out link module");
            }
        }
        return Map.of();
    };

    /**
     * One link for each peer of {@code config} whose link is not a folder link (peers that dial in
     * to this node may share one); the transport closes them.
     */
    Map<NodeId, Link> links(NodeConfig config, Keyring keyring, Clock clock) throws IOException;
}
