package io.hoft.tools.node;

import io.hoft.tools.Main;
import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.keys.NodeKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code hoft peer card}: write this node's card anew, with the public keys it has now. */
@Command(name = "card",
        mixinStandardHelpOptions = true,
        description = {
            "Write this node's peer card (ID.card.json beside the config) anew from its current keys: after hoft keys"
                + " rotate, the new card carries the old and the new public keys, and the other site's hoft peer add"
                + " takes it. The role, link, URL and TLS certificate are kept from the card hoft init wrote."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:card written", "2:usage error (no config, no earlier card, unreadable keys)"},
        footer = {"", "Example: hoft keys rotate --keys keys/front.jwks && hoft peer card --config front.yaml"})
final class PeerCardCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "this node's front.yaml or back.yaml")
    Path config;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        NodeFile node = NodeFile.read(config);
        Path cardFile = node.dir().resolve(node.id() + ".card.json");
        if (!Files.exists(cardFile)) {
            throw new Main.UsageException(cardFile + " does not exist: hoft peer card renews the card hoft init --role wrote");
        }
        PeerCard earlier = PeerCard.read(cardFile);
        NodeKeys keys = KeyFiles.readNodeKeys(node.keys());
        if (!keys.node().equals(node.id()) || !earlier.node().equals(node.id())) {
            throw new Main.UsageException(cardFile + " or " + node.keys() + " is not of node " + node.id());
        }
        PeerCard card = new PeerCard(node.id(), earlier.role(), earlier.link(), earlier.shares(), earlier.url(),
                earlier.certificatePem(), keys.publicKeys());
        card.write(cardFile, Instant.now());
        spec.commandLine().getOut().println("wrote " + cardFile + " with the public keys "
                + keys.publicKeys().kids().collect(Collectors.joining(", ")) + "; give it to the other site's hoft peer add");
        return Main.OK;
    }
}
