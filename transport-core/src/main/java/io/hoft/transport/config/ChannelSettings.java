package io.hoft.transport.config;

import io.hoft.transport.channel.Backoff;
import io.hoft.transport.channel.ChannelConfig;
import io.hoft.transport.spool.FileMode;
import io.hoft.transport.spool.SessionPolicy;
import io.hoft.transport.spool.SpoolFileWriter;
import java.time.Duration;

/**
 * Optional channel tuning under {@code node.channel}; anything left out keeps the default of
 * {@link ChannelConfig#DEFAULT} (SPEC.md section 15.13). {@code keys} is {@code session} (the
 * default: signed files are keyed per session, with a new session every {@code sessionRotate},
 * default 1h, accepted for {@code sessionLifetime}, default 24h) or {@code per-file} (every
 * signed file carries its own ES256 signature; see SPEC.md section 10.8).
 */
public record ChannelSettings(
        Duration heartbeat,
        Duration resendAfter,
        Duration resendMax,
        Duration minNackResend,
        Duration ackDelay,
        Duration reorderWindow,
        Duration lateAfter,
        Duration downAfter,
        Duration settle,
        Duration collateDelay,
        DataSize collateTarget,
        DataSize maxFileSize,
        DataSize bulkThreshold,
        Integer compressionLevel,
        Integer windowFiles,
        DataSize windowBytes,
        Integer maxQueuedMessages,
        DataSize maxQueuedBytes,
        Duration dedupeGrace,
        String keys,
        Duration sessionRotate,
        Duration sessionLifetime) {

    public static final ChannelSettings DEFAULTS =
            new ChannelSettings(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                    null, null, null, null, null, null, null);

    public ChannelSettings {
        if (keys != null && !keys.equals("session") && !keys.equals("per-file")) {
            throw new IllegalArgumentException("keys must be session or per-file, not '" + keys + "'");
        }
    }

    /** These settings over the defaults, with the node's file mode. */
    public ChannelConfig toChannelConfig(FileMode mode) {
        ChannelConfig base = ChannelConfig.DEFAULT;
        ChannelConfig.Builder b = base.toBuilder().mode(mode);
        if (heartbeat != null) {
            b.heartbeatInterval(heartbeat);
        }
        if (resendAfter != null || resendMax != null) {
            Backoff r = base.resend();
            Duration initial = resendAfter != null ? resendAfter : r.initial();
            Duration max = resendMax != null ? resendMax : (r.max().compareTo(initial) < 0 ? initial : r.max());
            b.resend(new Backoff(initial, r.multiplier(), max, r.jitter()));
        }
        if (minNackResend != null) {
            b.minNackResendInterval(minNackResend);
        }
        if (ackDelay != null) {
            b.ackDelay(ackDelay);
        }
        if (reorderWindow != null) {
            b.reorderWindow(reorderWindow);
        }
        if (lateAfter != null) {
            b.lateAfter(lateAfter);
        }
        if (downAfter != null) {
            b.downAfter(downAfter);
        }
        if (settle != null) {
            b.settle(settle);
        }
        if (collateDelay != null) {
            b.collateDelay(collateDelay);
        }
        if (maxFileSize != null) {
            b.maxFileBytesAndCollation(maxFileSize.bytes());
        }
        if (collateTarget != null) {
            b.collateTargetBytes(collateTarget.bytes());
        }
        if (bulkThreshold != null) {
            b.bulkThresholdBytes(bulkThreshold.bytes());
        }
        if (compressionLevel != null) {
            b.writer(new SpoolFileWriter.Options(compressionLevel, base.writer().segmentSize()));
        }
        if (windowFiles != null) {
            b.windowFiles(windowFiles);
        }
        if (windowBytes != null) {
            b.windowBytes(windowBytes.bytes());
        }
        if (maxQueuedMessages != null) {
            b.maxQueuedMessages(maxQueuedMessages);
        }
        if (maxQueuedBytes != null) {
            b.maxQueuedBytes(maxQueuedBytes.bytes());
        }
        if (dedupeGrace != null) {
            b.dedupeGrace(dedupeGrace);
        }
        if (keys != null || sessionRotate != null || sessionLifetime != null) {
            SessionPolicy d = base.sessions();
            b.sessions(new SessionPolicy(keys == null ? d.sessions() : keys.equals("session"),
                    sessionRotate != null ? sessionRotate : d.rotateAfter(), sessionLifetime != null ? sessionLifetime : d.lifetime()));
        }
        return b.build();
    }
}
