package io.hoft.tools.e2e;

import static io.hoft.tools.e2e.Chain.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.hoft.front.FrontConfig;
import io.hoft.tools.Cli;
import io.hoft.tools.node.Setup;
import io.hoft.transport.config.ConfigException;
import io.hoft.transport.config.ConfigLoader;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The front's gates, through the real chain: caller authentication (JWT verified against a JWK
 * set; missing, foreign-signed, expired or wrong-audience tokens get 401) and per-caller routes
 * (403), callback URLs to private networks (400), targets outside the back's allowlist
 * ({@code 403 Hoft-Error: upstream-forbidden}), and a non-loopback listen without
 * authentication refused at start. Every refused call is proven not stored (the front's
 * request gauges) and never seen by the callee.
 */
class SecurityTest {
    static final ECKey CALLER_KEY = ecKey("callers-1");
    static final ECKey STRANGER_KEY = ecKey("callers-1"); // same kid, different key: a forgery

    @TempDir
    Path dir;
    Chain chain;

    @AfterEach
    void stop() throws Exception {
        if (chain != null) {
            chain.close();
        }
    }

    private void startWithJwt() throws Exception {
        Path jwks = Files.createDirectories(dir).resolve("callers.jwks"); // beside what Setup writes
        Files.writeString(jwks, new JWKSet(CALLER_KEY.toPublicJWK()).toString());
        chain = Chain.in(dir).frontYaml(yaml -> replaceLine(replaceLine(yaml,
                "    - {prefix: /, upstream: default}",
                "    - {name: public, prefix: /, upstream: default}\n"
                        + "    - {name: admin, prefix: /admin, upstream: default}\n"),
                "    mode: none",
                "    mode: jwt\n"
                        + "    jwt:\n"
                        + "      jwks: " + jwks + "\n"
                        + "      issuer: https://idp.test\n"
                        + "      audience: hoft-front\n"
                        + "      defaultRoutes: [public]\n"
                        + "      subjects: [{subject: svc-admin, routes: [admin]}]\n"))
                .start();
    }

