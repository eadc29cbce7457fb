package io.hoft.front.share;

import io.hoft.transport.config.DataSize;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The {@code front.share} section: how the front serves the files its peers publish under
 * {@code /_hoft/files} (SPEC section 20). Left-out values take the defaults shown.
 *
 * <pre>
 * share:
 *   enabled: false         # true: serve /_hoft/files (hoft init --share writes true); false: 404, catalogs ignored
 *   anonymous: false       # true: no caller credential needed even when front.auth is on
 *   cacheDir: state/share  # default: the folder share-cache in node.state
 *   cacheSize: 10GiB       # least recently used files are removed above this
 *   resumeAfter: 5s        # a download with no new byte for this long asks the back again for what is missing
 *                          # (bulk uploads over a dial-out link; chunk downloads wait half of stallTimeout)
 *   stallTimeout: 5m       # a download with no new byte for this long fails (504) and is asked for again next time
 *   transferTtl: 1h        # a file request (and its chunks) expires after this on the link
 * </pre>
 *
 * The share is opt-in on the front too: a back that publishes folders does not by itself put
 * them on the front's port. Without {@code anonymous}, the share follows {@code front.auth}: with {@code mode: none}
 * anyone who reaches the port may read it; otherwise every request needs a valid credential
 * (any caller the front accepts; routes do not apply).
 */
public record ShareSettings(Boolean enabled, Boolean anonymous, Path cacheDir, DataSize cacheSize, Duration stallTimeout,
        Duration transferTtl, Duration resumeAfter) {
    public static final ShareSettings DEFAULTS = new ShareSettings(null, null, null, null, null, null, null);

    public ShareSettings {
        enabled = enabled != null && enabled;
        anonymous = anonymous != null && anonymous;
        cacheSize = cacheSize == null ? DataSize.parse("10GiB") : cacheSize;
        stallTimeout = stallTimeout == null ? Duration.ofMinutes(5) : stallTimeout;
        transferTtl = transferTtl == null ? Duration.ofHours(1) : transferTtl;
        resumeAfter = resumeAfter == null ? Duration.ofSeconds(5) : resumeAfter;
        if (stallTimeout.toMillis() < 100 || transferTtl.toMillis() < 1000 || resumeAfter.toMillis() < 100) {
            throw new IllegalArgumentException("stallTimeout and resumeAfter must be at least 100ms and transferTtl at least 1s");
        }
    }

    /** The cache folder: {@code cacheDir}, or {@code share-cache} in the node's state folder. */
    public Path cacheDirIn(Path state) {
        return cacheDir != null ? cacheDir : state.resolve("share-cache");
    }
}
