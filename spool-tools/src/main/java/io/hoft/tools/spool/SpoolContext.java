package io.hoft.tools.spool;

import io.hoft.tools.Main;
import io.hoft.transport.channel.ChannelConfig;
import io.hoft.transport.config.ConfigLoader;
import io.hoft.transport.config.NodeConfig;
import io.hoft.transport.config.NodeRuntime;
import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.keys.NodeKeys;
import io.hoft.transport.keys.PeerKeys;
import io.hoft.transport.keys.SharedSecret;
import io.hoft.transport.keys.TrustList;
import io.hoft.transport.spool.FileMode;
import io.hoft.transport.spool.ModePolicy;
import io.hoft.transport.spool.SpoolFileReader;
import io.hoft.transport.spool.SpoolLimits;
import io.hoft.transport.store.NodeSnapshot;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a spool command knows about the node it looks at: from {@code --config}, everything
 * (id, keys, trust list, folders, database); from {@code --keys} and {@code --trust}, the keys;
 * from nothing, nothing (files can then only be read unverified).
 *
 * <p>It picks the reader for each file by who the file is between ({@link #viewFor}):
 * <ul>
 *   <li>addressed to this node: its own keys, as the node itself reads it (content included);
 *   <li>sent by this node: the node's own public keys verify the signature, under a stand-in
 *       identity of the recipient (freshly generated keys with its id, so the reader's
 *       addressing check names the recipient); the content opens only if it is not encrypted
 *       or is wrapped with a secret shared with the recipient;
 *   <li>neither: foreign, not this node's to judge;
 *   <li>no node known but trusted keys given: as the recipient, with the stand-in identity;
 *   <li>no keys at all: the header is read unverified.
 * </ul>
 */
final class SpoolContext {
    /** How a file is read, by whom it is between and which keys are at hand. */
    enum Perspective {
        /** This node is the recipient and holds its private keys. */
        RECIPIENT,
        /** This node sent the file: its public keys verify, the recipient is a stand-in. */
        SENDER,
        /** No node: the given trust list verifies, the recipient is a stand-in. */
        TRUST,
        /** No keys: nothing can be verified. */
        NONE,
        /** Neither from nor to this node. */
        FOREIGN
    }

    record View(Perspective perspective, SpoolFileReader reader) {}

    /** One of the node's folders and what it is to the node. */
    record Folder(Path dir, Role role, NodeId peer) {}

    enum Role {
        OUTBOX("outbox"), INBOX("inbox"), SENT("sent"), QUARANTINE("quarantine"), FOLDER("folder");

        final String wireName;

        Role(String wireName) {
            this.wireName = wireName;
        }
    }

    private final NodeConfig config;
    private final Keyring keyring;
    private final TrustList trust;
    private final ModePolicy policy;
    private final Clock clock;
    private final Duration settle;
    private final Map<NodeId, NodeKeys> standIns = new HashMap<>();
    private final Map<List<Object>, View> views = new HashMap<>();

    private SpoolContext(NodeConfig config, Keyring keyring, TrustList trust, ModePolicy policy, Clock clock, Duration settle) {
        this.config = config;
        this.keyring = keyring;
        this.trust = trust;
        this.policy = policy;
        this.clock = clock;
        this.settle = settle;
    }

    static SpoolContext load(Path configFile, Path keysFile, List<Path> trustFiles, Instant at) {
        Clock clock = at == null ? Clock.systemUTC() : Clock.fixed(at, ZoneOffset.UTC);
        if (configFile != null && (keysFile != null || !trustFiles.isEmpty())) {
            throw new Main.UsageException("give either --config, or --keys and --trust, not both");
        }
        try {
            if (configFile != null) {
                NodeConfig config = ConfigLoader.loadSection(configFile, "node", NodeConfig.class, System.getenv());
                Keyring keyring = NodeRuntime.keyring(config);
                Duration settle = config.channel().toChannelConfig(config.fileMode()).settle();
                return new SpoolContext(config, keyring, keyring.trust(), NodeRuntime.modePolicy(config), clock, settle);
            }
            List<PeerKeys> peers = new ArrayList<>();
            for (Path file : trustFiles) {
                peers.add(KeyFiles.readPeerKeys(file));
            }
            TrustList trust = TrustList.of(peers);
            Keyring keyring = keysFile == null ? null : new Keyring(KeyFiles.readNodeKeys(keysFile), trust);
            return new SpoolContext(null, keyring, trust, ModePolicy.SIGNED_ONLY, clock, ChannelConfig.DEFAULT.settle());
        } catch (NoSuchFileException e) {
            throw new Main.UsageException(e.getFile() + " does not exist");
        } catch (IOException e) {
            throw new Main.UsageException("cannot read keys: " + e.getMessage());
        }
    }

    Optional<NodeConfig> config() {
        return Optional.ofNullable(config);
    }

    /** The config, or a usage error naming the command that needs it. */
    NodeConfig requireConfig(String command) {
        if (config == null) {
            throw new Main.UsageException("hoft spool " + command + " needs --config FILE (the node's front.yaml or back.yaml)");
        }
        return config;
    }

    Optional<NodeId> self() {
        return keyring == null ? Optional.empty() : Optional.of(keyring.node());
    }

    boolean hasKeys() {
        return keyring != null || !trust.peers().isEmpty();
    }

    Clock clock() {
        return clock;
    }

    Instant now() {
        return clock.instant();
    }

    Duration settle() {
        return settle;
    }

    /** The reader for a file from {@code sender} to {@code recipient}; see the class comment. */
    View viewFor(NodeId sender, NodeId recipient) {
        NodeId self = keyring == null ? null : keyring.node();
        Perspective perspective = self != null
                ? (recipient.equals(self) ? Perspective.RECIPIENT : sender.equals(self) ? Perspective.SENDER : Perspective.FOREIGN)
                : trust.peers().isEmpty() ? Perspective.NONE : Perspective.TRUST;
        return views.computeIfAbsent(List.of(perspective, recipient), k -> new View(perspective, reader(perspective, recipient)));
    }

    /** A reader for headers read unverified (it checks structure only; its keys are never used). */
    SpoolFileReader plainReader() {
        return reader(Perspective.NONE, NodeId.of("unknown"));
    }

    private SpoolFileReader reader(Perspective perspective, NodeId recipient) {
        switch (perspective) {
            case RECIPIENT:
                return new SpoolFileReader(keyring, policy, SpoolLimits.DEFAULT, clock);
            case SENDER: {
                NodeId self = keyring.node();
                List<PeerKeys> mine = new ArrayList<>();
                mine.add(keyring.own().publicKeys());
                keyring.trust().peer(recipient).ifPresent(peer -> {
                    for (SharedSecret secret : peer.sharedSecrets()) {
                        mine.add(PeerKeys.sharedSecret(self, secret.jwk()));
                    }
                });
                ModePolicy own = ModePolicy.SIGNED_ONLY.with(self, EnumSet.allOf(FileMode.class));
                return new SpoolFileReader(new Keyring(standIn(recipient), TrustList.of(mine)), own, SpoolLimits.DEFAULT, clock);
            }
            case TRUST:
                return new SpoolFileReader(new Keyring(standIn(recipient), trust), policy, SpoolLimits.DEFAULT, clock);
            default:
                return new SpoolFileReader(new Keyring(standIn(recipient), TrustList.of()), policy, SpoolLimits.DEFAULT, clock);
        }
    }

    private NodeKeys standIn(NodeId node) {
        return standIns.computeIfAbsent(node, n -> NodeKeys.generate(n, clock.instant()));
    }

    /** The node's folders: outboxes and inboxes of its links, its sent store and its quarantine. */
    List<Folder> folders() {
        if (config == null) {
            return List.of();
        }
        Map<Path, Folder> folders = new LinkedHashMap<>();
        for (NodeConfig.PeerConfig peer : config.peers()) {
            put(folders, new Folder(config.linkOutbox(peer), Role.OUTBOX, peer.nodeId()));
            put(folders, new Folder(config.linkInbox(peer), Role.INBOX, null));
        }
        for (NodeConfig.PeerConfig peer : config.peers()) {
            put(folders, new Folder(sentDir(peer.nodeId()), Role.SENT, peer.nodeId()));
        }
        put(folders, new Folder(quarantineDir(), Role.QUARANTINE, null));
        return new ArrayList<>(folders.values());
    }

    private static void put(Map<Path, Folder> folders, Folder folder) {
        Path key = folder.dir().toAbsolutePath().normalize();
        Folder existing = folders.get(key);
        if (existing == null) {
            folders.put(key, folder);
        } else if (existing.role() == folder.role() && existing.peer() != null && !existing.peer().equals(folder.peer())) {
            folders.put(key, new Folder(existing.dir(), existing.role(), null)); // one outbox for several peers
        }
    }

    /** What {@code dir} is to the node: one of its folders, or just a folder. */
    Folder folderOf(Path dir) {
        Path key = dir.toAbsolutePath().normalize();
        for (Folder folder : folders()) {
            if (folder.dir().toAbsolutePath().normalize().equals(key)) {
                return new Folder(dir, folder.role(), folder.peer());
            }
        }
        return new Folder(dir, Role.FOLDER, null);
    }

    Path stateDir() {
        return config.state();
    }

    Path sentDir(NodeId peer) {
        return config.state().resolve("sent").resolve(peer.value());
    }

    Path quarantineDir() {
        return config.state().resolve("quarantine");
    }

    Optional<NodeSnapshot> openDatabase() {
        return config == null ? Optional.empty() : NodeSnapshot.open(config.state());
    }
}
