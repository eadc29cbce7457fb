package io.hoft.front.callback;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signing and verification per the Standard Webhooks specification, symmetric scheme
 * ({@code v1}, HMAC-SHA256).
 *
 * <pre>
 * secret            whsec_ + base64(24..64 random bytes)
 * signed content    {webhook-id}.{webhook-timestamp}.{body bytes}
 * webhook-id        stable across retries of one event; no '.' and no whitespace
 * webhook-timestamp integer seconds since the epoch, fresh for every attempt
 * webhook-signature v1,base64(HMAC-SHA256(key, signed content)), several space-separated allowed
 * </pre>
 *
 * <p>Verification accepts the header if any {@code v1} signature in it matches (compared in
 * constant time) and the timestamp is within the tolerance of now, in either direction.
 * Signatures of other versions ({@code v1a}, {@code v2}) are skipped, not errors. The class
 * never prints the key: {@link #toString} names the scheme only.
 */
public final class StandardWebhooks {
    public static final String SECRET_PREFIX = "whsec_";
    public static final String HEADER_ID = "webhook-id";
    public static final String HEADER_TIMESTAMP = "webhook-timestamp";
    public static final String HEADER_SIGNATURE = "webhook-signature";
    public static final String VERSION = "v1";
    /** How far a timestamp may be from now before verification refuses it (replay protection). */
    public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

    private static final int MIN_KEY_BYTES = 24;
    private static final int MAX_KEY_BYTES = 64;
    private static final int GENERATED_KEY_BYTES = 32;
    private static final String HMAC = "HmacSHA256";

    private final SecretKeySpec key;

    private StandardWebhooks(byte[] key) {
        this.key = new SecretKeySpec(key, HMAC);
    }

    /** Parses a secret as {@code whsec_<base64>} (the prefix may be left out, as other libraries allow). */
    public static StandardWebhooks fromSecret(String secret) {
        Objects.requireNonNull(secret, "secret");
        String encoded = secret.trim();
        if (encoded.startsWith(SECRET_PREFIX)) {
            encoded = encoded.substring(SECRET_PREFIX.length());
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("webhook secret is not whsec_ followed by base64", e);
        }
        if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
            throw new IllegalArgumentException("webhook secret must hold " + MIN_KEY_BYTES + " to " + MAX_KEY_BYTES
                    + " bytes, not " + key.length);
        }
        return new StandardWebhooks(key);
    }

    /** Reads a secret file holding one {@code whsec_...} line (what {@code hoft init} writes). */
    public static StandardWebhooks readSecretFile(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
        try {
            return fromSecret(text);
        } catch (IllegalArgumentException e) {
            throw new IOException("webhook secret file " + file + ": " + e.getMessage(), e);
        }
    }

    /** A fresh random secret, {@code whsec_} and 32 random bytes in base64. */
    public static String generateSecret() {
        byte[] key = new byte[GENERATED_KEY_BYTES];
        new SecureRandom().nextBytes(key);
        return SECRET_PREFIX + Base64.getEncoder().encodeToString(key);
    }

    /** The {@code webhook-signature} value ({@code v1,<base64>}) for one attempt. */
    public String sign(String webhookId, long timestampSeconds, byte[] body) {
        Signer signer = signer(webhookId, timestampSeconds);
        signer.write(body, 0, body.length);
        return signer.signature();
    }

    /**
     * A signer to stream a large body through: write the body into it, then read {@link
     * Signer#signature()} and {@link Signer#bodyLength()}.
     */
    public Signer signer(String webhookId, long timestampSeconds) {
        checkId(webhookId);
        Mac mac = newMac();
        mac.update((webhookId + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
        return new Signer(mac);
    }

    /** Verifies one delivery with the {@link #DEFAULT_TOLERANCE}. */
    public void verify(String webhookId, String timestamp, String signatureHeader, byte[] body, Instant now)
            throws WebhookVerificationException {
        verify(webhookId, timestamp, signatureHeader, body, now, DEFAULT_TOLERANCE);
    }

    /**
     * Verifies one delivery: headers present, id well-formed, timestamp within {@code tolerance}
     * of {@code now}, and at least one {@code v1} signature matching the body.
     */
    public void verify(String webhookId, String timestamp, String signatureHeader, byte[] body, Instant now,
            Duration tolerance) throws WebhookVerificationException {
        if (webhookId == null || timestamp == null || signatureHeader == null) {
            throw new WebhookVerificationException("missing " + (webhookId == null ? HEADER_ID
                    : timestamp == null ? HEADER_TIMESTAMP : HEADER_SIGNATURE) + " header");
        }
        if (!validId(webhookId)) {
            throw new WebhookVerificationException("malformed " + HEADER_ID);
        }
        long seconds;
        try {
            seconds = Long.parseLong(timestamp.trim());
        } catch (NumberFormatException e) {
            throw new WebhookVerificationException("malformed " + HEADER_TIMESTAMP);
        }
        if (seconds < now.getEpochSecond() - tolerance.toSeconds()) {
            throw new WebhookVerificationException("timestamp too old");
        }
        if (seconds > now.getEpochSecond() + tolerance.toSeconds()) {
            throw new WebhookVerificationException("timestamp too new");
        }
        byte[] expected = rawSignature(webhookId, seconds, body);
        for (String candidate : signatureHeader.trim().split(" +")) {
            int comma = candidate.indexOf(',');
            if (comma < 0 || !candidate.substring(0, comma).equals(VERSION)) {
                continue;
            }
            byte[] given;
            try {
                given = Base64.getDecoder().decode(candidate.substring(comma + 1));
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (MessageDigest.isEqual(expected, given)) {
                return;
            }
        }
        throw new WebhookVerificationException("no matching signature");
    }

    private byte[] rawSignature(String webhookId, long timestampSeconds, byte[] body) {
        Mac mac = newMac();
        mac.update((webhookId + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
        return mac.doFinal(body);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(key);
            return mac;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA256 unavailable", e);
        }
    }

    private static void checkId(String webhookId) {
        if (!validId(webhookId)) {
            throw new IllegalArgumentException("a webhook id must be non-empty, without '.' or whitespace: " + webhookId);
        }
    }

    private static boolean validId(String webhookId) {
        if (webhookId.isEmpty()) {
            return false;
        }
        for (int i = 0; i < webhookId.length(); i++) {
            char c = webhookId.charAt(i);
            if (c == '.' || c <= ' ' || c == 0x7f) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "StandardWebhooks[v1, HMAC-SHA256]";
    }

    /** A body streamed into an HMAC; counts the body bytes too (for Content-Length). */
    public static final class Signer extends OutputStream {
        private final Mac mac;
        private long bodyLength;
        private String signature;

        private Signer(Mac mac) {
            this.mac = mac;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            if (signature != null) {
                throw new IllegalStateException("signature already taken");
            }
            mac.update(bytes, offset, length);
            bodyLength += length;
        }

        public long bodyLength() {
            return bodyLength;
        }

        /** Ends the body and returns {@code v1,<base64>}. */
        public String signature() {
            if (signature == null) {
                signature = VERSION + "," + Base64.getEncoder().encodeToString(mac.doFinal());
            }
            return signature;
        }
    }

    /** A delivery that does not carry a valid signature, with a reason safe to log. */
    public static final class WebhookVerificationException extends GeneralSecurityException {
        private static final long serialVersionUID = 1L;

        public WebhookVerificationException(String reason) {
            super(reason);
        }
    }
}
