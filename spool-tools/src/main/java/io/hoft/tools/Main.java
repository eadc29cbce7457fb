package io.hoft.tools;

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
        subcommands = {MirrorCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    public static final int OK = 0;
    public static final int FOUND_WRONG = 1;
    public static final int USAGE = 2;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (tests call this directly). */
    public static int run(String... args) {
        CommandLine commandLine = new CommandLine(new Main())
                .setExitCodeExceptionMapper(e -> e instanceof CommandLine.ParameterException ? USAGE : FOUND_WRONG)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("hoft: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
                    return e instanceof UsageException ? USAGE : FOUND_WRONG;
                });
        commandLine.getCommandSpec().exitCodeOnInvalidInput(USAGE);
        return commandLine.execute(args);
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
