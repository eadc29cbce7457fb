package io.hoft.front.internal;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.hoft.front.FrontConfig;
import io.hoft.transport.config.ConfigException;
import io.undertow.util.HeaderMap;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Caller authentication and per-caller routes. The credential is {@code Bearer <token>} in
 * {@code Hoft-Authorization} if present, else in {@code Authorization}; a credential taken from
 * {@code Authorization} is meant for the front and is not forwarded. In {@code jwt} mode the
 * token is a JWT verified with nimbus against the configured JWK set (signature with an
 * algorithm matching the key's type, {@code exp} and {@code sub} required, {@code iss} and
 * {@code aud} when configured, clock skew allowed); in {@code apikey} mode it is compared, by
 * SHA-256 in constant time, with the configured keys.
 */
final class Authenticator {
    static final String HOFT_AUTHORIZATION = "Hoft-Authorization";
    static final String AUTHORIZATION = "Authorization";
    static final String ALL_ROUTES = "*";

    /** Who is calling, which routes it may use, and which header carried its credential (null if none). */
    record Caller(String id, Set<String> routes, String credentialHeader) {
        boolean mayUse(String route) {
            return routes.contains(ALL_ROUTES) || routes.contains(route);
        }
    }

    private final String mode;
    private final DefaultJWTProcessor<SecurityContext> jwtProcessor;
    private final FrontConfig.Jwt jwt;
    private final Map<String, FrontConfig.ApiKey> apiKeysByHash;

    private Authenticator(String mode, DefaultJWTProcessor<SecurityContext> jwtProcessor, FrontConfig.Jwt jwt,
            Map<String, FrontConfig.ApiKey> apiKeysByHash) {
        this.mode = mode;
        this.jwtProcessor = jwtProcessor;
        this.jwt = jwt;
        this.apiKeysByHash = apiKeysByHash;
    }

    static Authenticator create(FrontConfig.Auth auth) {
        DefaultJWTProcessor<SecurityContext> processor = null;
        if (auth.mode().equals("jwt")) {
            processor = jwtProcessor(auth.jwt());
        }
        Map<String, FrontConfig.ApiKey> keys = new LinkedHashMap<>();
        for (FrontConfig.ApiKey key : auth.apiKeys()) {
            String hash = key.sha256() != null ? key.sha256().toLowerCase(Locale.ROOT) : sha256(key.key());
            keys.put(hash, key);
        }
        return new Authenticator(auth.mode(), processor, auth.jwt(), keys);
    }

    boolean enabled() {
        return !mode.equals("none");
    }

    /**
     * Authenticates a request by its headers.
     *
     * @throws HttpError 401 when the credential is missing or not valid
     */
    Caller authenticate(HeaderMap headers) {
        if (!enabled()) {
            return new Caller(null, Set.of(ALL_ROUTES), null);
        }
        String header = headers.contains(HOFT_AUTHORIZATION) ? HOFT_AUTHORIZATION : AUTHORIZATION;
        String value = headers.getFirst(header);
        if (value == null) {
            throw unauthorized(null, "this front wants Authorization: Bearer <" + (mode.equals("jwt") ? "JWT" : "API key") + ">");
        }
        if (headers.count(header) > 1 || value.length() < 8 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw unauthorized("invalid_request", "the credential must be one Bearer token");
        }
        String token = value.substring(7).trim();
        return mode.equals("jwt") ? verifyJwt(token, header) : verifyApiKey(token, header);
    }

    private Caller verifyJwt(String token, String header) {
        JWTClaimsSet claims;
        try {
            claims = jwtProcessor.process(token, null);
        } catch (ParseException | BadJOSEException | JOSEException e) {
            throw unauthorized("invalid_token", "the token is not valid: " + e.getMessage());
        }
        String subject = claims.getSubject();
        Set<String> routes = new HashSet<>(jwt.defaultRoutes());
        for (FrontConfig.SubjectRoutes entry : jwt.subjects()) {
            if (entry.subject().equals(subject)) {
                routes.addAll(entry.routes());
            }
        }
        if (jwt.routesClaim() != null) {
            Object claim = claims.getClaim(jwt.routesClaim());
            if (claim instanceof String) {
                routes.addAll(List.of(((String) claim).trim().split("\\s+")));
            } else if (claim instanceof List) {
                for (Object item : (List<?>) claim) {
                    if (item instanceof String) {
                        routes.add((String) item);
                    }
                }
            }
        }
        return new Caller("jwt:" + subject, routes, header);
    }

    private Caller verifyApiKey(String token, String header) {
        byte[] presented = HexFormat.of().parseHex(sha256(token));
        FrontConfig.ApiKey match = null;
        for (Map.Entry<String, FrontConfig.ApiKey> entry : apiKeysByHash.entrySet()) {
            if (MessageDigest.isEqual(presented, HexFormat.of().parseHex(entry.getKey()))) {
                match = entry.getValue();
            }
        }
        if (match == null) {
            throw unauthorized("invalid_token", "unknown API key");
        }
        return new Caller("apikey:" + match.name(), new HashSet<>(match.routes()), header);
    }

    private static HttpError unauthorized(String error, String message) {
        String challenge = "Bearer realm=\"hoft\"" + (error == null ? "" : ", error=\"" + error + "\"");
        return new HttpError(401, "unauthenticated", message, null, Map.of("WWW-Authenticate", challenge), true);
    }

    private static DefaultJWTProcessor<SecurityContext> jwtProcessor(FrontConfig.Jwt jwt) {
        JWKSet keys;
        try {
            keys = JWKSet.load(jwt.jwks().toFile());
        } catch (IOException | ParseException e) {
            throw new ConfigException("front.auth.jwt.jwks: cannot read " + jwt.jwks() + ": " + e.getMessage(), e);
        }
        if (keys.getKeys().isEmpty()) {
            throw new ConfigException("front.auth.jwt.jwks: " + jwt.jwks() + " holds no keys");
        }
        Set<JWSAlgorithm> algorithms = new HashSet<>();
        for (JWK key : keys.getKeys()) {
            KeyType type = key.getKeyType();
            if (KeyType.RSA.equals(type)) {
                algorithms.addAll(JWSAlgorithm.Family.RSA);
            } else if (KeyType.EC.equals(type)) {
                algorithms.addAll(JWSAlgorithm.Family.EC);
            } else if (KeyType.OKP.equals(type)) {
                algorithms.addAll(JWSAlgorithm.Family.ED);
            } else if (KeyType.OCT.equals(type)) {
                algorithms.addAll(JWSAlgorithm.Family.HMAC_SHA);
            }
        }
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, new ImmutableJWKSet<>(keys)));
        JWTClaimsSet exact = jwt.issuer() == null ? null : new JWTClaimsSet.Builder().issuer(jwt.issuer()).build();
        DefaultJWTClaimsVerifier<SecurityContext> verifier =
                new DefaultJWTClaimsVerifier<>(jwt.audience(), exact, Set.of("exp", "sub"));
        verifier.setMaxClockSkew((int) Math.min(Integer.MAX_VALUE, jwt.clockSkew().toSeconds()));
        processor.setJWTClaimsSetVerifier(verifier);
        return processor;
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