    @Test
    void jwtCallersAreAuthenticatedAndHeldToTheirRoutes() throws Exception {
        startWithJwt();
        Instant in10Minutes = Instant.now().plusSeconds(600);
        long storedBefore = chain.storedCalls();

        // 401: no credential, a token signed by another key, an expired token, a token for another audience
        HttpResponse<byte[]> missing = call("/echo", "sec-missing", null);
        assertEquals(401, missing.statusCode(), text(missing));
        assertTrue(missing.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
        for (String[] bad : List.of(
                new String[] {"sec-forged", token(STRANGER_KEY, "svc-user", in10Minutes, "hoft-front")},
                new String[] {"sec-expired", token(CALLER_KEY, "svc-user", Instant.now().minusSeconds(600), "hoft-front")},
                new String[] {"sec-audience", token(CALLER_KEY, "svc-user", in10Minutes, "someone-else")})) {
            HttpResponse<byte[]> refused = call("/echo", bad[0], bad[1]);
            assertEquals(401, refused.statusCode(), bad[0] + ": " + text(refused));
            assertEquals("unauthenticated", refused.headers().firstValue("Hoft-Error").orElse(null));
        }
        // 403: a valid token whose routes do not include /admin
        String user = token(CALLER_KEY, "svc-user", in10Minutes, "hoft-front");
        HttpResponse<byte[]> forbidden = call("/admin/echo", "sec-route", user);
        assertEquals(403, forbidden.statusCode(), text(forbidden));
        assertEquals("forbidden-route", forbidden.headers().firstValue("Hoft-Error").orElse(null));
        assertEquals(storedBefore, chain.storedCalls(), "nothing refused was stored");

        // the same token on its own route goes through, and its credential is not passed on to the callee
        HttpResponse<byte[]> allowed = call("/echo", "sec-ok", user);
        assertEquals(200, allowed.statusCode(), text(allowed));
        assertEquals(List.of(), ModesTest.values(Chain.json(allowed).path("headers"), "Authorization"));
        // and a subject allowed on /admin reaches it (the callee answers 404 for a path it does not have)
        HttpResponse<byte[]> admin = call("/admin/x", "sec-admin", token(CALLER_KEY, "svc-admin", in10Minutes, "hoft-front"));
        assertEquals(404, admin.statusCode(), text(admin));
        assertEquals(1, chain.calleeCount("sec-admin"));

        for (String refused : List.of("sec-missing", "sec-forged", "sec-expired", "sec-audience", "sec-route")) {
            assertEquals(0, chain.calleeCount(refused), refused + " reached the callee");
        }
        assertEquals(1, chain.calleeCount("sec-ok"));
    }

    @Test
    void callbackUrlsToPrivateNetworksAreRefusedAndNothingIsStored() throws Exception {
        chain = Chain.in(dir).front("HOFT_FRONT_CALLBACKS_ALLOW_PRIVATE_NETWORKS", "false").start();
        long storedBefore = chain.storedCalls();

        for (String[] attempt : List.of(
                new String[] {"Hoft-Callback", "http://127.0.0.1:9/hook"},
                new String[] {"Hoft-Callback", "http://169.254.169.254/latest/meta-data"},
                new String[] {"Hoft-Callback", "http://10.1.2.3/hook"},
                new String[] {"Hoft-Status-Callback", "http://localhost:9/status"})) {
            HttpResponse<byte[]> refused = chain.send(chain.request("/echo").header("X-Test-Id", "sec-callback")
                    .header(attempt[0], attempt[1]).POST(BodyPublishers.ofString("never stored")));
            assertEquals(400, refused.statusCode(), attempt[1] + ": " + text(refused));
            assertEquals("callback-forbidden", refused.headers().firstValue("Hoft-Error").orElse(null));
        }
        assertEquals(storedBefore, chain.storedCalls(), "a refused call is not stored");
        // a call that is accepted goes through the link; the refused ones never do
        assertEquals(200, chain.send(chain.request("/echo").header("X-Test-Id", "sec-callback-ok").GET()).statusCode());
        assertEquals(0, chain.calleeCount("sec-callback"));
    }

    @Test
    void absoluteTargetsOutsideTheBacksAllowlistAre403UpstreamForbidden() throws Exception {
        chain = Chain.in(dir).start();
        String callee = chain.calleeUri.getAuthority();
        int otherPort = Chain.closedPort();
        try (RawHttp caller = new RawHttp(chain.frontPort())) {
            for (String target : List.of("http://evil.example/echo", "http://127.0.0.1:" + otherPort + "/echo",
                    "https://" + callee + "/echo", "http://user@" + callee + "/echo")) {
                // Host as a client sends it with an absolute target (Undertow refuses a Host that differs: 400)
                String host = target.substring(target.indexOf("://") + 3, target.indexOf('/', target.indexOf("://") + 3));
                host = host.substring(host.indexOf('@') + 1);
                RawHttp.Response refused = caller.exchange("GET " + target + " HTTP/1.1\r\nHost: " + host
                        + "\r\nX-Test-Id: sec-upstream\r\n\r\n");
                assertEquals(403, refused.status(), target + ":\n" + refused.head() + refused.text());
                assertEquals("upstream-forbidden", refused.first("Hoft-Error"), target);
            }
            // the configured upstream itself, in absolute form, is allowed: the check is the allowlist, not the form
            RawHttp.Response allowed = caller.exchange("GET http://" + callee + "/echo?abs=1 HTTP/1.1\r\nHost: " + callee + "\r\n"
                    + "X-Test-Id: sec-upstream-ok\r\n\r\n");
            assertEquals(200, allowed.status(), allowed.text());
            assertTrue(allowed.text().contains("\"target\":\"/echo?abs=1\""), allowed.text());
        }
        assertEquals(0, chain.calleeCount("sec-upstream"));
        assertEquals(1, chain.calleeCount("sec-upstream-ok"));
    }

    @Test
    void aFrontWithoutAuthRefusesToListenBeyondLoopback() throws Exception {
        Setup setup = Chain.in(dir).frontYaml(yaml -> yaml.replace("listen: 127.0.0.1:0", "listen: 0.0.0.0:0")).writeOnly();
        assertTrue(Files.readString(setup.frontConfig()).contains("listen: 0.0.0.0:0"));

        ConfigException refused = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(setup.frontConfig(), FrontConfig.class, Map.of()));
        assertTrue(refused.getMessage().contains("not a loopback address"), refused.getMessage());
        // and `hoft front` says so and exits 2 instead of starting (a hang here would be the bug)
        Cli.Result run = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> Cli.run("front", "--config", setup.frontConfig()));
        assertEquals(2, run.exit(), run.toString());
        assertTrue(run.err().contains("not a loopback address"), run.toString());
    }

    private HttpResponse<byte[]> call(String target, String testId, String token) throws Exception {
        HttpRequest.Builder request = chain.request(target).header("X-Test-Id", testId);
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return chain.send(request.GET());
    }

    private static String token(ECKey key, String subject, Instant expires, String audience) throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().subject(subject).issuer("https://idp.test").audience(audience)
                .expirationTime(Date.from(expires)).issueTime(new Date()).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(), claims);
        jwt.sign(new ECDSASigner(key));
        return jwt.serialize();
    }

    private static ECKey ecKey(String kid) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
        } catch (com.nimbusds.jose.JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Replaces the one line of {@code yaml} that starts with {@code start} (comments and all). */
    static String replaceLine(String yaml, String start, String replacement) {
        String[] lines = yaml.split("\n", -1);
        StringBuilder out = new StringBuilder();
        int found = 0;
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith(start)) {
                found++;
                out.append(replacement.endsWith("\n") ? replacement : replacement + "\n");
            } else {
                out.append(lines[i]).append(i < lines.length - 1 ? "\n" : "");
            }
        }
        if (found != 1) {
            throw new AssertionError("expected one line starting with '" + start + "' in front.yaml, found " + found + ":\n" + yaml);
        }
        return out.toString();
    }
}
