package io.hoft.tools.node;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A self-signed TLS certificate for a dial-out front (P-256, not a CA, naming the host the
 * back dials and loopback), written as PEM: the certificate for anyone, the PKCS#8 key for the
 * owner only. The back pins the certificate itself ({@code link.trust}), so no CA is involved
 * and its dates matter little; it is valid for ten years.
 */
final class SelfSignedTls {
    private static final Duration VALIDITY = Duration.ofDays(3650);

    private SelfSignedTls() {}

    /** Writes {@code cert} and {@code key} (neither may exist) for a front reached as {@code host}; returns the certificate's PEM. */
    static String write(String nodeId, String host, Path cert, Path key, Instant now) throws IOException {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            KeyPair pair = generator.generateKeyPair();
            X500Name name = new X500Name("CN=hoft front " + nodeId);
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, new BigInteger(64, new SecureRandom()),
                    Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(VALIDITY)), name, pair.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names(host)));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
            String certificatePem = pem("CERTIFICATE", certificate.getEncoded());
            Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(key, pem("PRIVATE KEY", pair.getPrivate().getEncoded()), StandardCharsets.US_ASCII,
                    StandardOpenOption.WRITE);
            Files.writeString(cert, certificatePem, StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW);
            return certificatePem;
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot make the front's TLS certificate: " + e.getMessage(), e);
        }
    }

    private static GeneralName[] names(String host) {
        Set<String> hosts = new LinkedHashSet<>(List.of(host, "127.0.0.1", "localhost"));
        List<GeneralName> names = new ArrayList<>();
        for (String h : hosts) {
            boolean address = h.matches("[0-9.]+") || h.contains(":");
            names.add(new GeneralName(address ? GeneralName.iPAddress : GeneralName.dNSName, address ? literal(h) : h));
        }
        return names.toArray(new GeneralName[0]);
    }

    private static String literal(String address) {
        try {
            String bare = address.startsWith("[") ? address.substring(1, address.length() - 1) : address;
            return InetAddress.getByName(bare).getHostAddress(); // a literal: no lookup happens
        } catch (IOException e) {
            throw new IllegalArgumentException("not an address: " + address);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
