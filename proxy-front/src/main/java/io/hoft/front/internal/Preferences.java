package io.hoft.front.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The preferences of a {@code Prefer} field value (RFC 7240 section 2): a comma-separated
 * list in which a comma inside a quoted string does not separate. The front acts on
 * {@code wait} and {@code respond-async} itself, so those are not passed on to the callee
 * (the contract's "Front HTTP API"); every other preference goes on as the caller wrote it.
 */
final class Preferences {
    /** The preferences the front acts on, by lower-case name. */
    static final Set<String> FRONTS = Set.of("wait", "respond-async");

    private Preferences() {
    }

    /** The preferences of one field value, each as written (trimmed), empty elements dropped. */
    static List<String> split(String value) {
        List<String> preferences = new ArrayList<>();
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (quoted && c == '\\') {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                add(preferences, value.substring(start, i));
                start = i + 1;
            }
        }
        add(preferences, value.substring(start));
        return preferences;
    }

    private static void add(List<String> preferences, String preference) {
        if (!preference.isBlank()) {
            preferences.add(preference.trim());
        }
    }

    /** The preference's name in lower case: the token before any '=' or ';'. */
    static String name(String preference) {
        int end = preference.length();
        for (int i = 0; i < preference.length(); i++) {
            char c = preference.charAt(i);
            if (c == '=' || c == ';') {
                end = i;
                break;
            }
        }
        return preference.substring(0, end).trim().toLowerCase(Locale.ROOT);
    }

    /** The preference's value without quotes, or null if it has none. */
    static String value(String preference) {
        String head = preference.split(";", 2)[0];
        int equals = head.indexOf('=');
        return equals < 0 ? null : head.substring(equals + 1).trim().replace("\"", "");
    }

    /** The field value without the front's own preferences; null if nothing is left. */
    static String forwarded(String value) {
        List<String> kept = new ArrayList<>();
        for (String preference : split(value)) {
            if (!FRONTS.contains(name(preference))) {
                kept.add(preference);
            }
        }
        return kept.isEmpty() ? null : String.join(", ", kept);
    }
}
