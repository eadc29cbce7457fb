package io.hoft.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every subcommand explains itself with an example and its exit codes; a group run alone is a usage error. */
class HelpTest {
    @ParameterizedTest
    @ValueSource(strings = {"spool ls", "spool show", "spool verify", "spool stats", "spool requests", "spool request",
        "spool export", "spool replay", "spool gc", "keys gen", "keys show", "keys rotate", "peer add", "peer card"})
    void everySubcommandHasHelpWithAnExampleAndItsExitCodes(String command) {
        String[] words = command.split(" ");
        Cli.Result result = Cli.run(words[0], words[1], "--help");

        assertEquals(0, result.exit(), result.toString());
        assertTrue(result.out().startsWith("Usage: hoft " + command), result.out());
        assertTrue(result.out().contains("Exit codes:"), result.out());
        assertTrue(result.out().contains("Example"), result.out());
        assertTrue(result.out().contains("hoft " + command + " "), "the example uses the command: " + result.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"spool", "keys", "peer"})
    void aGroupWithoutASubcommandIsAUsageError(String group) {
        Cli.Result result = Cli.run(group);

        assertEquals(2, result.exit(), result.toString());
        assertTrue(result.err().contains("Missing subcommand"), result.toString());
    }

    @Test
    void anUnknownOptionIsAUsageError() {
        Cli.Result result = Cli.run("spool", "ls", "--colour");

        assertEquals(2, result.exit(), result.toString());
        assertTrue(result.err().contains("Unknown option"), result.toString());
    }
}
