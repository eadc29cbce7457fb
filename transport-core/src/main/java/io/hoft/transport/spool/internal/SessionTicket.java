package io.hoft.transport.spool.internal;

import static io.hoft.transport.spool.StrictJson.intInRange;
import static io.hoft.transport.spool.StrictJson.nonNegativeLong;
import static io.hoft.transport.spool.StrictJson.object;
import static io.hoft.transport.spool.StrictJson.string;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.keys.SessionSecret;
import io.hoft.transport.spool.CodecException;
import io.hoft.transport.spool.StrictJson;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The claims of a session ticket (SPEC.md section 10.8): the JWS payload, signed ES256 by the
 * sender, that names the session and carries its secret wrapped for the recipient. Field names,
 * order and rules are in SPEC.md; this class is their only implementation.
 *
 * @param sender the node that opened the session (and signed the ticket)
 * @param recipient the only node that can unwrap the secret
 * @param sessionId the {@code kid} of the files' HS256 headers and A256KW content keys
 * @param created when the sender opened the session
 * @param expires after this, files of the session are refused
 * @param key the compact JWE (ECDH-ES+A256KW) that wraps the 32-byte session secret
 */
public record SessionTicket(NodeId sender, NodeId recipient, String sessionId, Instant created, Instant expires, String key) {
    public static final int VERSION = 2;
    public static final String TYPE = "hoft-session";
    private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9_-]{16,64}");
    private static final Set<String> MEMBERS = Set.of("hoft", "sender", "recipient", "sid", "created", "expires", "key");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A fresh session id: 16 random bytes in base64url (22 characters). */
    public static String newSessionId() {
        byte[] random = new byte[16];
        RANDOM.nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    static boolean isValidSessionId(String id) {
        return id != null && SESSION_ID.matcher(id).matches();
    }

    public byte[] encode() {
        ObjectNode claims = StrictJson.object();
        claims.put("hoft", VERSION);
        claims.put("sender", sender.value());
        claims.put("recipient", recipient.value());
        claims.put("sid", sessionId);
        claims.put("created", created.toEpochMilli());
        claims.put("expires", expires.toEpochMilli());
        claims.put("key", key);
        return StrictJson.write(claims);
    }

    /** Parses and checks the claims in the order of SPEC.md section 10.8. */
    public static SessionTicket decode(byte[] json) throws CodecException {
        JsonNode claims = object(StrictJson.parse(json, "session ticket claims"), "ticket", MEMBERS, Set.of());
        if (intInRange(claims, "hoft", "ticket", 0, Integer.MAX_VALUE) != VERSION) {
            throw CodecException.malformed("ticket.hoft must be " + VERSION);
        }
        NodeId sender = nodeId(claims, "sender");
        NodeId recipient = nodeId(claims, "recipient");
        String sessionId = string(claims, "sid", "ticket");
        if (!isValidSessionId(sessionId)) {
            throw CodecException.malformed("ticket.sid must be 16 to 64 characters of [A-Za-z0-9_-]");
        }
        Instant created = Instant.ofEpochMilli(nonNegativeLong(claims, "created", "ticket"));
        Instant expires = Instant.ofEpochMilli(nonNegativeLong(claims, "expires", "ticket"));
        if (created.isAfter(expires)) {
            throw CodecException.malformed("ticket.created is after ticket.expires");
        }
        String key = string(claims, "key", "ticket");
        if (key.isEmpty()) {
            throw CodecException.malformed("ticket.key is empty");
        }
        return new SessionTicket(sender, recipient, sessionId, created, expires, key);
    }

    private static NodeId nodeId(JsonNode claims, String member) throws CodecException {
        String value = string(claims, member, "ticket");
        if (!NodeId.isValid(value)) {
            throw CodecException.malformed("ticket." + member + " is not a valid node id");
        }
        return NodeId.of(value);
    }

    /**
     * A session as both ends use it: the signed ticket (the string every file of the session
     * carries), its claims, the kid that signed it, the recipient's agreement key it is wrapped
     * for, and the secret.
     */
    public record Session(String ticket, SessionTicket claims, String ticketKid, String agreementKid, SessionSecret secret) {
        public String id() {
            return claims.sessionId();
        }
    }
}
