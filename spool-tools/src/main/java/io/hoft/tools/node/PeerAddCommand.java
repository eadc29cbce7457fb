package io.hoft.tools.node;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.tools.Json;
import io.hoft.tools.Main;
import io.hoft.transport.config.NodeConfig;
import io.hoft.transport.config.NodeRuntime;
import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.keys.PeerKeys;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code hoft peer add}: trust the node a card describes. */
@Command(name = "add",
        mixinStandardHelpOptions = true,
        description = {
            "Trust the peer described by CARD (the ID.card.json the other site's hoft init --role wrote): its public"
                + " keys go to keys/ID.public.jwks (the trust list the config names), and the config gains the peer"
                + " under node.peers, linked as the card says: folder (this node's link/out and link/in) or dialout"
                + " (a back dials the URL of the front's card and pins its TLS certificate, kept in keys/ID.tls.pem).",
            "For a peer the config already has (after the peer rotated its keys), only its keys and certificate are"
                + " replaced. The card is checked first: one that carries a private key, a shared secret, or that is"
                + " not of the other role is refused and nothing changes. Restart the node afterwards."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:peer trusted", "2:usage error: the card or the config cannot be used (nothing changed)"},
        footer = {"", "Example: hoft peer add --config back.yaml front.card.json"})
final class PeerAddCommand implements Callable<Integer> {
    private static final Pattern EMPTY_PEERS = Pattern.compile("(?m)^  peers: \\[\\].*$");
    private static final Pattern PEERS = Pattern.compile("(?m)^  peers:[ \\t]*(#.*)?$");
    private static final Pattern SHARE_OFF = Pattern.compile("(?m)^  # share: \\{enabled: true\\}.*$");

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "this node's front.yaml or back.yaml")
    Path config;

    @Parameters(paramLabel = "CARD", description = "the other node's card (ID.card.json)")
    Path cardFile;

    @Option(names = "--json", description = "print what was done as JSON")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        NodeFile node = NodeFile.read(config);
        PeerCard card = PeerCard.read(cardFile);
        String peer = card.node().value();
        String wanted = node.role().equals("front") ? "back" : "front";
        if (!card.role().equals(wanted)) {
            throw new Main.UsageException(cardFile + " is the card of a " + card.role() + " (" + peer + "); a "
                    + node.role() + " trusts a " + wanted);
        }
        if (card.node().equals(node.id())) {
            throw new Main.UsageException(cardFile + " is this node's own card (" + peer + ")");
        }
        Path keysDir = node.keys().getParent();
        Path peerKeys = keysDir.resolve(peer + ".public.jwks");
        Path pin = keysDir.resolve(peer + ".tls.pem");
        boolean known = node.peers().contains(peer);
        boolean dials = card.link().equals("dialout") && node.role().equals("back");
        if (dials && card.url() == null) {
            throw new Main.UsageException(cardFile + " is a dial-out front's card without a url: the back would not know"
                    + " where to dial");
        }
        String newText = node.text();
        List<String> notes = new ArrayList<>();
        if (!known) {
            newText = withPeer(node, peer, relative(node, peerKeys), peerLink(node, card, dials ? relative(node, pin) : null));
            if (card.shares() && node.role().equals("front")) {
                Matcher share = SHARE_OFF.matcher(newText);
                if (share.find()) {
                    newText = share.replaceFirst("  share: {enabled: true}            # the back's card says it shares files:"
                            + " served under /_hoft/files");
                } else {
                    notes.add("the back shares files: set front.share.enabled: true to serve them under /_hoft/files");
                }
            }
            node.check(newText);
        } else if (dials && !node.text().contains(card.url().toString())) {
            notes.add("the card's URL " + card.url() + " is not the link.url of " + peer + " in " + config
                    + "; change it there if the front moved");
        }
        // The peer's public keys and certificate first: a config naming them before they exist would not start.
        if (known && Files.exists(peerKeys)) {
            PeerKeys current = KeyFiles.readPeerKeys(peerKeys);
            if (!current.node().equals(card.node())) {
                throw new Main.UsageException(peerKeys + " holds the keys of " + current.node() + ", not " + peer);
            }
        }
        KeyFiles.writePublic(peerKeys, card.keys().toJwkSet(), true);
        if (dials && card.certificatePem() != null) {
            NodeFile.replaceFile(pin, card.certificatePem().getBytes(StandardCharsets.US_ASCII));
        }
        if (!known) {
            node.replace(newText);
        }
        NodeConfig checked = node.check(Files.readString(config, StandardCharsets.UTF_8));
        NodeRuntime.keyring(checked); // every key file loads and belongs to whom the config says
        List<String> kids = card.keys().kids().collect(Collectors.toList());
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectNode result = Json.object();
            result.put("config", config.toString());
            result.put("peer", peer);
            result.put("added", !known);
            result.put("link", card.link());
            result.put("keys", peerKeys.toString());
            kids.forEach(result.putArray("kids")::add);
            if (dials && card.certificatePem() != null) {
                result.put("tlsPin", pin.toString());
                result.put("tlsSha256", PeerCard.fingerprint(PeerCard.certificate(card.certificatePem())));
            }
            notes.forEach(result.putArray("notes")::add);
            Json.print(out, result);
            return Main.OK;
        }
        out.println((known ? "updated the keys of the " : "trusted the ") + card.role() + " (node " + peer + "): " + peerKeys + " ("
                + String.join(", ", kids) + ")" + (known ? "" : "; " + config + " names it under node.peers (" + card.link()
                + " link)"));
        if (dials && card.certificatePem() != null) {
            out.println("pinned its TLS certificate " + pin + " (SHA-256 "
                    + PeerCard.fingerprint(PeerCard.certificate(card.certificatePem())) + "): compare it with the front's"
                    + " operator before the first start");
        }
        notes.forEach(note -> out.println("note: " + note));
        out.println("restart " + node.id() + " (hoft " + node.role() + " --config " + config + ") for it to take effect");
        return Main.OK;
    }

    private static String peerLink(NodeFile node, PeerCard card, String pin) {
        if (card.link().equals("folder")) {
            for (String folder : List.of("link/out", "link/in")) {
                if (!Files.isDirectory(node.dir().resolve(folder))) {
                    throw new Main.UsageException(node.dir().resolve(folder) + " does not exist: the peer's card says the"
                            + " sites are joined by folders, and this node was not set up with --link folder");
                }
            }
            return "{type: folder, outbox: link/out, inbox: link/in, watch: both, poll: 1s}";
        }
        if (node.role().equals("front")) {
            return "{type: dialout, heartbeat: 10s}  # the back dials in to this front's /_hoft/link";
        }
        return "{type: dialout, url: \"" + card.url() + "\"" + (pin == null ? "" : ", trust: " + pin)
                + ", heartbeat: 10s, parallel: 4}";
    }

    private static String withPeer(NodeFile node, String peer, String keys, String link) {
        String entry = "    - id: " + peer + "\n"
                + "      keys: " + keys + "\n"
                + "      link: " + link;
        Matcher empty = EMPTY_PEERS.matcher(node.text());
        if (empty.find()) {
            return node.text().substring(0, empty.start()) + "  peers:\n" + entry + node.text().substring(empty.end());
        }
        Matcher list = PEERS.matcher(node.text());
        if (list.find()) {
            return node.text().substring(0, list.end()) + "\n" + entry + node.text().substring(list.end());
        }
        throw new Main.UsageException(node.file() + ": cannot find the line '  peers:' (or '  peers: []') of the node"
                + " section to add to; add these lines under node.peers by hand:\n" + entry);
    }

    private static String relative(NodeFile node, Path file) {
        return node.dir().relativize(file.toAbsolutePath()).toString().replace('\\', '/');
    }
}
