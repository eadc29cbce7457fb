package io.hoft.transport.config;

import io.hoft.transport.channel.ChannelListener;
import io.hoft.transport.channel.Transport;
import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.KeyException;
import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.keys.NodeKeys;
import io.hoft.transport.keys.PeerKeys;
import io.hoft.transport.keys.TrustList;
import io.hoft.transport.link.FolderLink;
import io.hoft.transport.link.Link;
import io.hoft.transport.link.WatchMode;
import io.hoft.transport.spool.FileMode;
import io.hoft.transport.spool.ModePolicy;
import io.hoft.transport.store.NodeStore;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A node built from its {@link NodeConfig}: keys loaded and checked against the config, the
 * database opened, one link per peer (peers whose links name the same folders share one),
 * and a {@link Transport} ready to {@link #start}. The layer above creates its own tables in
 * {@link #store()} between {@link #open} and {@link #start}.
 */
public final class NodeRuntime implements Closeable {
    private final NodeConfig config;
    private final Keyring keyring;
    private final NodeStore store;
    private final Transport transport;

    private NodeRuntime(NodeConfig config, Keyring keyring, NodeStore store, Transport transport) {
        this.config = config;
        this.keyring = keyring;
        this.store = store;
        this.transport = transport;
    }

    /** Opens a node whose peers are all folder links (a dial-out peer is refused). */
    public static NodeRuntime open(NodeConfig config, ChannelListener listener, Clock clock) throws IOException {
        return open(config, DialoutLinkFactory.NONE, listener, clock);
    }

    /** Opens a node, building the links of its {@code type: dialout} peers with {@code dialout}. */
    public static NodeRuntime open(NodeConfig config, DialoutLinkFactory dialout, ChannelListener listener, Clock clock)
            throws IOException {
        Keyring keyring = keyring(config);
        ModePolicy policy = modePolicy(config);
        NodeStore store = NodeStore.open(config.state());
        try {
            Transport.Builder builder = Transport.builder()
                    .keyring(keyring)
                    .store(store)
                    .stateDir(config.state())
                    .config(config.channel().toChannelConfig(config.fileMode()))
                    .modePolicy(policy)
                    .clock(clock)
                    .spoolQuotaBytes(config.spoolQuota().bytes())
                    .quarantine(config.quarantine().maxAge(), config.quarantine().maxSize().bytes())
                    .listener(listener);
            Map<List<Path>, Link> links = new HashMap<>();
            Map<NodeId, Link> dialoutLinks = dialout.links(config, keyring, clock);
            for (NodeConfig.PeerConfig peer : config.peers()) {
                NodeConfig.LinkConfig link = peer.link();
                if (!link.isFolder()) {
                    builder.link(peer.nodeId(), dialoutLinks.get(peer.nodeId()));
                    continue;
                }
                List<Path> key = List.of(link.outbox().toAbsolutePath().normalize(), link.inbox().toAbsolutePath().normalize());
                Link shared = links.get(key);
                if (shared == null) {
                    shared = new FolderLink(link.outbox(), link.inbox(), link.tempOrDefault(config.nodeId()),
                            WatchMode.fromConfigName(link.watch()).orElseThrow(), link.poll(), Disk.REAL);
                    links.put(key, shared);
                }
                builder.link(peer.nodeId(), shared);
            }
            return new NodeRuntime(config, keyring, store, builder.build());
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** Which file modes the node accepts from each peer: both signed modes, or the peer's {@code acceptModes}. */
    public static ModePolicy modePolicy(NodeConfig config) {
        ModePolicy policy = ModePolicy.SIGNED_ONLY;
        for (NodeConfig.PeerConfig peer : config.peers()) {
            if (!peer.acceptModes().isEmpty()) {
                Set<FileMode> modes = EnumSet.noneOf(FileMode.class);
                peer.acceptModes().forEach(m -> modes.add(FileMode.fromWireName(m).orElseThrow()));
                policy = policy.with(peer.nodeId(), modes);
            }
        }
        return policy;
    }

    /** Loads the node's keys and its peers' keys, checking each file belongs to who the config says. */
    public static Keyring keyring(NodeConfig config) throws IOException {
        NodeKeys own;
        try {
            own = KeyFiles.readNodeKeys(config.keys());
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ConfigException("key file " + config.keys() + " does not exist (hoft keys gen makes one)");
        }
        if (!own.node().equals(config.nodeId())) {
            throw new ConfigException("key file " + config.keys() + " belongs to node " + own.node() + ", not " + config.id());
        }
        List<PeerKeys> peers = new ArrayList<>();
        for (NodeConfig.PeerConfig peer : config.peers()) {
            PeerKeys keys;
            try {
                keys = KeyFiles.readPeerKeys(peer.keys());
            } catch (java.nio.file.NoSuchFileException e) {
                throw new ConfigException("key file " + peer.keys() + " of peer " + peer.id() + " does not exist");
            } catch (KeyException e) {
                throw new ConfigException("key file " + peer.keys() + " of peer " + peer.id() + ": " + e.getMessage(), e);
            }
            if (!keys.node().equals(peer.nodeId())) {
                throw new ConfigException("key file " + peer.keys() + " belongs to node " + keys.node() + ", not peer " + peer.id());
            }
            peers.add(keys);
        }
        return new Keyring(own, TrustList.of(peers));
    }

    public NodeConfig config() {
        return config;
    }

    public Keyring keyring() {
        return keyring;
    }

    public NodeStore store() {
        return store;
    }

    public Transport transport() {
        return transport;
    }

    public void start() throws IOException {
        transport.start();
    }

    /** Stops the transport (finishing work in progress) and closes the database. */
    @Override
    public void close() throws IOException {
        try {
            transport.close();
        } finally {
            store.close();
        }
    }
}
