package io.hoft.transport.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Which boot of the machine this is. Linux gives every boot a random id; a node that finds
 * the id changed since it last ran knows that the page cache was lost since, so files written
 * without a force of their own may be damaged, while a restart of the process alone loses
 * nothing that a write handed to the kernel.
 */
public final class BootId {
    private static final Path LINUX = Path.of("/proc/sys/kernel/random/boot_id");

    private BootId() {}

    /** This boot's id, or empty where the system does not tell (then every start counts as a reboot). */
    public static Optional<String> current() {
        try {
            String id = Files.readString(LINUX, StandardCharsets.US_ASCII).trim();
            return id.isEmpty() ? Optional.empty() : Optional.of(id);
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }
}
