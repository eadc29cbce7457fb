package io.hoft.transport.channel;

import io.hoft.transport.spool.FileMode;
import io.hoft.transport.spool.Fragmenter;
import io.hoft.transport.spool.SessionPolicy;
import io.hoft.transport.spool.SpoolFileWriter;
import java.time.Duration;
import java.util.Objects;

/**
 * How a node's channels behave. The defaults suit a mirror that takes seconds to minutes per
 * file: resends start after two minutes and back off to half an hour, a quiet node sends a
 * heartbeat every 30 seconds, and a peer is "late" after three missed heartbeats and "down"
 * after ten. Every value can be set in config.
 *
 * @param mode how files are protected (encrypted by default)
 * @param writer zstd level and segment size
 * @param maxFileBytes largest spool file; bigger bodies are fragmented
 * @param collateTargetBytes small messages are collated into files of about this size
 * @param collateDelay how long the first queued small message waits for company; the default 0
 *     sends at once and collates what queues up while a file is being written
 * @param bulkThresholdBytes messages with bodies over this go in the bulk lane, so they never delay small ones
 * @param resend backoff of resends of unacknowledged files
 * @param minNackResendInterval a file is resent on a nack at most this often
 * @param heartbeatInterval an idle node sends a heartbeat this often
 * @param ackDelay received files are acknowledged within this, even when nothing else is sent
 * @param reorderWindow a gap in received sequence numbers is nacked after staying open this long
 * @param lateAfter a peer not heard from for this long is "late"
 * @param downAfter a peer not heard from for this long is "down"
 * @param windowFiles at most this many unacknowledged files per lane and peer
 * @param windowBytes at most this many unacknowledged bytes per lane and peer
 * @param maxQueuedMessages messages waiting for a file, per peer; beyond, {@code send} is refused as full
 * @param maxQueuedBytes body bytes waiting or unacknowledged, per peer; beyond, {@code send} is refused as full
 * @param settle a file in the inbox that is short and was modified within this is still arriving
 * @param dedupeGrace received message ids are remembered this long past their expiry
 * @param controlFileTtl how long a heartbeat or ack file stays valid
 * @param sessions whether signed files are keyed per session (the default) or signed each on its own, and how
 *     long a session is used and accepted (SPEC.md section 10.8)
 */
