package io.hoft.tools.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.hoft.tools.Main;
import io.hoft.transport.keys.KeyException;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.keys.PeerKeys;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.text.ParseException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;

/**
 * A node's public peer card, {@code ID.card.json}: what the other site needs to trust it and
 * nothing more. It is the only thing that crosses between two sites; it holds no private key
 * and no shared secret (reading one that does is refused).
 *
 * <pre>
 * {
 *   "hoftPeerCard": 1,
 *   "node": "front",                 the node id
 *   "role": "front",                 front or back
 *   "link": "folder",                folder or dialout: how the two sites are joined
 *   "shares": false,                 a back: it publishes folders through the file share
 *   "url": "https://front.example:8443",  a dial-out front: the base URL the back dials
 *   "tls": {"certificate": "-----BEGIN CERTIFICATE-----...", "sha256": "AB:CD:..."},
 *                                    a dial-out front over https: its certificate, to pin
 *   "keys": {"keys": [...]},         the node's public signing and agreement keys (JWK set)
 *   "written": "2026-..."
 * }
 * </pre>
 *
 * Reading checks every field: an unknown field, a missing one, a key that is not public, a
 * node id that does not match the keys' is an error naming what is wrong.
 */
record PeerCard(NodeId node, String role, String link, boolean shares, URI url, String certificatePem, PeerKeys keys) {
    static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FIELDS = Set.of("hoftPeerCard", "node", "role", "link", "shares", "url", "tls", "keys",
            "written");

    PeerCard {
        if (!role.equals("front") && !role.equals("back")) {
            throw new IllegalArgumentException("role must be front or back");
        }
        if (!link.equals("folder") && !link.equals("dialout")) {
            throw new IllegalArgumentException("link must be folder or dialout");
        }
        if (!keys.node().equals(node)) {
            throw new IllegalArgumentException("the keys belong to " + keys.node() + ", not " + node);
        }
    }

    /** Writes the card (temp file and rename; readable by anyone: it is public). */
    void write(Path file, Instant now) throws IOException {
        ObjectNode json = JSON.createObjectNode();
        json.put("hoftPeerCard", VERSION);
        json.put("node", node.value());
        json.put("role", role);
        json.put("link", link);
        json.put("shares", shares);
        if (url != null) {
            json.put("url", url.toString());
        }
        if (certificatePem != null) {
            ObjectNode tls = json.putObject("tls");
            tls.put("certificate", certificatePem);
            tls.put("sha256", fingerprint(certificate(certificatePem)));
        }
        json.set("keys", JSON.readTree(keys.toJwkSet().toString(true)));
        json.put("written", now.toString());
        NodeFile.replaceFile(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
    }

    /** Reads and checks a card; a usage error names what is wrong with it. */
    static PeerCard read(Path file) throws IOException {
        JsonNode json;
        try {
            json = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new Main.UsageException(file + " does not exist");
        } catch (IOException e) {
            throw new Main.UsageException(file + " is not a peer card (not JSON): " + e.getMessage());
        }
        try {
            return parse(json);
        } catch (IllegalArgumentException | KeyException e) {
            throw new Main.UsageException(file + " is not a usable peer card: " + e.getMessage());
        }
    }

    private static PeerCard parse(JsonNode json) {
        if (json == null || !json.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        for (Iterator<String> names = json.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new IllegalArgumentException("unknown field '" + name + "'");
            }
        }
        if (json.path("hoftPeerCard").asInt(-1) != VERSION) {
            throw new IllegalArgumentException("hoftPeerCard must be " + VERSION + " (a card of another version of hoft?)");
        }
        String node = text(json, "node");
        if (!NodeId.isValid(node)) {
            throw new IllegalArgumentException("node '" + node + "' is not a node id");
        }
        JWKSet set;
        try {
            set = JWKSet.parse(json.path("keys").toString());
        } catch (ParseException e) {
            throw new IllegalArgumentException("keys is not a JWK set: " + e.getMessage());
        }
        for (JWK key : set.getKeys()) {
            if (key.isPrivate()) {
                throw new IllegalArgumentException("key " + key.getKeyID() + " is private: a card carries public keys only;"
                        + " this card must not be used, and the key it leaked must be replaced");
            }
        }
        PeerKeys keys = PeerKeys.fromJwkSet(set);
        if (!keys.sharedSecrets().isEmpty()) {
            throw new IllegalArgumentException("it carries a shared secret; a card carries public keys only");
        }
        if (keys.signingKeys().isEmpty() || keys.agreementKeys().isEmpty()) {
            throw new IllegalArgumentException("keys must hold a signing and an agreement key");
        }
        URI url = null;
        if (json.has("url")) {
            url = URI.create(text(json, "url"));
            String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
                throw new IllegalArgumentException("url must be an http or https URL, not " + url);
            }
        }
        String pem = null;
        if (json.has("tls")) {
            pem = text(json.path("tls"), "certificate");
            String expected = fingerprint(certificate(pem));
            if (!expected.equalsIgnoreCase(json.path("tls").path("sha256").asText())) {
                throw new IllegalArgumentException("tls.sha256 does not match tls.certificate (" + expected + ")");
            }
        }
        return new PeerCard(NodeId.of(node), text(json, "role"), text(json, "link"), json.path("shares").asBoolean(false),
                url, pem, keys);
    }

    private static String text(JsonNode json, String field) {
        JsonNode value = json.get(field);
        if (value == null || !value.isTextual() || value.asText().isEmpty()) {
            throw new IllegalArgumentException(field + " is missing");
        }
        return value.asText();
    }

    static X509Certificate certificate(String pem) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (CertificateException e) {
            throw new IllegalArgumentException("tls.certificate is not a PEM certificate: " + e.getMessage());
        }
    }

    /** The SHA-256 of a certificate as colon-separated hex, the form people compare over the phone. */
    static String fingerprint(X509Certificate certificate) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        } catch (NoSuchAlgorithmException | CertificateException e) {
            throw new IllegalStateException(e);
        }
    }
}
