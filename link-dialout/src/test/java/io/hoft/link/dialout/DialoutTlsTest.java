package io.hoft.link.dialout;

import static io.hoft.link.dialout.DialoutFixture.BACK;
import static io.hoft.link.dialout.DialoutFixture.BACK_KEYS;
import static io.hoft.link.dialout.DialoutFixture.FRONT;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.hoft.transport.spool.SpoolFileName;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dial-out link over TLS (https and wss): a front certificate pinned by the dialer, a front
 * certificate issued by a CA the dialer trusts, and a pin that does not match, which must never
 * connect. Certificates are made with the JDK's keytool.
 */
class DialoutTlsTest {
    private static final String PASSWORD = "changeit";

    @TempDir
    static Path keys;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeCertificates() throws Exception {
        // a self-signed front certificate, and a CA with a front certificate it signed
        keytool("-genkeypair", "-alias", "front", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=front",
                "-ext", "san=ip:127.0.0.1", "-validity", "2", "-keystore", "self.p12");
        keytool("-exportcert", "-rfc", "-alias", "front", "-keystore", "self.p12", "-file", "self.pem");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=hoft test CA",
                "-ext", "bc:c", "-validity", "2", "-keystore", "ca.p12");
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-file", "ca.pem");
        keytool("-genkeypair", "-alias", "front", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=front",
                "-validity", "2", "-keystore", "issued.p12");
        keytool("-certreq", "-alias", "front", "-keystore", "issued.p12", "-file", "issued.csr");
        keytool("-gencert", "-alias", "ca", "-keystore", "ca.p12", "-infile", "issued.csr", "-outfile", "issued.pem", "-rfc",
                "-ext", "san=ip:127.0.0.1", "-validity", "2");
        keytool("-importcert", "-noprompt", "-alias", "ca", "-keystore", "issued.p12", "-file", "ca.pem");
        keytool("-importcert", "-noprompt", "-alias", "front", "-keystore", "issued.p12", "-file", "issued.pem");
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"));
        command.addAll(List.of(args));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD));
        Process process = new ProcessBuilder(command).directory(keys.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new AssertionError("keytool " + String.join(" ", args) + ":\n" + output);
        }
    }

    private static SSLContext serverContext(String keystore) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keys.resolve(keystore))) {
            store.load(in, PASSWORD.toCharArray());
        }
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(store, PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(factory.getKeyManagers(), null, null);
        return context;
    }

    /** Connects a dialer trusting {@code trust} to a front serving {@code keystore}; moves one file if it connects. */
    private boolean dial(String keystore, String trust) throws Exception {
        try (DialoutFixture front = new DialoutFixture(dir.resolve("front"), Duration.ofSeconds(10), serverContext(keystore))) {
            DialoutSettings settings = new DialoutSettings(front.url(), null, Duration.ofSeconds(10), 2, keys.resolve(trust),
                    new DialoutSettings.Reconnect(1, Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(500), 0.1));
            DialoutClientLink back = new DialoutClientLink(BACK, FRONT, settings, DialoutFixture.keyringOf(BACK_KEYS),
                    dir.resolve("back"), Clock.systemUTC());
            Map<SpoolFileName, Path> arrived = new ConcurrentHashMap<>();
            try {
                back.start(BACK, incoming -> arrived.put(incoming.name(), incoming.path()));
                long deadline = System.nanoTime() + 1_500_000_000L;
                while (!back.connected() && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                if (!back.connected()) {
                    assertEquals(0, front.link.connections().get(0).connections(), "the front saw no control connection");
                    return false;
                }
                Path file = Files.write(dir.resolve("file"), new byte[] {4, 5, 6, 7});
                SpoolFileName down = DialoutFixture.name(FRONT, BACK, 1);
                front.link.send(file, down);
                SpoolFileName up = DialoutFixture.name(BACK, FRONT, 1);
                back.send(file, up);
                await().atMost(Duration.ofSeconds(10)).until(() -> arrived.containsKey(down) && front.offered.contains(up));
                assertArrayEquals(new byte[] {4, 5, 6, 7}, Files.readAllBytes(arrived.get(down)));
                return true;
            } finally {
                back.close();
            }
        }
    }

    @Test
    void aPinnedSelfSignedFrontCertificateConnectsOverHttpsAndWss() throws Exception {
        assertEquals(true, dial("self.p12", "self.pem"));
    }

    @Test
    void aFrontCertificateIssuedByATrustedCaConnects() throws Exception {
        assertEquals(true, dial("issued.p12", "ca.pem"));
    }

    @Test
    void aFrontWhoseCertificateIsNotThePinnedOneIsNeverTalkedTo() throws Exception {
        assertFalse(dial("self.p12", "issued.pem"), "another certificate than the pinned one");
        assertFalse(dial("self.p12", "ca.pem"), "a self-signed certificate is not issued by the CA");
    }
}