public record ChannelConfig(
        FileMode mode,
        SpoolFileWriter.Options writer,
        long maxFileBytes,
        long collateTargetBytes,
        Duration collateDelay,
        long bulkThresholdBytes,
        Backoff resend,
        Duration minNackResendInterval,
        Duration heartbeatInterval,
        Duration ackDelay,
        Duration reorderWindow,
        Duration lateAfter,
        Duration downAfter,
        int windowFiles,
        long windowBytes,
        int maxQueuedMessages,
        long maxQueuedBytes,
        Duration settle,
        Duration dedupeGrace,
        Duration controlFileTtl,
        SessionPolicy sessions) {

    public static final ChannelConfig DEFAULT = new ChannelConfig(
            FileMode.SIGNED_ENCRYPTED,
            SpoolFileWriter.Options.DEFAULT,
            Fragmenter.DEFAULT_MAX_FILE_BYTES,
            1024 * 1024,
            Duration.ZERO,
            1024 * 1024,
            new Backoff(Duration.ofMinutes(2), 2.0, Duration.ofMinutes(30), 0.2),
            Duration.ofSeconds(30),
            Duration.ofSeconds(30),
            Duration.ofMillis(50),
            Duration.ofSeconds(30),
            Duration.ofSeconds(90),
            Duration.ofMinutes(5),
            10_000,
            4L * 1024 * 1024 * 1024,
            100_000,
            16L * 1024 * 1024 * 1024,
            Duration.ofSeconds(5),
            Duration.ofHours(1),
            Duration.ofHours(1),
            SessionPolicy.DEFAULT);

    public ChannelConfig {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(writer, "writer");
        Objects.requireNonNull(resend, "resend");
        Objects.requireNonNull(sessions, "sessions");
        Fragmenter.bodyBytesPerFile(maxFileBytes); // validates the size
        if (collateTargetBytes < 1024 || collateTargetBytes > maxFileBytes / 2) {
            throw new IllegalArgumentException("collate target must be between 1 KiB and half the max file size");
        }
        if (windowFiles < 1 || windowBytes < 1 || maxQueuedMessages < 1 || maxQueuedBytes < 1) {
            throw new IllegalArgumentException("windows and queue limits must be positive");
        }
        if (lateAfter.compareTo(downAfter) > 0) {
            throw new IllegalArgumentException("lateAfter must not exceed downAfter");
        }
    }

    /** A copy with quick timers for local tests and demos: resends after seconds, heartbeats every second. */
    public ChannelConfig withFastTimers() {
        return toBuilder()
                .resend(new Backoff(Duration.ofSeconds(2), 2.0, Duration.ofSeconds(20), 0.2))
                .minNackResendInterval(Duration.ofMillis(500))
                .heartbeatInterval(Duration.ofSeconds(1))
                .reorderWindow(Duration.ofSeconds(1))
                .lateAfter(Duration.ofSeconds(3))
                .downAfter(Duration.ofSeconds(10))
                .settle(Duration.ofSeconds(1))
                .build();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Changes some values of a config; {@link #build} checks them all together. */
    public static final class Builder {
        private FileMode mode;
        private SpoolFileWriter.Options writer;
        private long maxFileBytes;
        private long collateTargetBytes;
        private Duration collateDelay;
        private long bulkThresholdBytes;
        private Backoff resend;
        private Duration minNackResendInterval;
        private Duration heartbeatInterval;
        private Duration ackDelay;
        private Duration reorderWindow;
        private Duration lateAfter;
        private Duration downAfter;
        private int windowFiles;
        private long windowBytes;
        private int maxQueuedMessages;
        private long maxQueuedBytes;
        private Duration settle;
        private Duration dedupeGrace;
        private Duration controlFileTtl;
        private SessionPolicy sessions;

        private Builder(ChannelConfig c) {
            this.mode = c.mode;
            this.writer = c.writer;
            this.maxFileBytes = c.maxFileBytes;
            this.collateTargetBytes = c.collateTargetBytes;
            this.collateDelay = c.collateDelay;
            this.bulkThresholdBytes = c.bulkThresholdBytes;
            this.resend = c.resend;
            this.minNackResendInterval = c.minNackResendInterval;
            this.heartbeatInterval = c.heartbeatInterval;
            this.ackDelay = c.ackDelay;
            this.reorderWindow = c.reorderWindow;
            this.lateAfter = c.lateAfter;
            this.downAfter = c.downAfter;
            this.windowFiles = c.windowFiles;
            this.windowBytes = c.windowBytes;
            this.maxQueuedMessages = c.maxQueuedMessages;
            this.maxQueuedBytes = c.maxQueuedBytes;
            this.settle = c.settle;
            this.dedupeGrace = c.dedupeGrace;
            this.controlFileTtl = c.controlFileTtl;
            this.sessions = c.sessions;
        }

        public Builder mode(FileMode value) {
            this.mode = value;
            return this;
        }

        public Builder writer(SpoolFileWriter.Options value) {
            this.writer = value;
            return this;
        }

        public Builder maxFileBytes(long value) {
            this.maxFileBytes = value;
            return this;
        }

        public Builder collateTargetBytes(long value) {
            this.collateTargetBytes = value;
            return this;
        }

        public Builder collateDelay(Duration value) {
            this.collateDelay = value;
            return this;
        }

        public Builder bulkThresholdBytes(long value) {
            this.bulkThresholdBytes = value;
            return this;
        }

        public Builder resend(Backoff value) {
            this.resend = value;
            return this;
        }

        public Builder minNackResendInterval(Duration value) {
            this.minNackResendInterval = value;
            return this;
        }

        public Builder heartbeatInterval(Duration value) {
            this.heartbeatInterval = value;
            return this;
        }

        public Builder ackDelay(Duration value) {
            this.ackDelay = value;
            return this;
        }

        public Builder reorderWindow(Duration value) {
            this.reorderWindow = value;
            return this;
        }

        public Builder lateAfter(Duration value) {
            this.lateAfter = value;
            return this;
        }

        public Builder downAfter(Duration value) {
            this.downAfter = value;
            return this;
        }

        public Builder windowFiles(int value) {
            this.windowFiles = value;
            return this;
        }

        public Builder windowBytes(long value) {
            this.windowBytes = value;
            return this;
        }

        public Builder maxQueuedMessages(int value) {
            this.maxQueuedMessages = value;
            return this;
        }

        public Builder maxQueuedBytes(long value) {
            this.maxQueuedBytes = value;
            return this;
        }

        public Builder settle(Duration value) {
            this.settle = value;
            return this;
        }

        public Builder dedupeGrace(Duration value) {
            this.dedupeGrace = value;
            return this;
        }

        public Builder controlFileTtl(Duration value) {
            this.controlFileTtl = value;
            return this;
        }

        public Builder sessions(SessionPolicy value) {
            this.sessions = value;
            return this;
        }

        /** Sets the maximum file size and keeps the collation target within half of it. */
        public Builder maxFileBytesAndCollation(long bytes) {
            this.maxFileBytes = bytes;
            this.collateTargetBytes = Math.min(collateTargetBytes, bytes / 2);
            return this;
        }

        public ChannelConfig build() {
            return new ChannelConfig(mode, writer, maxFileBytes, collateTargetBytes, collateDelay, bulkThresholdBytes, resend, minNackResendInterval, heartbeatInterval, ackDelay, reorderWindow, lateAfter, downAfter, windowFiles, windowBytes, maxQueuedMessages, maxQueuedBytes, settle, dedupeGrace, controlFileTtl, sessions);
        }
    }

    public long fragmentBodyBytes() {
        return Fragmenter.bodyBytesPerFile(maxFileBytes);
    }
}
