package io.hoft.front.callback;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.front.callback.StandardWebhooks.WebhookVerificationException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against the specification's own test vector (standard-webhooks, libraries/go/webhook_test.go, TestWebhookSign). */
class StandardWebhooksTest {
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private static final long TIMESTAMP = 1614265330;
    private static final byte[] PAYLOAD = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
    private static final String EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    private static final Instant AT_TIMESTAMP = Instant.ofEpochSecond(TIMESTAMP);

    private final StandardWebhooks webhooks = StandardWebhooks.fromSecret(SECRET);

    @Test
    void signingReproducesTheSpecificationTestVector() {
        assertEquals(EXPECTED, webhooks.sign(ID, TIMESTAMP, PAYLOAD));
    }

    @Test
    void theSecretPrefixIsOptionalAsInTheReferenceLibraries() {
        assertEquals(EXPECTED, StandardWebhooks.fromSecret(SECRET.substring(6)).sign(ID, TIMESTAMP, PAYLOAD));
    }

    @Test
    void streamingSignerMatchesOneShotAndCountsTheBody() {
        StandardWebhooks.Signer signer = webhooks.signer(ID, TIMESTAMP);
        for (byte b : PAYLOAD) {
            signer.write(b);
        }
        assertEquals(EXPECTED, signer.signature());
        assertEquals(PAYLOAD.length, signer.bodyLength());
    }

    @Test
    void verifyAcceptsTheTestVector() {
        assertDoesNotThrow(() -> webhooks.verify(ID, Long.toString(TIMESTAMP), EXPECTED, PAYLOAD, AT_TIMESTAMP));
    }

    @Test
    void verifyAcceptsOneGoodSignatureAmongOthersAndOtherVersions() {
        String header = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= "
                + EXPECTED + " v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==";
        assertDoesNotThrow(() -> webhooks.verify(ID, Long.toString(TIMESTAMP), header, PAYLOAD, AT_TIMESTAMP));
    }

    @Test
    void verifyAcceptsTimestampsInsideTheToleranceBothWays() {
        assertDoesNotThrow(() -> webhooks.verify(ID, Long.toString(TIMESTAMP), EXPECTED, PAYLOAD,
                AT_TIMESTAMP.plus(Duration.ofMinutes(5))));
        assertDoesNotThrow(() -> webhooks.verify(ID, Long.toString(TIMESTAMP), EXPECTED, PAYLOAD,
                AT_TIMESTAMP.minus(Duration.ofMinutes(5))));
    }

    @Test
    void verifyRefusesATamperedBody() {
        byte[] tampered = "{\"test\": 2432232315}".getBytes(StandardCharsets.UTF_8);
        assertRefused("no matching signature", () -> webhooks.verify(ID, Long.toString(TIMESTAMP), EXPECTED, tampered, AT_TIMESTAMP));
    }

    @Test
    void verifyRefusesAnotherSecret() {
        StandardWebhooks other = StandardWebhooks.fromSecret(StandardWebhooks.generateSecret());
        assertRefused("no matching signature", () -> other.verify(ID, Long.toString(TIMESTAMP), EXPECTED, PAYLOAD, AT_TIMESTAMP));
    }

    @Test
    void verifyRefusesAnotherIdOrTimestamp() {
        assertRefused("no matching signature", () -> webhooks.verify(ID + "x", Long.toString(TIMESTAMP), EXPECTED, PAYLOAD, AT_TIMESTAMP));
        assertRefused("no matching signature", () -> webhooks.verify(ID, Long.toString(TIMESTAMP + 1), EXPECTED, PAYLOAD, AT_TIMESTAMP));
    }

    @Test
    void verifyRefusesTimestampsOutsideTheTolerance() {
        assertRefused("timestamp too old", () -> webhooks.verify(ID, Long.toString(TIMESTAMP), EXPECTED, PAYLOAD,
                AT_TIMESTAMP.plus(Duration.ofMinutes(5)).plusSeconds(1)));
        assertRefused("timestamp too new", () -> webhooks.verify(ID, Long.toString(TIMESTAMP), EXPECTED, PAYLOAD,
                AT_TIMESTAMP.minus(Duration.ofMinutes(5)).minusSeconds(1)));
    }

