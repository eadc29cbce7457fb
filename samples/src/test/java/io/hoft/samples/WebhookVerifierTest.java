package io.hoft.samples;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The Standard Webhooks specification's own test vector (libraries/go/webhook_test.go, TestWebhookSign). */
class WebhookVerifierTest {
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private static final String TIMESTAMP = "1614265330";
    private static final byte[] BODY = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
    private static final String SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    private static final Instant THEN = Instant.ofEpochSecond(1614265330);

    private final WebhookVerifier verifier = new WebhookVerifier(SECRET);

    @Test
    void aGoodSignatureIsAccepted() {
        assertDoesNotThrow(() -> verifier.verify(ID, TIMESTAMP, SIGNATURE, BODY, THEN.plusSeconds(299)));
        assertDoesNotThrow(() -> verifier.verify(ID, TIMESTAMP, "v1,bm90IGl0 " + SIGNATURE, BODY, THEN),
                "one good signature among several (key rotation)");
    }

    @Test
    void aTamperedBodyIsRefused() {
        byte[] tampered = "{\"test\": 2432232315}".getBytes(StandardCharsets.UTF_8);
        assertRefused("no valid signature", () -> verifier.verify(ID, TIMESTAMP, SIGNATURE, tampered, THEN));
    }

    @Test
    void aWrongSecretIsRefused() {
        WebhookVerifier other = new WebhookVerifier("whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]));
        assertRefused("no valid signature", () -> other.verify(ID, TIMESTAMP, SIGNATURE, BODY, THEN));
    }

    @Test
    void anOldOrFutureTimestampIsRefused() {
        String reason = "webhook-timestamp is more than 5 minutes away: replayed or clock skew";
        assertRefused(reason, () -> verifier.verify(ID, TIMESTAMP, SIGNATURE, BODY, THEN.plusSeconds(301)));
        assertRefused(reason, () -> verifier.verify(ID, TIMESTAMP, SIGNATURE, BODY, THEN.minusSeconds(301)));
        assertRefused(reason, () -> verifier.verify(ID, TIMESTAMP, SIGNATURE, BODY));
    }

    @Test
    void missingOrMalformedHeadersAreRefused() {
        assertRefused("missing webhook-id, webhook-timestamp or webhook-signature",
                () -> verifier.verify(ID, TIMESTAMP, null, BODY, THEN));
        assertRefused("webhook-timestamp is not a number", () -> verifier.verify(ID, "yesterday", SIGNATURE, BODY, THEN));
        assertRefused("no valid signature", () -> verifier.verify(ID, TIMESTAMP, "v1,%%%", BODY, THEN));
    }

    private static void assertRefused(String reason, org.junit.jupiter.api.function.Executable verification) {
        assertEquals(reason, assertThrows(GeneralSecurityException.class, verification).getMessage());
    }
}
