package io.hoft.tools;

import io.hoft.tools.keys.KeysCommand;
import io.hoft.tools.node.BackCommand;
import io.hoft.tools.node.DemoCommand;
import io.hoft.tools.node.FrontCommand;
import io.hoft.tools.node.InitCommand;
import io.hoft.tools.node.PeerCommand;
import io.hoft.tools.spool.SpoolCommand;
import io.hoft.transport.config.ConfigException;
import io.hoft.transport.keys.KeyException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code hoft} command. Exit codes everywhere: 0 success, 1 something was found wrong or
 * failed, 2 usage or environment error.
 */
@Command(name = "hoft",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "HTTP over file transfer: carry HTTP API calls across links that only move files.",
        subcommands = {InitCommand.class, PeerCommand.class, FrontCommand.class, BackCommand.class, DemoCommand.class,
            MirrorCommand.class, SpoolCommand.class, KeysCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    public static final int OK = 0;
    public static final int FOUND_WRONG = 1;
    public static final int USAGE = 2;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (tests call this directly). */
    public static int run(String... args) {
        return run(null, null, args);
    }

    /** Runs a command line writing to {@code out} and {@code err} (System.out and System.err when null). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = new CommandLine(new Main())
                .setExitCodeExceptionMapper(e -> e instanceof CommandLine.ParameterException ? USAGE : FOUND_WRONG)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("hoft: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
                    cmd.getErr().flush();
                    return isUsage(e) ? USAGE : FOUND_WRONG;
                });
        if (out != null) {
            commandLine.setOut(out);
        }
        if (err != null) {
            commandLine.setErr(err);
        }
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.getCommandSpec().exitCodeOnInvalidInput(USAGE);
        try {
            return commandLine.execute(args);
        } finally {
            commandLine.getOut().flush();
            commandLine.getErr().flush();
        }
    }

    /** Errors of what the command was given (options, config, key files), not findings: exit 2. */
    private static boolean isUsage(Exception e) {
        return e instanceof UsageException || e instanceof ConfigException || e instanceof KeyException;
    }

    /** A command was given something it cannot use (a missing file, a bad config): exit 2. */
    public static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"hoft " + (version == null ? "development build" : version)};
        }
    }
}
