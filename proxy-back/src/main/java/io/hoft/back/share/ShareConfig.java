package io.hoft.back.share;

import io.hoft.transport.config.DataSize;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code back.share} section: local folders the back publishes to its peers through the
 * file share (SPEC section 20). Left-out values take the defaults shown.
 *
 * <pre>
 * share:
 *   folders:                 # name: folder; a file's path is name/relative/path
 *     docs: /srv/docs
 *   refresh: 1m              # a full scan and a full catalog this often (watching sends changes in between)
 *   settle: 500ms            # after a change is seen, wait this long for more before scanning
 *   watch: true              # false: only the interval refresh finds changes
 *   hashUpTo: 64MiB          # files up to this size get a SHA-256 in the catalog
 *   chunkSize: 4MiB          # a file travels in chunks of this size (the first is at most 256KiB)
 *   inFlightChunks: 16       # chunks of one upload sent but not yet acknowledged
 *   maxUploads: 16           # uploads running at once; more wait
 *   uploadRate:              # at most this many bytes per second per upload (e.g. 20MiB); unset: as fast as the link goes
 * </pre>
 */
public record ShareConfig(Map<String, Path> folders, Duration refresh, Duration settle, Boolean watch, DataSize hashUpTo,
        DataSize chunkSize, Integer inFlightChunks, Integer maxUploads, DataSize uploadRate) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    public ShareConfig {
        if (folders == null || folders.isEmpty()) {
            throw new IllegalArgumentException("folders must name at least one folder (name: path)");
        }
        for (Map.Entry<String, Path> folder : folders.entrySet()) {
            if (!NAME.matcher(folder.getKey()).matches() || folder.getKey().equals(".") || folder.getKey().equals("..")) {
                throw new IllegalArgumentException("folder name '" + folder.getKey() + "' is not 1-64 of [A-Za-z0-9._-]");
            }
            if (folder.getValue() == null) {
                throw new IllegalArgumentException("folder " + folder.getKey() + " needs a path");
            }
        }
        folders = Collections.unmodifiableMap(new LinkedHashMap<>(folders));
        refresh = refresh == null ? Duration.ofMinutes(1) : refresh;
        if (refresh.toMillis() < 100) {
            throw new IllegalArgumentException("refresh must be at least 100ms");
        }
        settle = settle == null ? Duration.ofMillis(500) : settle;
        if (settle.isNegative()) {
            throw new IllegalArgumentException("settle cannot be negative");
        }
        watch = watch == null || watch;
        hashUpTo = hashUpTo == null ? DataSize.ofMebibytes(64) : hashUpTo;
        chunkSize = chunkSize == null ? DataSize.ofMebibytes(4) : chunkSize;
        if (chunkSize.bytes() < 4096 || chunkSize.bytes() > (256L << 20)) {
            throw new IllegalArgumentException("chunkSize must be 4KiB to 256MiB");
        }
        inFlightChunks = inFlightChunks == null ? 16 : inFlightChunks;
        maxUploads = maxUploads == null ? 16 : maxUploads;
        if (inFlightChunks < 1 || inFlightChunks > 10_000 || maxUploads < 1 || maxUploads > 1000) {
            throw new IllegalArgumentException("inFlightChunks must be 1 to 10000 and maxUploads 1 to 1000");
        }
        if (uploadRate != null && uploadRate.bytes() < 64 * 1024) {
            throw new IllegalArgumentException("uploadRate must be at least 64KiB (per second)");
        }
    }
}
