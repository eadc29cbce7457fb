package io.hoft.transport.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDHDecrypter;
import com.nimbusds.jose.crypto.ECDHEncrypter;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The keyring's P-256 operations run on Bouncy Castle; what they produce must be plain ES256 and
 * ECDH-ES+A256KW that the JDK's own implementation (any other JOSE library, or an older hoft)
 * reads, and the other way round.
 */
class KeyringProviderTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private final NodeKeys front = NodeKeys.generate(NodeId.of("front"), NOW);
    private final NodeKeys back = NodeKeys.generate(NodeId.of("back"), NOW);
    private final Keyring frontRing = new Keyring(front, TrustList.of(back.publicKeys()));
    private final Keyring backRing = new Keyring(back, TrustList.of(front.publicKeys()));

    @Test
    void signaturesInteroperateWithTheJdksEcdsa() throws Exception {
        Keyring.Signing signing = frontRing.signingFor(NodeId.of("back"), NOW);
        assertEquals("BC", signing.signer().getJCAContext().getProvider().getName());
        JWSObject bySigner = new JWSObject(new JWSHeader.Builder(signing.algorithm()).keyID(signing.kid()).build(),
                new Payload("header claims"));
        bySigner.sign(signing.signer());
        ECKey signingKey = front.activeSigningKey(NOW).orElseThrow();
        assertTrue(JWSObject.parse(bySigner.serialize()).verify(new ECDSAVerifier(signingKey.toPublicJWK())),
                "the JDK verifies what the keyring signed");

        JWSObject byJdk = new JWSObject(new JWSHeader.Builder(signing.algorithm()).keyID(signing.kid()).build(),
                new Payload("header claims"));
        byJdk.sign(new ECDSASigner(signingKey));
        Keyring.Verifying verifying = backRing.verifierFor(signing.kid(), NOW).orElseThrow();
        assertTrue(JWSObject.parse(byJdk.serialize()).verify(verifying.verifier()), "the keyring verifies what the JDK signed");

        JWSObject tampered = JWSObject.parse(byJdk.serialize().replaceFirst("\\.[^.]+\\.", "." + new Payload("other").toBase64URL() + "."));
        assertFalse(tampered.verify(verifying.verifier()), "and still refuses a changed payload");
    }

    @Test
    void wrappedKeysInteroperateWithTheJdksEcdh() throws Exception {
        Keyring.Wrapping wrapping = frontRing.wrappingFor(NodeId.of("back"), NOW);
        assertEquals("BC", ((ECDHEncrypter) wrapping.encrypter()).getJCAContext().getKeyEncryptionProvider().getName());
        JWEObject byKeyring = new JWEObject(new JWEHeader.Builder(wrapping.algorithm(), EncryptionMethod.A256GCM)
                .keyID(wrapping.kid()).build(), new Payload("content key"));
        byKeyring.encrypt(wrapping.encrypter());
        ECKey agreementKey = back.agreementKey(wrapping.kid(), NOW).orElseThrow();
        JWEObject parsed = JWEObject.parse(byKeyring.serialize());
        parsed.decrypt(new ECDHDecrypter(agreementKey));
        assertEquals("content key", parsed.getPayload().toString(), "the JDK unwraps what the keyring wrapped");

        JWEObject byJdk = new JWEObject(new JWEHeader.Builder(wrapping.algorithm(), EncryptionMethod.A256GCM)
                .keyID(wrapping.kid()).build(), new Payload("content key 2"));
        byJdk.encrypt(new ECDHEncrypter(agreementKey.toPublicJWK()));
        JWEObject parsed2 = JWEObject.parse(byJdk.serialize());
        parsed2.decrypt(backRing.unwrapperFor(wrapping.kid(), wrapping.algorithm(), NodeId.of("front"), NOW).orElseThrow());
        assertEquals("content key 2", parsed2.getPayload().toString(), "the keyring unwraps what the JDK wrapped");
    }
}
