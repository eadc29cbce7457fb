package io.hoft.samples;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies a Standard Webhooks signature with nothing but the JDK: copy this class into your
 * receiver. hoft signs every callback with the secret in {@code keys/webhook-secret}
 * ({@code whsec_} and base64), over {@code webhook-id + "." + webhook-timestamp + "." + body}.
 *
 * <pre>{@code
 * WebhookVerifier verifier = new WebhookVerifier(secret);
 * verifier.verify(headers("webhook-id"), headers("webhook-timestamp"), headers("webhook-signature"), rawBody);
 * }</pre>
 *
 * Verify the raw body bytes as received, before any JSON parsing. Then dedupe on
 * {@code webhook-id}: a callback may arrive more than once.
 */
public final class WebhookVerifier {
    private static final Duration TOLERANCE = Duration.ofMinutes(5);

    private final SecretKeySpec key;

    public WebhookVerifier(String secret) {
        String base64 = secret.trim().startsWith("whsec_") ? secret.trim().substring("whsec_".length()) : secret.trim();
        this.key = new SecretKeySpec(Base64.getDecoder().decode(base64), "HmacSHA256");
    }

    /** Returns normally if the delivery is authentic and fresh; throws saying why not otherwise. */
    public void verify(String id, String timestamp, String signatures, byte[] body) throws GeneralSecurityException {
        verify(id, timestamp, signatures, body, Instant.now());
    }

    public void verify(String id, String timestamp, String signatures, byte[] body, Instant now)
            throws GeneralSecurityException {
        if (id == null || timestamp == null || signatures == null) {
            throw new GeneralSecurityException("missing webhook-id, webhook-timestamp or webhook-signature");
        }
        long seconds;
        try {
            seconds = Long.parseLong(timestamp);
        } catch (NumberFormatException e) {
            throw new GeneralSecurityException("webhook-timestamp is not a number");
        }
        if (Math.abs(now.getEpochSecond() - seconds) > TOLERANCE.toSeconds()) {
            throw new GeneralSecurityException("webhook-timestamp is more than 5 minutes away: replayed or clock skew");
        }
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(key);
        mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
        byte[] expected = mac.doFinal(body);
        // The header may hold several signatures ("v1,<base64> v1,<base64>") during a key rotation.
        for (String signature : signatures.split(" ")) {
            if (signature.startsWith("v1,")) {
                byte[] given;
                try {
                    given = Base64.getDecoder().decode(signature.substring(3));
                } catch (IllegalArgumentException e) {
                    continue;
                }
                if (MessageDigest.isEqual(expected, given)) { // constant time
                    return;
                }
            }
        }
        throw new GeneralSecurityException("no valid signature");
    }
}
