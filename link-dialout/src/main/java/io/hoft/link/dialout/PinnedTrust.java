package io.hoft.link.dialout;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Whom the dialing node trusts as its front over TLS ({@code link.trust}, a PEM file):
 *
 * <ul>
 *   <li>a file of CA certificates: the front's chain must lead to one of them, and its
 *       certificate must name the host of {@code link.url} (the JDK's PKIX and host checks);
 *   <li>one certificate that is not a CA: pinned; the front must present exactly that
 *       certificate, whatever its chain, names or dates (a self-signed front certificate).
 * </ul>
 *
 * Without {@code link.trust} the JDK's default trust store applies.
 */
final class PinnedTrust {
    private PinnedTrust() {}

    static SSLContext sslContext(Path pem) throws IOException {
        List<X509Certificate> certificates = read(pem);
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            TrustManager[] managers;
            if (certificates.size() == 1 && certificates.get(0).getBasicConstraints() < 0) {
                managers = new TrustManager[] {new Pinned(certificates.get(0))};
            } else {
                KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null, null);
                for (int i = 0; i < certificates.size(); i++) {
                    store.setCertificateEntry("ca-" + i, certificates.get(i));
                }
                TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                factory.init(store);
                managers = factory.getTrustManagers();
            }
            context.init(null, managers, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot build TLS trust from " + pem + ": " + e.getMessage(), e);
        }
    }

    private static List<X509Certificate> read(Path pem) throws IOException {
        try (InputStream in = Files.newInputStream(pem)) {
            List<X509Certificate> result = new ArrayList<>();
            for (var certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                result.add((X509Certificate) certificate);
            }
            if (result.isEmpty()) {
                throw new IOException(pem + " holds no certificate");
            }
            return result;
        } catch (CertificateException e) {
            throw new IOException(pem + " is not a PEM certificate file: " + e.getMessage(), e);
        }
    }

    /** Accepts exactly one certificate as the server's; checks nothing else (the pin is the check). */
    private static final class Pinned extends X509ExtendedTrustManager {
        private final X509Certificate pinned;

        Pinned(X509Certificate pinned) {
            this.pinned = pinned;
        }

        private void check(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0 || !chain[0].equals(pinned)) {
                throw new CertificateException("the server's certificate is not the pinned one");
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("not a server");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            throw new CertificateException("not a server");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            throw new CertificateException("not a server");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
