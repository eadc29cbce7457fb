package io.hoft.transport.spool.internal;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObject;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEDecrypter;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.PlainHeader;
import com.nimbusds.jose.PlainObject;
import com.nimbusds.jose.util.Base64URL;
import io.hoft.transport.keys.Keyring;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Set;

/**
 * The two JOSE objects of a spool file: the header, a compact JWS ({@code typ}
 * {@value #TYPE}) whose payload is the claims JSON, and the content key, a compact JWE whose
 * plaintext is the 32-byte payload key. Only compact serialisation is used.
 */
public final class JoseHeader {
    public static final String TYPE = "hoft-header";
    public static final JOSEObjectType JOSE_TYPE = new JOSEObjectType(TYPE);

    private static final Set<String> ALLOWED_JWS_PARAMS = Set.of("alg", "kid", "typ");
    private static final Set<String> ALLOWED_PLAIN_PARAMS = Set.of("alg", "typ");
    private static final Set<String> ALLOWED_JWE_PARAMS = Set.of("alg", "enc", "kid", "epk");

    private JoseHeader() {}

    /** Signs the claims; {@code signing} null makes an unsecured JWS ({@code alg} none). */
    public static String sign(byte[] claims, Keyring.Signing signing) {
        if (signing == null) {
            return new PlainObject(new PlainHeader.Builder().type(JOSE_TYPE).build(), new Payload(claims)).serialize();
        }
        JWSObject jws = new JWSObject(jwsHeader(signing), new Payload(claims));
        try {
            jws.sign(signing.signer());
        } catch (JOSEException e) {
            throw new IllegalStateException("signing failed", e);
        }
        return jws.serialize();
    }

    /** The exact compact length {@link #sign} produces for claims of this length. */
    public static int compactLength(int claimsLength, Keyring.Signing signing) {
        if (signing == null) {
            String header = new PlainHeader.Builder().type(JOSE_TYPE).build().toBase64URL().toString();
            return header.length() + 1 + base64UrlLength(claimsLength) + 1;
        }
        String header = jwsHeader(signing).toBase64URL().toString();
        int signatureBytes = JWSAlgorithm.ES256.equals(signing.algorithm()) ? 64 : 32;
        return header.length() + 1 + base64UrlLength(claimsLength) + 1 + base64UrlLength(signatureBytes);
    }

    static int base64UrlLength(int bytes) {
        return (bytes * 4 + 2) / 3;
    }

    private static JWSHeader jwsHeader(Keyring.Signing signing) {
        return new JWSHeader.Builder(signing.algorithm()).keyID(signing.kid()).type(JOSE_TYPE).build();
    }

    /** A parsed header before verification. {@code jws} is null for an unsecured header. */
    public record Parsed(String algorithm, String kid, byte[] claims, JWSObject jws) {
        public boolean isUnsecured() {
            return jws == null;
        }

        public boolean verify(JWSVerifier verifier) {
            try {
                return jws.verify(verifier);
            } catch (JOSEException e) {
                return false;
            }
        }
    }

    /** Parses the compact header; throws a message naming what is wrong. */
    public static Parsed parse(String compact) throws CodecException {
        JOSEObject object;
        try {
            object = JOSEObject.parse(compact);
        } catch (ParseException e) {
            throw CodecException.malformed("header is not a compact JWS: " + e.getMessage());
        }
        if (object instanceof PlainObject) {
            PlainHeader header = ((PlainObject) object).getHeader();
            checkParams(header.getIncludedParams(), ALLOWED_PLAIN_PARAMS, "JWS");
            checkType(header.getType());
            return new Parsed("none", null, object.getPayload().toBytes(), null);
        }
        if (!(object instanceof JWSObject)) {
            throw CodecException.malformed("header is a JWE, not a JWS");
        }
        JWSObject jws = (JWSObject) object;
        JWSHeader header = jws.getHeader();
        checkParams(header.getIncludedParams(), ALLOWED_JWS_PARAMS, "JWS");
        checkType(header.getType());
        return new Parsed(header.getAlgorithm().getName(), header.getKeyID(), jws.getPayload().toBytes(), jws);
    }

