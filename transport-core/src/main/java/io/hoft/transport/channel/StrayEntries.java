package io.hoft.transport.channel;

import io.hoft.transport.fs.RegularFile;
import io.hoft.transport.link.Link;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entries of an inbox that bear a spool file's name but are not regular files (a folder, a
 * symbolic link, a named pipe, a socket or a device). They are never opened and never moved:
 * each is reported once (a warning and {@code hoft_inbox_skipped_total}) and then passed over
 * quietly on every later scan, until it goes or becomes a regular file.
 */
final class StrayEntries {
    private static final Logger log = LoggerFactory.getLogger(StrayEntries.class);
    /** Beyond this many remembered names the memory starts afresh (some may be reported again). */
    private static final int MAX_REMEMBERED = 10_000;

    private final TransportMetrics metrics;
    private final Map<String, String> reported = new ConcurrentHashMap<>();

    StrayEntries(TransportMetrics metrics) {
        this.metrics = metrics;
    }

    /** True if {@code file} is not a regular file (or is gone): the caller must leave it alone. */
    boolean skip(Link.IncomingFile file) {
        String name = file.name().toString();
        Optional<String> kind;
        try {
            kind = RegularFile.irregularKind(file.path());
        } catch (IOException e) {
            return true; // gone: nothing to read
        }
        if (kind.isEmpty()) {
            reported.remove(name);
            return false;
        }
        report(file, kind.get());
        return true;
    }

    /** Reports {@code file} as a {@code kind} once, however often it is seen. */
    void report(Link.IncomingFile file, String kind) {
        if (reported.size() >= MAX_REMEMBERED) {
            reported.clear();
        }
        if (!kind.equals(reported.put(file.name().toString(), kind))) {
            log.warn("{} is a {}, not a regular file: leaving it alone (remove it from {}); not reported again",
                    file.path(), describe(kind), file.path().getParent());
            metrics.increment("hoft_inbox_skipped_total", "kind", kind);
        }
    }

    private static String describe(String kind) {
        return switch (kind) {
            case "directory" -> "folder";
            case "symlink" -> "symbolic link (never followed in an inbox)";
            default -> "named pipe, socket or device";
        };
    }
}
