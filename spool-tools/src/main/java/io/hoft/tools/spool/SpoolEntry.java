package io.hoft.tools.spool;

import io.hoft.transport.spool.SpoolFileName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A spool file found in a folder: its parsed name (null for a file given by path whose name is
 * not a spool file name), and for a quarantined file ({@code MILLIS-NAME} in a node's
 * quarantine, beside {@code MILLIS-NAME.reason}) when it was set aside and why.
 */
record SpoolEntry(Path path, SpoolFileName name, Instant quarantinedAt, String quarantineReason) {
    private static final Pattern QUARANTINED = Pattern.compile("([0-9]{1,19})-(.+)");
    static final String REASON_SUFFIX = ".reason";

    boolean isQuarantined() {
        return quarantinedAt != null;
    }

    /** The {@code .reason} file beside a quarantined file. */
    Path reasonFile() {
        return path.resolveSibling(path.getFileName() + REASON_SUFFIX);
    }

    /**
     * What a file given by path is: a quarantined file (in a folder named {@code quarantine}, or
     * beside its {@code .reason}), a spool file, or neither (name null).
     */
    static SpoolEntry of(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        boolean quarantine = Files.exists(file.resolveSibling(file.getFileName() + REASON_SUFFIX))
                || (parent != null && parent.getFileName() != null && parent.getFileName().toString().equals("quarantine"));
        return parse(file, quarantine).orElseGet(() -> new SpoolEntry(file, null, null, null));
    }

    /**
     * Parses a file name; in a quarantine, as {@code MILLIS-NAME} first. (Outside one, that form
     * is not special: {@code 1795324589947-back} is a valid node id, so it may be a spool name.)
     */
    private static Optional<SpoolEntry> parse(Path file, boolean quarantine) {
        String fileName = file.getFileName().toString();
        Optional<SpoolEntry> quarantined = quarantine ? parseQuarantined(file, fileName) : Optional.empty();
        if (quarantined.isPresent()) {
            return quarantined;
        }
        return SpoolFileName.parse(fileName).map(name -> new SpoolEntry(file, name, null, null));
    }

    private static Optional<SpoolEntry> parseQuarantined(Path file, String fileName) {
        Matcher m = QUARANTINED.matcher(fileName);
        if (m.matches() && !fileName.endsWith(REASON_SUFFIX)) {
            Optional<SpoolFileName> inner = SpoolFileName.parse(m.group(2));
            if (inner.isPresent()) {
                Path reasonFile = file.resolveSibling(fileName + REASON_SUFFIX);
                String reason = null;
                try {
                    reason = Files.readString(reasonFile, StandardCharsets.UTF_8).strip();
                } catch (IOException e) {
                    // no reason recorded (or unreadable): the file is still quarantined
                }
                return Optional.of(new SpoolEntry(file, inner.get(), Instant.ofEpochMilli(Long.parseLong(m.group(1))), reason));
            }
        }
        return Optional.empty();
    }

    /** The spool files directly in {@code dir}, by name; other files (temporary, .reason, anything else) are left out. */
    static List<SpoolEntry> scan(Path dir) throws IOException {
        return scan(dir, false);
    }

    /** The quarantined files of a node's quarantine folder. */
    static List<SpoolEntry> scanQuarantine(Path dir) throws IOException {
        return scan(dir, true);
    }

    static List<SpoolEntry> scan(Path dir, boolean quarantine) throws IOException {
        List<SpoolEntry> entries = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return entries;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                if (Files.isRegularFile(file)) {
                    parse(file, quarantine).ifPresent(entries::add);
                }
            }
        }
        entries.sort((a, b) -> a.path.getFileName().toString().compareTo(b.path.getFileName().toString()));
        return entries;
    }
}
