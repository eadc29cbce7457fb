package io.hoft.transport.spool;

import java.time.Duration;
import java.util.Objects;

/**
 * How a writer keys its files (SPEC.md section 10.8).
 *
 * <p>With sessions (the default), a writer opens a session per peer: one ES256 signature and
 * one ECDH-ES key agreement make a ticket that carries a secret for the peer, and every file
 * (format version 2) carries the ticket and is authenticated with HS256 and keyed with A256KW
 * under keys derived from that secret: no public-key work per file. A new session starts after
 * {@code rotateAfter}, or at once when either side's keys rotate; a session's files are
 * accepted until {@code lifetime} after it started, and a sender rebuilds a file that it must
 * send again late in its session's life.
 *
 * <p>Without them ({@link #PER_FILE}), every file is signed with the sender's key and its
 * content key agreed with the recipient's key (format version 1): each file proves its sender
 * to anyone, on its own, at the cost of public-key work per file.
 *
 * @param sessions whether files are session-keyed
 * @param rotateAfter how long a session is used for new files
 * @param lifetime how long files of a session are accepted; more than {@code rotateAfter}
 */
public record SessionPolicy(boolean sessions, Duration rotateAfter, Duration lifetime) {
    public static final SessionPolicy DEFAULT = new SessionPolicy(true, Duration.ofHours(1), Duration.ofHours(24));
    static final SessionPolicy PER_FILE = new SessionPolicy(false, DEFAULT.rotateAfter(), DEFAULT.lifetime());

    public SessionPolicy {
        Objects.requireNonNull(rotateAfter, "rotateAfter");
        Objects.requireNonNull(lifetime, "lifetime");
        if (rotateAfter.isNegative() || rotateAfter.isZero()) {
            throw new IllegalArgumentException("sessions must be used for a positive time (rotateAfter)");
        }
        if (lifetime.compareTo(rotateAfter.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("a session's lifetime must be at least twice rotateAfter, so files of an old"
                    + " session still arrive while the next one is in use");
        }
    }

    /**
     * True if a stored file of a session that expires at {@code expiresMs} should be rebuilt under
     * a newer session rather than sent again as it is at {@code nowMs}: it has less than
     * {@code rotateAfter} left to arrive.
     */
    public boolean rebuildBeforeResend(long expiresMs, long nowMs) {
        return expiresMs - nowMs < rotateAfter.toMillis();
    }
}
