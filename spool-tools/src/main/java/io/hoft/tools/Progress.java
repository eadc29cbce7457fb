package io.hoft.tools;

import java.io.PrintWriter;

/**
 * A one-line progress report on stderr for long work, shown only when the process runs in a
 * terminal ({@code System.console() != null}, and on JDK 22 and later also
 * {@code Console.isTerminal()}, since there a console exists even when output is redirected):
 * scripts and tests see nothing of it.
 */
public final class Progress {
    private static final long EVERY_MS = 200;

    private final PrintWriter err;
    private final boolean shown;
    private long lastMs;
    private int lastLength;

    private Progress(PrintWriter err, boolean shown) {
        this.err = err;
        this.shown = shown;
    }

    /** Progress on {@code err} if the process runs in a terminal. */
    public static Progress onTerminal(PrintWriter err) {
        return new Progress(err, inTerminal());
    }

    static boolean inTerminal() {
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (NoSuchMethodException e) {
            return true; // before JDK 22 a console exists only on a terminal
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /** Shows {@code text} unless a report was shown in the last 200 ms. */
    public void report(String text) {
        if (!shown) {
            return;
        }
        long now = System.currentTimeMillis();
        if (now - lastMs < EVERY_MS) {
            return;
        }
        lastMs = now;
        String padded = text + " ".repeat(Math.max(0, lastLength - text.length()));
        lastLength = text.length();
        err.print("\r" + padded);
        err.flush();
    }

    /** Clears the line, before the command prints its results. */
    public void done() {
        if (shown && lastLength > 0) {
            err.print("\r" + " ".repeat(lastLength) + "\r");
            err.flush();
            lastLength = 0;
        }
    }
}
