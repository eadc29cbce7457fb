package io.hoft.tools.node;

import io.hoft.tools.CommandGroup;
import picocli.CommandLine.Command;

/** {@code hoft peer}: trust the other site's node from its card, and write this node's card. */
@Command(name = "peer",
        mixinStandardHelpOptions = true,
        description = {
            "Join two sites by exchanging peer cards: hoft init --role writes each node's card (ID.card.json, public"
                + " keys only); each side runs hoft peer add with the other's card. No private key or shared secret"
                + " ever crosses."},
        subcommands = {PeerAddCommand.class, PeerCardCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:fine", "1:something was found wrong", "2:usage or environment error"},
        footer = {"", "Example: hoft peer add --config front.yaml back.card.json"})
public final class PeerCommand extends CommandGroup {}
