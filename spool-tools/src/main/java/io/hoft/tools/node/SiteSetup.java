package io.hoft.tools.node;

import io.hoft.front.callback.StandardWebhooks;
import io.hoft.tools.Main;
import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.keys.NodeKeys;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One side of a two-site setup, as {@code hoft init DIR --role front|back} writes it: that
 * node's config ({@code front.yaml} or {@code back.yaml}), its own keys (the private set never
 * leaves the site), its state folder, for a front the webhook secret (and for a dial-out front
 * its TLS certificate and key), for a folder link {@code link/out} and {@code link/in}, and its
 * public peer card {@code ID.card.json} ({@link PeerCard}). The config names no peer yet:
 * {@code hoft peer add} adds the other side from its card. Nothing existing is overwritten.
 */
public final class SiteSetup {
    /** The line of an empty peer list that {@code hoft peer add} replaces. */
    static final String NO_PEERS = "  peers: []                        # hoft peer add --config THIS_FILE PEER.card.json adds the peer";
    /** The commented share line of a front that {@code hoft peer add} turns on when the back's card says it shares. */
    static final String SHARE_OFF = "  # share: {enabled: true}          # hoft peer add turns this on when the back's card says it shares files";

    private final Path dir;
    private final String role;
    private final NodeId id;
    private final String link;
    private final int frontPort;
    private final URI url;
    private final Setup shareAndUpstream;

    /**
     * A side to write. {@code url} (dial-out front only, may be null) is the base URL the back
     * will dial (default {@code https://127.0.0.1:PORT}); {@code upstream} and {@code shares}
     * apply to a back only.
     */
    public SiteSetup(Path dir, String role, String id, String link, int frontPort, String url, String upstream,
            List<Path> shares) {
        if (!role.equals("front") && !role.equals("back")) {
            throw new Main.UsageException("--role " + role + ": must be front or back");
        }
        if (!link.equals("folder") && !link.equals("dialout")) {
            throw new Main.UsageException("--link " + link + ": must be folder or dialout");
        }
        String nodeId = id != null ? id : role;
        if (!NodeId.isValid(nodeId)) {
            throw new Main.UsageException("--id '" + nodeId + "' is not a node id (1-32 of a-z, 0-9 and inner '-')");
        }
        if (role.equals("front") && !shares.isEmpty()) {
            throw new Main.UsageException("--share publishes a folder of the back's site: give it to hoft init --role back;"
                    + " the front serves what the back's card says it shares");
        }
        if (url != null && !(role.equals("front") && link.equals("dialout"))) {
            throw new Main.UsageException("--url is the address a back dials: it applies to --role front --link dialout only");
        }
        this.dir = dir;
        this.role = role;
        this.id = NodeId.of(nodeId);
        this.link = link;
        this.shareAndUpstream = Setup.of(dir, upstream, frontPort, false).withShares(shares);
        this.frontPort = frontPort;
        this.url = role.equals("front") && link.equals("dialout") ? checkedUrl(url != null ? url : "https://127.0.0.1:" + frontPort)
                : null;
    }

    public Path config() {
        return dir.resolve(role + ".yaml");
    }

    public Path card() {
        return dir.resolve(id + ".card.json");
    }

    public NodeId id() {
        return id;
    }

    /** The URL a dial-out back will dial (null for other setups). */
    public URI url() {
        return url;
    }