    private static void checkType(JOSEObjectType type) throws CodecException {
        if (!JOSE_TYPE.equals(type)) {
            throw CodecException.malformed("header typ must be \"" + TYPE + "\"");
        }
    }

    private static void checkParams(Set<String> params, Set<String> allowed, String what) throws CodecException {
        for (String param : params) {
            if (!allowed.contains(param)) {
                throw CodecException.malformed(what + " header has unexpected parameter \"" + StrictJson.printable(param) + "\"");
            }
        }
    }

    /** Wraps the payload key for the recipient. */
    public static String wrapContentKey(byte[] payloadKey, Keyring.Wrapping wrapping) {
        JWEHeader header = new JWEHeader.Builder(wrapping.algorithm(), EncryptionMethod.A256GCM).keyID(wrapping.kid()).build();
        JWEObject jwe = new JWEObject(header, new Payload(payloadKey));
        try {
            jwe.encrypt(wrapping.encrypter());
        } catch (JOSEException e) {
            throw new IllegalStateException("key wrapping failed", e);
        }
        return jwe.serialize();
    }

    /** The parsed content key JWE: who it is wrapped for and how, before decryption. */
    public record WrappedKey(JWEObject jwe, JWEAlgorithm algorithm, String kid) {}

    public static WrappedKey parseContentKey(String compact) throws CodecException {
        for (int i = 0; i < compact.length(); i++) {
            if (!isCompactChar(compact.charAt(i))) {
                throw CodecException.malformed("claims.encryption.key has a character that cannot be in a compact JWE");
            }
        }
        JWEObject jwe;
        try {
            jwe = JWEObject.parse(compact);
        } catch (ParseException | RuntimeException e) {
            // nimbus throws a NullPointerException for a protected header without "enc".
            throw CodecException.malformed("claims.encryption.key is not a compact JWE: " + e.getMessage());
        }
        JWEHeader header = jwe.getHeader();
        checkParams(header.getIncludedParams(), ALLOWED_JWE_PARAMS, "JWE");
        JWEAlgorithm alg = header.getAlgorithm();
        if (!JWEAlgorithm.ECDH_ES_A256KW.equals(alg) && !JWEAlgorithm.A256KW.equals(alg)) {
            throw CodecException.malformed("content key alg " + alg + " is not ECDH-ES+A256KW or A256KW");
        }
        if (!EncryptionMethod.A256GCM.equals(header.getEncryptionMethod())) {
            throw CodecException.malformed("content key enc must be A256GCM");
        }
        if (header.getKeyID() == null) {
            throw CodecException.malformed("content key JWE has no kid");
        }
        return new WrappedKey(jwe, alg, header.getKeyID());
    }

    /** Decrypts the content key; null if the JWE fails to authenticate. */
    public static byte[] unwrap(WrappedKey key, JWEDecrypter decrypter) {
        try {
            key.jwe().decrypt(decrypter);
            return key.jwe().getPayload().toBytes();
        } catch (JOSEException | IllegalStateException e) {
            return null;
        }
    }

    /**
     * True if {@code c} can appear in a compact serialisation: the unpadded base64url alphabet
     * and the '.' separator. Checked before parsing because nimbus's base64url decoder skips
     * characters outside its alphabet and accepts '=', '+' and '/', so one header could
     * otherwise be spelled many ways, and some of them would fail in other JOSE libraries.
     */
    public static boolean isCompactChar(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '-' || c == '_' || c == '.';
    }

    /** Base64url of bytes, for diagnostics and SPEC vectors. */
    public static String base64Url(byte[] bytes) {
        return Base64URL.encode(bytes).toString();
    }

    public static byte[] ascii(String compact) {
        return compact.getBytes(StandardCharsets.US_ASCII);
    }
}
