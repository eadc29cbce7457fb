package io.hoft.tools.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hoft.back.BackConfig;
import io.hoft.back.BackNode;
import io.hoft.front.FrontConfig;
import io.hoft.front.FrontNode;
import io.hoft.samples.SampleCallee;
import io.hoft.tools.Cli;
import io.hoft.transport.config.ConfigLoader;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dial-out pair over TLS as an operator sets it up: {@code hoft init --link dialout}, a
 * certificate and key made with openssl, {@code front.tls} naming them, and the back dialing
 * {@code https://} with the front's certificate pinned ({@code link.trust}). A call goes through.
 */
class DialoutTlsEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path root;

    @Test
    void aBackWithTheFrontsCertificatePinnedDialsItOverTls() throws Exception {
        int port = NodeProcess.freePort();
        Path dir = root.resolve("site");
        try (SampleCallee callee = SampleCallee.start("127.0.0.1", 0)) {
            Cli.Result init = Cli.run("init", dir, "--link", "dialout", "--front-port", port, "--upstream",
                    "http://127.0.0.1:" + callee.port());
            assertEquals(0, init.exit(), init::toString);
            Process openssl = new ProcessBuilder(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "keys/front-key.pem", "-out", "keys/front-cert.pem",
                    "-subj", "/CN=front", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "2"))
                    .directory(dir.toFile()).redirectErrorStream(true).start();
            String output = new String(openssl.getInputStream().readAllBytes());
            assertEquals(0, openssl.waitFor(), output);
            Files.writeString(dir.resolve("front.yaml"), Files.readString(dir.resolve("front.yaml")).replace(
                    "  listen: 127.0.0.1:" + port, "  listen: 127.0.0.1:" + port
                            + "\n  tls: {cert: keys/front-cert.pem, key: keys/front-key.pem}"));

            try (FrontNode front = FrontNode.open(ConfigLoader.load(dir.resolve("front.yaml"), FrontConfig.class, Map.of()),
                    Clock.systemUTC())) {
                front.start();
                try (BackNode back = BackNode.start(BackConfig.load(dir.resolve("back.yaml"), Map.of(
                        "HOFT_NODE_PEERS_0_LINK_URL", "https://127.0.0.1:" + port,
                        "HOFT_NODE_PEERS_0_LINK_TRUST", "keys/front-cert.pem")))) {
                    HttpClient http = HttpClient.newBuilder().sslContext(trusting(dir.resolve("keys/front-cert.pem")))
                            .version(HttpClient.Version.HTTP_1_1).build();
                    URI base = URI.create("https://127.0.0.1:" + port);
                    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
                        JsonNode health = JSON.readTree(http.send(HttpRequest.newBuilder(base.resolve("/_hoft/health")).build(),
                                HttpResponse.BodyHandlers.ofByteArray()).body());
                        return health.path("peers").path(0).path("dialout").path("connected").asBoolean();
                    });
                    HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(base.resolve("/echo"))
                            .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString("over tls")).build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    assertEquals(200, response.statusCode(), () -> new String(response.body()));
                    assertEquals("over tls", JSON.readTree(response.body()).path("body").asText());
                    assertTrue(Files.readString(dir.resolve("back.yaml")).contains("url: \"http://127.0.0.1:" + port + "\""),
                            "the override, not the file, made it https");
                }
            }
        }
    }

    /** A client context that trusts exactly the certificate in {@code pem}. */
    static SSLContext trusting(Path pem) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(pem)) {
            store.setCertificateEntry("front", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }
}
