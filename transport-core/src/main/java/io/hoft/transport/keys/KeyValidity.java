package io.hoft.transport.keys;

import com.nimbusds.jose.jwk.JWK;
import java.time.Instant;
import java.util.Comparator;
import java.util.Date;

/** The time rules every key follows: usable from {@code nbf} (if set) until {@code exp} (if set). */
final class KeyValidity {
    private KeyValidity() {}

    static boolean isValidAt(JWK key, Instant now) {
        Date notBefore = key.getNotBeforeTime();
        Date expires = key.getExpirationTime();
        return (notBefore == null || !now.isBefore(notBefore.toInstant()))
                && (expires == null || now.isBefore(expires.toInstant()));
    }

    /** Newest first: by issue time, keys without one last. */
    static final Comparator<JWK> NEWEST_FIRST = Comparator.comparing(
            (JWK key) -> key.getIssueTime() == null ? Instant.MIN : key.getIssueTime().toInstant())
            .reversed();
}
