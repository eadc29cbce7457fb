package io.hoft.tools.spool;

import io.hoft.tools.CommandGroup;
import picocli.CommandLine.Command;

/** {@code hoft spool}: look into a node's spool, check it, and clean it. */
@Command(name = "spool",
        mixinStandardHelpOptions = true,
        description = {
            "Inspect, verify and clean spools: the files in a node's outboxes, inboxes, sent store and quarantine,"
                + " the calls in its request store (requests, request, export as HAR, replay),"
                + " and the channel state in its database.",
            "Every subcommand is read-only except gc and replay (which changes calls only through the running front),"
                + " and safe beside a running node. --config names the node (its front.yaml or back.yaml); --json prints one JSON document for scripts."},
        subcommands = {LsCommand.class, ShowCommand.class, VerifyCommand.class, StatsCommand.class, RequestsCommand.class,
            RequestCommand.class, ExportCommand.class, ReplayCommand.class, GcCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:fine", "1:something was found wrong", "2:usage or environment error"},
        footer = {"", "Example: hoft spool ls --config back.yaml --state quarantined"})
public final class SpoolCommand extends CommandGroup {}
