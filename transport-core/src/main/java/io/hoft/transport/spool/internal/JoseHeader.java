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
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.spool.CodecException;
import io.hoft.transport.spool.StrictJson;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Set;

/**
 * The JOSE objects of a spool file: the header, a compact JWS ({@code typ} {@value #TYPE})
 * whose payload is the claims JSON; the content key, a compact JWE whose plaintext is the
 * 32-byte payload key; and, in version 2 files, the session ticket the header carries in its
 * {@value #SESSION_PARAM} member, a compact JWS ({@code typ} {@value SessionTicket#TYPE}).
 * Only compact serialisation is used.
 */
public final class JoseHeader {
    public static final String TYPE = "hoft-header";
    static final JOSEObjectType JOSE_TYPE = new JOSEObjectType(TYPE);
    static final JOSEObjectType TICKET_TYPE = new JOSEObjectType(SessionTicket.TYPE);
    /** The protected header member of a version 2 header that holds the session ticket. */
    public static final String SESSION_PARAM = "hoft-session";

    private static final Set<String> ALLOWED_JWS_PARAMS = Set.of("alg", "kid", "typ", SESSION_PARAM);
    private static final Set<String> ALLOWED_TICKET_PARAMS = Set.of("alg", "kid", "typ");
    private static final Set<String> ALLOWED_PLAIN_PARAMS = Set.of("alg", "typ");
    private static final Set<String> ALLOWED_JWE_PARAMS = Set.of("alg", "enc", "kid", "epk");

    private JoseHeader() {}

    /** Signs the claims; {@code signing} null makes an unsecured JWS ({@code alg} none). */
    public static String sign(byte[] claims, Keyring.Signing signing) {
        return sign(claims, signing, null);
    }

    /** Signs the claims of a header that carries {@code sessionTicket} (version 2), or none (null). */
    public static String sign(byte[] claims, Keyring.Signing signing, String sessionTicket) {
        if (signing == null) {
            return new PlainObject(new PlainHeader.Builder().type(JOSE_TYPE).build(), new Payload(claims)).serialize();
        }
        return signJws(jwsHeader(signing, sessionTicket), claims, signing);
    }

    /** Signs a session ticket's claims with the sender's ES256 key. */
    public static String signTicket(byte[] claims, Keyring.Signing signing) {
        return signJws(new JWSHeader.Builder(signing.algorithm()).keyID(signing.kid()).type(TICKET_TYPE).build(), claims,
                signing);
    }

    private static String signJws(JWSHeader header, byte[] claims, Keyring.Signing signing) {
        JWSObject jws = new JWSObject(header, new Payload(claims));
        try {
            jws.sign(signing.signer());
        } catch (JOSEException e) {
            throw new IllegalStateException("signing failed", e);
        }
        return jws.serialize();
    }

    /** The exact compact length {@link #sign} produces for claims of this length. */
    public static int compactLength(int claimsLength, Keyring.Signing signing) {
        return compactLength(claimsLength, signing, null);
    }

    /** The exact compact length {@link #sign(byte[], Keyring.Signing, String)} produces for claims of this length. */
    public static int compactLength(int claimsLength, Keyring.Signing signing, String sessionTicket) {
        if (signing == null) {
            String header = new PlainHeader.Builder().type(JOSE_TYPE).build().toBase64URL().toString();
            return header.length() + 1 + base64UrlLength(claimsLength) + 1;
        }
        String header = jwsHeader(signing, sessionTicket).toBase64URL().toString();
        int signatureBytes = JWSAlgorithm.ES256.equals(signing.algorithm()) ? 64 : 32;
        return header.length() + 1 + base64UrlLength(claimsLength) + 1 + base64UrlLength(signatureBytes);
    }

    static int base64UrlLength(int bytes) {
        return (bytes * 4 + 2) / 3;
    }

    private static JWSHeader jwsHeader(Keyring.Signing signing, String sessionTicket) {
        JWSHeader.Builder builder = new JWSHeader.Builder(signing.algorithm()).keyID(signing.kid()).type(JOSE_TYPE);
        if (sessionTicket != null) {
            builder.customParam(SESSION_PARAM, sessionTicket);
        }
        return builder.build();
    }

    /**
     * A parsed header (or session ticket) before verification. {@code jws} is null for an
     * unsecured header; {@code sessionTicket} is the {@value #SESSION_PARAM} member, or null.
     */
    public record Parsed(String algorithm, String kid, byte[] claims, JWSObject jws, String sessionTicket) {
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
            checkType(header.getType(), JOSE_TYPE, "header");
            return new Parsed("none", null, object.getPayload().toBytes(), null, null);
        }
        if (!(object instanceof JWSObject)) {
            throw CodecException.malformed("header is a JWE, not a JWS");
        }
        JWSObject jws = (JWSObject) object;
        JWSHeader header = jws.getHeader();
        checkParams(header.getIncludedParams(), ALLOWED_JWS_PARAMS, "JWS");
        checkType(header.getType(), JOSE_TYPE, "header");
        Object ticket = header.getCustomParam(SESSION_PARAM);
        if (ticket != null && !(ticket instanceof String)) {
            throw CodecException.malformed("header member " + SESSION_PARAM + " must be a string");
        }
        return new Parsed(header.getAlgorithm().getName(), header.getKeyID(), jws.getPayload().toBytes(), jws, (String) ticket);
    }

    /** Parses a session ticket (compact JWS, {@code typ} {@value SessionTicket#TYPE}); throws a message naming what is wrong. */
    public static Parsed parseTicket(String compact) throws CodecException {
        for (int i = 0; i < compact.length(); i++) {
            if (!isCompactChar(compact.charAt(i))) {
                throw CodecException.malformed("the session ticket has a character that cannot be in a compact JWS");
            }
        }
        JWSObject jws;
        try {
            jws = JWSObject.parse(compact);
        } catch (ParseException | RuntimeException e) {
            throw CodecException.malformed("the session ticket is not a compact JWS: " + e.getMessage());
        }
        JWSHeader header = jws.getHeader();
        checkParams(header.getIncludedParams(), ALLOWED_TICKET_PARAMS, "session ticket");
        checkType(header.getType(), TICKET_TYPE, "session ticket");
        return new Parsed(header.getAlgorithm().getName(), header.getKeyID(), jws.getPayload().toBytes(), jws, null);
    }

    private static void checkType(JOSEObjectType type, JOSEObjectType expected, String what) throws CodecException {
        if (!expected.equals(type)) {
            throw CodecException.malformed(what + " typ must be \"" + expected + "\"");
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


    public static byte[] ascii(String compact) {
        return compact.getBytes(StandardCharsets.US_ASCII);
    }
}
