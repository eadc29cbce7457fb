package io.hoft.transport.spool;

/**
 * How long each fuzz test fuzzes in the short run ({@code -Dhoft.fuzz=true}): a few seconds.
 * The long run ({@code -Dhoft.long=true}) gives libFuzzer a longer {@code -max_total_time}
 * through Jazzer's configuration instead. The ordinary build only replays the seeds and the
 * regressions (README, "Fuzzing").
 */
public final class FuzzRuns {
    public static final String SHORT = "4s";

    private FuzzRuns() {}
}
