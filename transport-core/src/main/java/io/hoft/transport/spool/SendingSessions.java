package io.hoft.transport.spool;

import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.keys.SessionSecret;
import io.hoft.transport.spool.internal.JoseHeader;
import io.hoft.transport.spool.internal.SessionTicket;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The sessions a node sends under (SPEC.md section 10.8), one per peer at a time, shared by all
 * of the node's writers. A session is opened on the first file to a peer: a fresh secret,
 * wrapped for the peer's newest agreement key (ECDH-ES+A256KW) in a ticket signed with this
 * node's newest signing key (ES256), the only public-key work until the next session. A new
 * session replaces it after {@link SessionPolicy#rotateAfter()}, or at once when either node's
 * newest key changed. Secrets live in memory only: a restarted node opens new sessions.
 *
 * <p>Peers that share a secret with this node, and every peer under {@link SessionPolicy#PER_FILE},
 * get version 1 files instead (no session). Thread-safe.
 */
public final class SendingSessions {
    private final Keyring keyring;
    private final SessionPolicy policy;
    private final Map<NodeId, Current> current = new HashMap<>();

    private record Current(SessionTicket.Session session, String keyIds) {}

    public SendingSessions(Keyring keyring, SessionPolicy policy) {
        this.keyring = Objects.requireNonNull(keyring, "keyring");
        this.policy = Objects.requireNonNull(policy, "policy");
    }


    /** The session a file to {@code recipient} is keyed by at {@code now}, or empty for a version 1 file. */
    synchronized Optional<SessionTicket.Session> forFile(NodeId recipient, Instant now) {
        if (!policy.sessions() || keyring.sharesSecretWith(recipient, now)) {
            return Optional.empty();
        }
        String keyIds = keyring.sessionKeyIds(recipient, now);
        Current existing = current.get(recipient);
        if (existing != null && existing.keyIds().equals(keyIds)
                && now.isBefore(existing.session().claims().created().plus(policy.rotateAfter()))) {
            return Optional.of(existing.session());
        }
        SessionTicket.Session opened = open(recipient, Instant.ofEpochMilli(now.toEpochMilli()));
        current.put(recipient, new Current(opened, keyIds));
        return Optional.of(opened);
    }

    private SessionTicket.Session open(NodeId recipient, Instant now) {
        SessionSecret secret = SessionSecret.generate();
        Keyring.Wrapping wrapping = keyring.wrappingFor(recipient, now);
        SessionTicket claims = new SessionTicket(keyring.node(), recipient, SessionTicket.newSessionId(), now,
                now.plus(policy.lifetime()), JoseHeader.wrapContentKey(secret.bytes(), wrapping));
        Keyring.Signing signing = keyring.signingFor(recipient, now);
        return new SessionTicket.Session(JoseHeader.signTicket(claims.encode(), signing), claims, signing.kid(), wrapping.kid(),
                secret);
    }
}
