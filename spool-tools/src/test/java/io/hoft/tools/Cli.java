package io.hoft.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

/** Runs {@code hoft} as bin/hoft does (through {@link Main#run}), capturing what it prints. */
public final class Cli {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Cli() {}

    /** What one run printed and returned. */
    public record Result(int exit, String out, String err, List<String> args) {
        public JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (Exception e) {
                throw new AssertionError("not JSON on stdout of hoft " + String.join(" ", args) + ":\n" + out + "\nstderr:\n" + err, e);
            }
        }

        @Override
        public String toString() {
            return "hoft " + String.join(" ", args) + " -> exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    public static Result run(Object... args) {
        List<String> list = new ArrayList<>();
        for (Object arg : args) {
            list.add(arg.toString());
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), list.toArray(new String[0]));
        return new Result(exit, out.toString(), err.toString(), list);
    }
}