    /** Writes everything; returns the files written, in order. */
    public List<Path> write() throws IOException {
        for (Path existing : List.of(config(), dir.resolve("keys"), dir.resolve("state"), card())) {
            if (Files.exists(existing)) {
                throw new Main.UsageException(existing + " already exists: " + dir
                        + " already holds a setup (or part of one); choose an empty or new folder");
            }
        }
        Instant now = Instant.now();
        Files.createDirectories(dir);
        Path keys = Files.createDirectories(dir.resolve("keys"));
        try {
            Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the key files' own permissions are what protects them
        }
        List<Path> written = new ArrayList<>();
        NodeKeys nodeKeys = NodeKeys.generate(id, now);
        Path privateKeys = keys.resolve(id + ".jwks");
        KeyFiles.writePrivate(privateKeys, nodeKeys.toJwkSet(), false);
        KeyFiles.writePublic(keys.resolve(id + ".public.jwks"), nodeKeys.publicKeys().toJwkSet(), false);
        written.add(privateKeys);
        written.add(keys.resolve(id + ".public.jwks"));
        Files.createDirectories(dir.resolve("state"));
        if (link.equals("folder")) {
            Files.createDirectories(dir.resolve("link/out"));
            Files.createDirectories(dir.resolve("link/in"));
        }
        String certificatePem = null;
        String yaml;
        if (role.equals("front")) {
            Path secret = keys.resolve("webhook.secret");
            Files.createFile(secret, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(secret, StandardWebhooks.generateSecret() + "\n", StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
            written.add(secret);
            String tlsLine = "";
            if (url != null && url.getScheme().equals("https")) {
                certificatePem = SelfSignedTls.write(id.value(), url.getHost(), keys.resolve("tls-cert.pem"),
                        keys.resolve("tls-key.pem"), now);
                written.add(keys.resolve("tls-cert.pem"));
                written.add(keys.resolve("tls-key.pem"));
                tlsLine = "  tls: {cert: keys/tls-cert.pem, key: keys/tls-key.pem}  # self-signed; the back pins it (its card carries it)\n";
            }
            yaml = frontYaml(tlsLine);
        } else {
            yaml = backYaml();
        }
        Files.writeString(config(), yaml, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
        written.add(config());
        new PeerCard(id, role, link, role.equals("back") && !shareAndUpstream.shares().isEmpty(), url, certificatePem,
                nodeKeys.publicKeys()).write(card(), now);
        written.add(card());
        return written;
    }

    private String nodeSection(String peer) {
        return """
                node:
                  id: %s
                  keys: keys/%s.jwks%s# this node's private keys (owner-only): they never leave this site
                  state: state                      # database, bodies, sent files: back it up with keys/
                  mode: encrypted                   # files are signed and encrypted for the %s
                %s
                %s""".formatted(id, id, " ".repeat(Math.max(1, 18 - id.value().length())), peer, NO_PEERS,
                link.equals("dialout") ? "  channel:\n" + DialoutYaml.CHANNEL : "");
    }

    private String frontYaml(String tlsLine) {
        String reach = link.equals("folder")
                ? "# Files to the back go to link/out, files from it arrive in link/in: the site's transfer\n"
                        + "# service carries link/out to the back's link/in and the back's link/out here.\n"
                : "# The back dials " + url + " (this front's /_hoft/link) and listens on no port.\n"
                        + (isLoopback(url.getHost()) ? "# For a back on another machine: init with --url https://THIS-HOST:PORT, and listen\n"
                                + "# on that address (front.listen) with caller authentication (front.auth).\n" : "");
        return """
                # hoft front of a two-site setup, written by `hoft init --role front`: this node only.
                # It trusts no peer yet. Carry %s to the back's site, bring the back's card
                # here, then: hoft peer add --config front.yaml BACK.card.json; start: hoft front --config front.yaml
                %s# As written, it takes calls on loopback without caller authentication and allows callbacks
                # to private addresses; before real use, revisit front.listen, front.auth and
                # front.callbacks.allowPrivateNetworks (see the README's deployment section).
                # Every key can be overridden by an environment variable, e.g. HOFT_FRONT_LISTEN.
                """.formatted(card().getFileName(), reach)
                + nodeSection("back")
                + Setup.frontSection(frontPort, tlsLine, "", SHARE_OFF + "\n");
    }

    private String backYaml() {
        String reach = link.equals("folder")
                ? "# Files to the front go to link/out, files from it arrive in link/in: the site's transfer\n"
                        + "# service carries link/out to the front's link/in and the front's link/out here.\n"
                : "# It dials the front at the URL of the front's card and listens on no port.\n";
        return """
                # hoft back of a two-site setup, written by `hoft init --role back`: this node only. It replays
                # the calls that arrive to the upstreams below; only those can be called.
                # It trusts no peer yet. Carry %s to the front's site, bring the front's card
                # here, then: hoft peer add --config back.yaml FRONT.card.json; start: hoft back --config back.yaml
                %s# Every key can be overridden by an environment variable, e.g. HOFT_BACK_UPSTREAMS_DEFAULT_URL.
                """.formatted(card().getFileName(), reach)
                + nodeSection("front")
                + Setup.backSection(shareAndUpstream.upstream(), shareAndUpstream.shares());
    }

    private static boolean isLoopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]");
    }

    private static URI checkedUrl(String value) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (java.net.URISyntaxException e) {
            throw new Main.UsageException("--url " + value + " is not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                || (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"))
                || uri.getRawQuery() != null || value.chars().anyMatch(c -> c == '"' || c == '\\' || c < 0x21 || c > 0x7e)) {
            throw new Main.UsageException("--url must be the front's base URL, like https://front.example:8443, not '" + value + "'");
        }
        return URI.create(scheme + "://" + uri.getRawAuthority());
    }
}
