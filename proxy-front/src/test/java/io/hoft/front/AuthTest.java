package io.hoft.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Caller authentication (JWT and API keys) and per-caller routes: 401 and 403 as they should be, and nothing stored. */
class AuthTest {
    static final ECKey CALLER_KEY = generate("k1");
    static final ECKey STRANGER_KEY = generate("k1");

    @TempDir
    Path root;
    FrontFixture f;

    @AfterEach
    void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    private static ECKey generate(String kid) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
        } catch (com.nimbusds.jose.JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private void startJwt() throws Exception {
        Files.createDirectories(root.resolve("keys"));
        Files.writeString(root.resolve("keys/callers.jwks"), new JWKSet(CALLER_KEY.toPublicJWK()).toString());
        f = FrontFixture.in(root).front(
                "routes:",
                "  - {name: orders, prefix: /orders, upstream: orders}",
                "  - {name: admin, prefix: /admin, upstream: admin}",
                "auth:",
                "  mode: jwt",
                "  jwt:",
                "    jwks: keys/callers.jwks",
                "    issuer: https://idp.test",
                "    audience: hoft",
                "    routesClaim: hoft_routes",
                "    defaultRoutes: [orders]",
                "    subjects: [{subject: svc-admin, routes: [admin]}]").start();
    }

    private static String token(ECKey key, String subject, Instant expires, String issuer, String audience, Object routes)
            throws Exception {
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject(subject).issuer(issuer).audience(audience)
                .expirationTime(Date.from(expires)).issueTime(new Date());
        if (routes != null) {
            claims.claim("hoft_routes", routes);
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(), claims.build());
        jwt.sign(new ECDSASigner(key));
        return jwt.serialize();
    }

    private static String valid(String subject) throws Exception {
        return token(CALLER_KEY, subject, Instant.now().plusSeconds(600), "https://idp.test", "hoft", null);
    }

    private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(f.uri(path));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return f.send(request);
    }

    private void assertUnauthenticated(HttpResponse<byte[]> r, String why) {
        assertEquals(401, r.statusCode(), why);
        assertEquals("unauthenticated", r.headers().firstValue("Hoft-Error").orElseThrow(), why);
        assertTrue(r.headers().firstValue("WWW-Authenticate").orElseThrow().startsWith("Bearer realm=\"hoft\""), why);
    }

    @Test
    void missingBadForgedExpiredOrMisaddressedTokensGet401AndNothingIsStored() throws Exception {
        startJwt();
        assertUnauthenticated(get("/orders/1"), "no credential");
        assertUnauthenticated(get("/orders/1", "Authorization", "Bearer not.a.jwt"), "garbage");
        assertUnauthenticated(get("/orders/1", "Authorization", "Basic dXNlcjpwYXNz"), "not bearer");
        Instant later = Instant.now().plusSeconds(600);
        assertUnauthenticated(get("/orders/1", "Authorization", "Bearer " + token(STRANGER_KEY, "svc-a", later,
                "https://idp.test", "hoft", null)), "signed by a key not in the JWK set");
        assertUnauthenticated(get("/orders/1", "Authorization", "Bearer " + token(CALLER_KEY, "svc-a",
                Instant.now().minusSeconds(600), "https://idp.test", "hoft", null)), "expired");
        assertUnauthenticated(get("/orders/1", "Authorization", "Bearer " + token(CALLER_KEY, "svc-a", later,
                "https://other.test", "hoft", null)), "wrong issuer");
        assertUnauthenticated(get("/orders/1", "Authorization", "Bearer " + token(CALLER_KEY, "svc-a", later,
                "https://idp.test", "someone-else", null)), "wrong audience");
        String unsigned = new PlainJWT(new JWTClaimsSet.Builder().subject("svc-a").issuer("https://idp.test").audience("hoft")
                .expirationTime(java.util.Date.from(later)).build()).serialize();
        assertUnauthenticated(get("/orders/1", "Authorization", "Bearer " + unsigned), "alg none");
        SignedJWT confused = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder().subject("svc-a")
                .issuer("https://idp.test").audience("hoft").expirationTime(java.util.Date.from(later)).build());
        confused.sign(new MACSigner(MessageDigest.getInstance("SHA-256").digest(CALLER_KEY.toPublicJWK().toJSONString()
                .getBytes(StandardCharsets.UTF_8))));
        assertUnauthenticated(get("/orders/1", "Authorization", "Bearer " + confused.serialize()), "HS256 with the public key");
        assertEquals(0L, (long) f.node.runtime().store().inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM front_request")));
        assertEquals(0, f.back.calls.size());
    }

    @Test
    void aValidTokenPassesOnlyToItsRoutesAndIsNotForwarded() throws Exception {
        startJwt();
        HttpResponse<byte[]> ok = get("/orders/1", "Authorization", "Bearer " + valid("svc-a"));
        assertEquals(200, ok.statusCode());
        TestBack.Call call = f.back.calls.get(ok.headers().firstValue("Hoft-Request-Id").orElseThrow());
        assertNull(call.header("Authorization"), "the front's credential stays at the front");
        assertEquals("orders", call.request().upstream());
        HttpResponse<byte[]> forbidden = get("/admin/x", "Authorization", "Bearer " + valid("svc-a"));
        assertEquals(403, forbidden.statusCode());
        assertEquals("forbidden-route", forbidden.headers().firstValue("Hoft-Error").orElseThrow());
        assertEquals(200, get("/admin/x", "Authorization", "Bearer " + valid("svc-admin")).statusCode(), "by subject");
        String withClaim = token(CALLER_KEY, "svc-b", Instant.now().plusSeconds(600), "https://idp.test", "hoft", List.of("admin"));
        assertEquals(200, get("/admin/y", "Authorization", "Bearer " + withClaim).statusCode(), "by claim");
        String spaced = token(CALLER_KEY, "svc-c", Instant.now().plusSeconds(600), "https://idp.test", "hoft", "admin orders");
        assertEquals(200, get("/admin/z", "Authorization", "Bearer " + spaced).statusCode(), "by space-separated claim");
    }

    @Test
    void hoftAuthorizationLeavesAuthorizationToTheCallee() throws Exception {
        startJwt();
        HttpResponse<byte[]> ok = get("/orders/2", "Hoft-Authorization", "Bearer " + valid("svc-a"),
                "Authorization", "Basic Y2FsbGVlOnB3");
        assertEquals(200, ok.statusCode());
        TestBack.Call call = f.back.calls.get(ok.headers().firstValue("Hoft-Request-Id").orElseThrow());
        assertEquals("Basic Y2FsbGVlOnB3", call.header("Authorization"));
        assertNull(call.header("Hoft-Authorization"));
    }

    @Test
    void aCallCanOnlyBeReadByWhoSentIt() throws Exception {
        startJwt();
        HttpResponse<byte[]> sent = get("/orders/3", "Authorization", "Bearer " + valid("svc-a"));
        String id = sent.headers().firstValue("Hoft-Request-Id").orElseThrow();
        assertUnauthenticated(get("/_hoft/requests/" + id), "polling needs the credential");
        assertEquals(404, get("/_hoft/requests/" + id, "Authorization", "Bearer " + valid("svc-other")).statusCode());
        assertEquals(404, get("/_hoft/requests/" + id + "/response", "Authorization", "Bearer " + valid("svc-other")).statusCode());
        assertEquals(200, get("/_hoft/requests/" + id, "Authorization", "Bearer " + valid("svc-a")).statusCode());
        assertEquals(200, get("/_hoft/requests/" + id + "/response", "Authorization", "Bearer " + valid("svc-a")).statusCode());
        assertEquals(200, get("/_hoft/health").statusCode(), "health needs no credential");
    }

    @Test
    void apiKeysAuthenticateByKeyOrItsHashWithTheirOwnRoutes() throws Exception {
        String readerKey = "reader-key-0123456789abcdef";
        String readerHash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(readerKey.getBytes(StandardCharsets.UTF_8)));
        f = FrontFixture.in(root).front(
                "routes:",
                "  - {name: orders, prefix: /orders, upstream: orders}",
                "  - {name: admin, prefix: /admin, upstream: admin}",
                "auth:",
                "  mode: apikey",
                "  apiKeys:",
                "    - {name: ci, key: ci-key-0123456789abcdef, routes: ['*']}",
                "    - {name: reader, sha256: " + readerHash + ", routes: [orders]}").start();
        assertEquals(200, get("/admin/1", "Authorization", "Bearer ci-key-0123456789abcdef").statusCode());
        assertEquals(200, get("/orders/1", "Authorization", "Bearer " + readerKey).statusCode());
        HttpResponse<byte[]> forbidden = get("/admin/1", "Authorization", "Bearer " + readerKey);
        assertEquals(403, forbidden.statusCode());
        assertUnauthenticated(get("/orders/1", "Authorization", "Bearer wrong-key-0123456789abcdef"), "unknown key");
        assertUnauthenticated(get("/orders/1"), "no key");
    }
}
