package io.hoft.transport.keys;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEDecrypter;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.AESDecrypter;
import com.nimbusds.jose.crypto.AESEncrypter;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

/**
 * The secret of one session (SPEC.md section 10.8): 32 random bytes that one sender shares with
 * one recipient for a while, so that each file is authenticated with HS256 and its content key
 * wrapped with A256KW instead of a public-key signature and key agreement per file. Like a
 * {@link SharedSecret}, it is never used as a key itself: two keys are derived from it with
 * HKDF-SHA256 (empty salt, info {@code "hoft v2 session sign"} and
 * {@code "hoft v2 session wrap"}). It lives in memory only.
 */
public final class SessionSecret {
    public static final int LENGTH = 32;
    static final byte[] SIGN_INFO = "hoft v2 session sign".getBytes(StandardCharsets.US_ASCII);
    static final byte[] WRAP_INFO = "hoft v2 session wrap".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] secret;
    private final byte[] signingKey;
    private final byte[] wrappingKey;

    private SessionSecret(byte[] secret) {
        if (secret.length != LENGTH) {
            throw new KeyException("a session secret is " + LENGTH + " bytes, not " + secret.length);
        }
        this.secret = secret.clone();
        this.signingKey = SharedSecret.hkdf(secret, SIGN_INFO);
        this.wrappingKey = SharedSecret.hkdf(secret, WRAP_INFO);
    }

    /** A fresh random secret. */
    public static SessionSecret generate() {
        byte[] secret = new byte[LENGTH];
        RANDOM.nextBytes(secret);
        return new SessionSecret(secret);
    }

    /** The secret a ticket carried, once unwrapped. */
    public static SessionSecret of(byte[] secret) {
        return new SessionSecret(secret);
    }

    /** The raw secret, for wrapping it into a ticket. */
    public byte[] bytes() {
        return secret.clone();
    }

    /** Signs file headers of this session: HS256 under the derived key, {@code kid} the session id. */
    public Keyring.Signing signing(String sessionId) {
        try {
            return new Keyring.Signing(JWSAlgorithm.HS256, sessionId, new MACSigner(signingKey));
        } catch (JOSEException e) {
            throw new KeyException("cannot build the session's signer", e);
        }
    }

    /** Wraps content keys of this session: A256KW under the derived key, {@code kid} the session id. */
    public Keyring.Wrapping wrapping(String sessionId) {
        try {
            return new Keyring.Wrapping(JWEAlgorithm.A256KW, sessionId, new AESEncrypter(wrappingKey));
        } catch (JOSEException e) {
            throw new KeyException("cannot build the session's key wrapper", e);
        }
    }

    public JWSVerifier verifier() {
        try {
            return new MACVerifier(signingKey);
        } catch (JOSEException e) {
            throw new KeyException("cannot build the session's verifier", e);
        }
    }

    public JWEDecrypter unwrapper() {
        try {
            return new AESDecrypter(wrappingKey);
        } catch (JOSEException e) {
            throw new KeyException("cannot build the session's key unwrapper", e);
        }
    }
}
