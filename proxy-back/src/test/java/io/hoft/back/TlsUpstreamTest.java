package io.hoft.back;

import static io.hoft.back.BackHarness.fields;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.message.MessageId;
import io.undertow.Undertow;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An https upstream: with {@code trustedCertificates} naming the callee's certificate the call
 * goes through; without it (the JVM's trust store does not know a self-signed certificate) the
 * TLS handshake fails, which counts as a connection that could not be established: retried,
 * then 502 upstream-unreachable, and the callee never saw a request.
 */
class TlsUpstreamTest {
    @TempDir
    Path root;

    @Test
    void anHttpsUpstreamIsCalledWhenItsCertificateIsTrustedAndUnreachableWhenNot() throws Exception {
        Path keystore = root.resolve("callee.p12");
        Path pem = root.resolve("callee.pem");
        keytool("-genkeypair", "-alias", "callee", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
                "-storepass", "changeit");
        keytool("-exportcert", "-rfc", "-alias", "callee", "-keystore", keystore.toString(), "-storepass", "changeit",
                "-file", pem.toString());
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            keys.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, "changeit".toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keyManagers.getKeyManagers(), null, null);
        int[] calls = new int[1];
        Undertow server = Undertow.builder().addHttpsListener(0, "127.0.0.1", tls).setHandler(exchange -> {
            calls[0]++;
            exchange.getResponseSender().send("secure " + exchange.getRequestScheme());
        }).build();
        server.start();
        int port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
        try (BackHarness harness = new BackHarness(root, String.join("\n",
                "  upstreams:",
                "    trusted: {url: 'https://127.0.0.1:" + port + "', trustedCertificates: callee.pem}",
                "    untrusted: {url: 'https://127.0.0.1:" + port + "'}",
                "  retry: {maxRetries: 1, delay: 50ms}"))) {
            harness.startFront().startBack();
            MessageId ok = harness.send("GET", "/", "trusted", fields("Host", "h"), new byte[0]);
            BackHarness.Delivered response = harness.awaitResponse(ok);
            assertEquals(200, response.envelope().status());
            assertEquals("secure https", response.bodyText());

            MessageId refused = harness.send("GET", "/", "untrusted", fields("Host", "h"), new byte[0]);
            BackHarness.Delivered unreachable = harness.awaitResponse(refused);
            assertEquals(502, unreachable.envelope().status());
            assertEquals("upstream-unreachable", unreachable.header("Hoft-Error"));
            assertTrue(unreachable.bodyText().contains("2 attempts"), unreachable.bodyText());
            assertEquals(1, calls[0], "only the trusted call reached the callee");
        } finally {
            server.stop();
        }
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0, "keytool failed: " + output);
    }
}
