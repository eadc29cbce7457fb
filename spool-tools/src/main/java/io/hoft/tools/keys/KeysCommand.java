package io.hoft.tools.keys;

import io.hoft.tools.CommandGroup;
import picocli.CommandLine.Command;

/** {@code hoft keys}: generate, inspect and rotate the key files of nodes. */
@Command(name = "keys",
        mixinStandardHelpOptions = true,
        description = {
            "Generate, inspect and rotate key files.",
            "A node's private key set (ID.jwks) stays on that node, readable by its owner only; its public set"
                + " (ID.public.jwks) goes to every peer, whose config names it under node.peers[].keys."},
        subcommands = {KeysGenCommand.class, KeysShowCommand.class, KeysRotateCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:fine", "1:something was found wrong", "2:usage or environment error"},
        footer = {"", "Example: hoft keys gen --node front --out keys"})
public final class KeysCommand extends CommandGroup {}
