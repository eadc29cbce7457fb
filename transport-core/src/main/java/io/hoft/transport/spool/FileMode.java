package io.hoft.transport.spool;

import java.util.Optional;

/**
 * How a spool file protects its content. Every mode detects truncation and corruption (the
 * file declares its lengths and digests); they differ in who can read and who can forge.
 */
public enum FileMode {
    /** Signed by the sender and encrypted for the recipient. The default. */
    SIGNED_ENCRYPTED("encrypted"),
    /** Signed, but the payload is readable by anyone (for sites whose virus scanners must read files). */
    SIGNED_PLAINTEXT("signed-plaintext"),
    /**
     * Digests only: anyone who can write to the folder can forge such a file. Never a default;
     * a receiver accepts it only from peers explicitly configured for it.
     */
    CHECKSUM_ONLY_UNAUTHENTICATED("checksum-only-unauthenticated");

    private final String wireName;

    FileMode(String wireName) {
        this.wireName = wireName;
    }

    /** The value of {@code mode} in the header, and of the mode setting in config. */
    public String wireName() {
        return wireName;
    }

    boolean isSigned() {
        return this != CHECKSUM_ONLY_UNAUTHENTICATED;
    }

    public boolean isEncrypted() {
        return this == SIGNED_ENCRYPTED;
    }

    public static Optional<FileMode> fromWireName(String name) {
        for (FileMode mode : values()) {
            if (mode.wireName.equals(name)) {
                return Optional.of(mode);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return wireName;
    }
}
