package io.hoft.transport.keys;

import com.nimbusds.jose.jwk.OctetSequenceKey;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * A secret shared by exactly two nodes, for sites that want symmetric keys: files between
 * them are signed with HS256 and their content key is wrapped with A256KW.
 *
 * <p>The two keys are derived from the secret with HKDF-SHA256 (empty salt, info
 * {@code "hoft v1 sign"} and {@code "hoft v1 wrap"}), so one secret never serves two
 * algorithms. Either node can forge files of the other; that is the price of a shared secret.
 */
public final class SharedSecret {
    static final byte[] SIGN_INFO = "hoft v1 sign".getBytes(StandardCharsets.US_ASCII);
    static final byte[] WRAP_INFO = "hoft v1 wrap".getBytes(StandardCharsets.US_ASCII);

    private final OctetSequenceKey jwk;
    private final byte[] signingKey;
    private final byte[] wrappingKey;

    SharedSecret(OctetSequenceKey jwk) {
        if (jwk.getKeyID() == null) {
            throw new KeyException("shared secret without kid");
        }
        byte[] secret = jwk.toByteArray();
        if (secret.length < 32) {
            throw new KeyException("shared secret " + jwk.getKeyID() + " is shorter than 256 bits");
        }
        this.jwk = jwk;
        this.signingKey = hkdf(secret, SIGN_INFO);
        this.wrappingKey = hkdf(secret, WRAP_INFO);
    }

    /** A fresh 256-bit secret. */
    public static OctetSequenceKey generate(String kid, Instant now) {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return new OctetSequenceKey.Builder(secret).keyID(kid).issueTime(Date.from(now)).build();
    }

    static byte[] hkdf(byte[] secret, byte[] info) {
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(secret, new byte[0], info));
        byte[] out = new byte[32];
        hkdf.generateBytes(out, 0, out.length);
        return out;
    }

    public String kid() {
        return jwk.getKeyID();
    }

    public OctetSequenceKey jwk() {
        return jwk;
    }

    boolean isValidAt(Instant now) {
        return KeyValidity.isValidAt(jwk, now);
    }

    byte[] signingKey() {
        return signingKey.clone();
    }

    byte[] wrappingKey() {
        return wrappingKey.clone();
    }
}