    @Test
    void verifyRefusesMissingAndMalformedHeaders() {
        assertRefused("missing webhook-id header", () -> webhooks.verify(null, "1", EXPECTED, PAYLOAD, AT_TIMESTAMP));
        assertRefused("missing webhook-timestamp header", () -> webhooks.verify(ID, null, EXPECTED, PAYLOAD, AT_TIMESTAMP));
        assertRefused("missing webhook-signature header", () -> webhooks.verify(ID, "1", null, PAYLOAD, AT_TIMESTAMP));
        assertRefused("malformed webhook-timestamp", () -> webhooks.verify(ID, "soon", EXPECTED, PAYLOAD, AT_TIMESTAMP));
        assertRefused("malformed webhook-id", () -> webhooks.verify("a.b", Long.toString(TIMESTAMP), EXPECTED, PAYLOAD, AT_TIMESTAMP));
        assertRefused("no matching signature", () -> webhooks.verify(ID, Long.toString(TIMESTAMP), "v1,", PAYLOAD, AT_TIMESTAMP));
        assertRefused("no matching signature", () -> webhooks.verify(ID, Long.toString(TIMESTAMP), "v1,***", PAYLOAD, AT_TIMESTAMP));
        assertRefused("no matching signature", () -> webhooks.verify(ID, Long.toString(TIMESTAMP),
                "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", PAYLOAD, AT_TIMESTAMP));
    }

    @Test
    void signingRefusesIdsThatWouldMakeTheSignedContentAmbiguous() {
        assertThrows(IllegalArgumentException.class, () -> webhooks.sign("a.b", TIMESTAMP, PAYLOAD));
        assertThrows(IllegalArgumentException.class, () -> webhooks.sign("a b", TIMESTAMP, PAYLOAD));
        assertThrows(IllegalArgumentException.class, () -> webhooks.sign("", TIMESTAMP, PAYLOAD));
    }

    @Test
    void secretsOutsideTheSpecificationsSizesOrNotBase64AreRefused() {
        assertThrows(IllegalArgumentException.class, () -> StandardWebhooks.fromSecret("whsec_c2hvcnQ="));
        assertThrows(IllegalArgumentException.class, () -> StandardWebhooks.fromSecret("whsec_not base64!"));
        assertThrows(IllegalArgumentException.class, () -> StandardWebhooks.fromSecret("whsec_"
                + java.util.Base64.getEncoder().encodeToString(new byte[65])));
    }

    @Test
    void generatedSecretsHaveThePrefixAndSignVerifiably() {
        String secret = StandardWebhooks.generateSecret();
        assertTrue(secret.startsWith("whsec_"), secret);
        StandardWebhooks fresh = StandardWebhooks.fromSecret(secret);
        String signature = fresh.sign(ID, TIMESTAMP, PAYLOAD);
        assertDoesNotThrow(() -> fresh.verify(ID, Long.toString(TIMESTAMP), signature, PAYLOAD, AT_TIMESTAMP));
    }

    @Test
    void secretFilesAreReadTrimmedAndToStringNeverShowsTheKey(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("webhook-secret");
        Files.writeString(file, SECRET + "\n");
        StandardWebhooks read = StandardWebhooks.readSecretFile(file);
        assertEquals(EXPECTED, read.sign(ID, TIMESTAMP, PAYLOAD));
        assertTrue(!read.toString().contains("MfKQ"), read.toString());
        Files.writeString(file, "nonsense");
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> StandardWebhooks.readSecretFile(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    private static void assertRefused(String reason, org.junit.jupiter.api.function.Executable verification) {
        WebhookVerificationException e = assertThrows(WebhookVerificationException.class, verification);
        assertEquals(reason, e.getMessage());
    }
}
