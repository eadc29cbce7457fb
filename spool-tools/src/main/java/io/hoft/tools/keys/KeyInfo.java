package io.hoft.tools.keys;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import io.hoft.tools.Human;
import io.hoft.tools.Json;
import io.hoft.tools.Table;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/** One key of a key file as the keys commands show it: never its secret parts. */
record KeyInfo(String kid, String type, String use, String alg, Instant created, Instant notBefore, Instant expires,
        boolean secret) {

    static KeyInfo of(JWK jwk) {
        String type = jwk instanceof ECKey ? "EC " + ((ECKey) jwk).getCurve()
                : jwk instanceof OctetSequenceKey ? "shared secret (" + ((OctetSequenceKey) jwk).size() + " bits)"
                : jwk.getKeyType().getValue();
        String use = jwk.getKeyUse() != null ? jwk.getKeyUse().identifier() : jwk instanceof OctetSequenceKey ? "sig+enc" : null;
        String alg = jwk.getAlgorithm() != null ? jwk.getAlgorithm().getName()
                : jwk instanceof OctetSequenceKey ? "HS256+A256KW" : null;
        return new KeyInfo(jwk.getKeyID(), type, use, alg, instant(jwk.getIssueTime()), instant(jwk.getNotBeforeTime()),
                instant(jwk.getExpirationTime()), jwk.isPrivate());
    }

    private static Instant instant(Date date) {
        return date == null ? null : date.toInstant();
    }

    boolean isValidAt(Instant now) {
        return (notBefore == null || !now.isBefore(notBefore)) && (expires == null || now.isBefore(expires));
    }

    /** {@code valid}, {@code valid, expires in 6d23h}, {@code expired 2d ago}, {@code not valid before ...}. */
    String status(Instant now) {
        if (notBefore != null && now.isBefore(notBefore)) {
            return "not valid before " + Human.instant(notBefore);
        }
        if (expires != null && !now.isBefore(expires)) {
            return "expired " + Human.age(expires, now) + " ago";
        }
        return expires == null ? "valid" : "valid, expires " + Human.age(expires, now);
    }

    String holds() {
        return type.startsWith("shared") ? "secret" : secret ? "private" : "public";
    }

    ObjectNode toJson(Instant now) {
        ObjectNode node = Json.object();
        node.put("kid", kid);
        node.put("type", type);
        node.put("use", use);
        node.put("alg", alg);
        Json.putMs(node, "createdMs", created);
        Json.putMs(node, "notBeforeMs", notBefore);
        Json.putMs(node, "expiresMs", expires);
        node.put("validNow", isValidAt(now));
        node.put("holds", holds());
        return node;
    }

    static ArrayNode toJson(List<KeyInfo> keys, Instant now) {
        ArrayNode array = Json.array();
        keys.forEach(key -> array.add(key.toJson(now)));
        return array;
    }

    static void print(PrintWriter out, List<KeyInfo> keys, Instant now) {
        Table table = new Table("KID", "USE", "ALG", "HOLDS", "CREATED", "STATUS");
        for (KeyInfo key : keys) {
            table.row(key.kid, key.use, key.alg, key.holds(), key.created == null ? null : Human.instant(key.created),
                    key.status(now));
        }
        table.print(out);
    }
}
