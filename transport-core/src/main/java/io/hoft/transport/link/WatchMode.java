package io.hoft.transport.link;

import java.util.Optional;

/**
 * How a folder link notices incoming files. Network shares (SMB, NFS) and many mirrors never
 * raise inotify events, so polling must work on its own; inotify only makes the common local
 * case faster.
 */
public enum WatchMode {
    /** The JDK WatchService (inotify on Linux), plus a slow safety scan. */
    INOTIFY("inotify"),
    /** A polling scanner at the configured interval, nothing else. */
    POLL("poll"),
    /** Both: events for speed, polling at the configured interval for what events miss. */
    BOTH("both");

    private final String configName;

    WatchMode(String configName) {
        this.configName = configName;
    }

    public static Optional<WatchMode> fromConfigName(String name) {
        for (WatchMode mode : values()) {
            if (mode.configName.equals(name)) {
                return Optional.of(mode);
            }
        }
        return Optional.empty();
    }
}
