package io.hoft.transport.link;

import io.hoft.transport.keys.NodeId;
import io.hoft.transport.spool.SpoolFileName;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Moves spool files between nodes; knows nothing of what they mean. The channel above owns
 * sequencing, acks, resends and dedupe, so a link may lose, duplicate, delay and reorder files
 * freely; it must only never show a peer a file under its final name before the file is whole
 * (where it cannot promise that, the reader's declared-length check tells the difference).
 *
 * <p>The folder link writes into an outbox and watches an inbox; a network link carries the
 * same files over a connection. Both hand incoming files to the channel as local files.
 */
public interface Link extends Closeable {

    /**
     * Offers a complete local file to the link for its recipient, atomically. Called again
     * with the same name to resend; the link replaces any copy it still holds.
     */
    void send(Path file, SpoolFileName name) throws IOException;

    /** The file was acknowledged: drop any copy still waiting on the link (nothing if none is left). */
    void retract(SpoolFileName name) throws IOException;

    /** Starts handing incoming files addressed to {@code self} to {@code sink}. */
    void start(NodeId self, IncomingSink sink) throws IOException;

    /** Asks for every incoming file still present to be offered again (after a restart, or periodically). */
    void rescan();

    /**
     * Deletes the link's temporary files that no transfer uses any more (left by a broken
     * connection or a crash); returns how many. Called at start and periodically.
     */
    default int removeStaleTemporaryFiles() {
        return 0;
    }

    /** Where incoming files are handed over. Called from the link's threads. */
    @FunctionalInterface
    interface IncomingSink {
        void offer(IncomingFile file);
    }

    /** An incoming file, readable at {@link #path()} until {@link #consume()}. */
    interface IncomingFile {
        SpoolFileName name();

        Path path();

        /** Removes the file from the link: it is processed, or set aside elsewhere. */
        void consume() throws IOException;
    }
}
