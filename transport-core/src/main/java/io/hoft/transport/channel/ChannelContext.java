package io.hoft.transport.channel;

import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.spool.SendingSessions;
import io.hoft.transport.spool.SpoolFileReader;
import io.hoft.transport.spool.SpoolFileWriter;
import io.hoft.transport.store.BodyFiles;
import io.hoft.transport.store.NodeStore;
import java.nio.file.Path;
import java.time.Clock;

/** What every part of a node's transport shares. */
record ChannelContext(
        Keyring keyring,
        ChannelConfig config,
        NodeStore store,
        BodyFiles bodies,
        SpoolFileReader reader,
        Clock clock,
        Disk disk,
        TransportMetrics metrics,
        ChannelListener listener,
        SendingSessions sessions,
        Path sentDir,
        Path tmpDir,
        Path quarantineDir) {

    /** Bodies up to this size travel inline in the database instead of in body files. */
    static final int INLINE_BODY_MAX = 64 * 1024;

    SpoolFileWriter newWriter() {
        return new SpoolFileWriter(keyring, config.mode(), config.writer(), clock, disk, sessions);
    }

    long now() {
        return clock.millis();
    }
}
