package io.hoft.tools.node;

import io.hoft.front.callback.StandardWebhooks;
import io.hoft.tools.Main;
import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.keys.NodeKeys;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A working two-node setup in one folder, as {@code hoft init} writes it and {@code hoft demo}
 * uses it: {@code front.yaml}, {@code back.yaml}, both nodes' keys, the webhook secret, the
 * state folders and the link folders. Paths inside the YAML are relative to the folder, so the
 * folder can be moved. Nothing existing is overwritten: a folder that already holds a setup is
 * refused before anything is written.
 *
 * <p>Link folders: shared (default), the front's outbox is the back's inbox and the other way
 * round ({@code link/front-to-back}, {@code link/back-to-front}); separate, four folders that a
 * mirror must carry between ({@code link/front-out -> link/back-in},
 * {@code link/back-out -> link/front-in}).
 */
public final class Setup {
    static final NodeId FRONT = NodeId.of("front");
    static final NodeId BACK = NodeId.of("back");

    private final Path dir;
    private final URI upstream;
    private final int frontPort;
    private final boolean separateFolders;
    private String callbacksExtra = "";
    private Map<String, Path> shares = Map.of();
    private boolean dialout;

    private Setup(Path dir, URI upstream, int frontPort, boolean separateFolders) {
        this.dir = dir;
        this.upstream = upstream;
        this.frontPort = frontPort;
        this.separateFolders = separateFolders;
    }

    /** A setup to write into {@code dir}; {@code upstream} must be an http or https URL. */
    public static Setup of(Path dir, String upstream, int frontPort, boolean separateFolders) {
        if (frontPort < 0 || frontPort > 65535) {
            throw new Main.UsageException("--front-port must be between 0 and 65535, not " + frontPort);
        }
        return new Setup(dir, checkedUpstream(upstream), frontPort, separateFolders);
    }

    /**
     * Folders the back publishes through the file share, each under the name of its last
     * segment (made unique with -2, -3, ...). Each must exist.
     */
    public Setup withShares(List<Path> folders) {
        Map<String, Path> named = new LinkedHashMap<>();
        for (Path folder : folders) {
            Path absolute = folder.toAbsolutePath().normalize();
            if (!Files.isDirectory(absolute)) {
                throw new Main.UsageException("--share " + folder + ": not a folder");
            }
            if (absolute.toString().chars().anyMatch(c -> c == '"' || c == '\\' || c < 0x20)) {
                throw new Main.UsageException("--share " + folder + ": a folder whose name holds quotes, backslashes or"
                        + " control characters cannot be written to back.yaml; use a link to it");
            }
            Path last = absolute.getFileName();
            String base = last == null ? "files" : last.toString().replaceAll("[^A-Za-z0-9._-]", "_");
            base = base.isEmpty() || base.matches("\\.+") ? "files" : base.substring(0, Math.min(base.length(), 60));
            String name = base;
            for (int n = 2; named.containsKey(name); n++) {
                name = base + "-" + n;
            }
            named.put(name, absolute);
        }
        this.shares = named;
        return this;
    }

    /**
     * Links the pair with the dial-out link instead of folders: the back dials the front's
     * listener (SPEC.md section 19) and listens on no port itself.
     */
    public Setup withDialout() {
        if (separateFolders) {
            throw new Main.UsageException("--separate-folders applies to folder links only, not to --link dialout");
        }
        this.dialout = true;
        return this;
    }

    public boolean dialout() {
        return dialout;
    }

    URI upstream() {
        return upstream;
    }

    /** The published folders by the name the share gives them. */
    Map<String, Path> shares() {
        return shares;
    }

    /** Extra YAML lines for {@code front.callbacks}. */
    Setup withCallbacks(String yamlLines) {
        this.callbacksExtra = yamlLines;
        return this;
    }

    public Path frontConfig() {
        return dir.resolve("front.yaml");
    }

    public Path backConfig() {
        return dir.resolve("back.yaml");
    }

    public Path webhookSecret() {
        return dir.resolve("keys/webhook.secret");
    }

    /** The four link folders: front's outbox, back's inbox, back's outbox, front's inbox. */
    public List<Path> linkFolders() {
        if (dialout) {
            return List.of();
        }
        return separateFolders
                ? List.of(dir.resolve("link/front-out"), dir.resolve("link/back-in"), dir.resolve("link/back-out"),
                        dir.resolve("link/front-in"))
                : List.of(dir.resolve("link/front-to-back"), dir.resolve("link/front-to-back"),
                        dir.resolve("link/back-to-front"), dir.resolve("link/back-to-front"));
    }

    /** Writes everything; returns the files written, in order. */
    public List<Path> write() throws IOException {
        for (Path existing : List.of(frontConfig(), backConfig(), dir.resolve("keys"), dir.resolve("state"))) {
            if (Files.exists(existing)) {
                throw new Main.UsageException(existing + " already exists: " + dir
                        + " already holds a setup (or part of one); choose an empty or new folder");
            }
        }
        Files.createDirectories(dir);
        Path keys = Files.createDirectories(dir.resolve("keys"));
        restrictToOwner(keys);
        Instant now = Instant.now();
        for (NodeId node : List.of(FRONT, BACK)) {
            NodeKeys nodeKeys = NodeKeys.generate(node, now);
            KeyFiles.writePrivate(keys.resolve(node + ".jwks"), nodeKeys.toJwkSet(), false);
            KeyFiles.writePublic(keys.resolve(node + ".public.jwks"), nodeKeys.publicKeys().toJwkSet(), false);
        }
        writeSecret(webhookSecret(), StandardWebhooks.generateSecret() + "\n");
        for (Path folder : List.of(dir.resolve("state/front"), dir.resolve("state/back"))) {
            Files.createDirectories(folder);
        }
        for (Path folder : linkFolders()) {
            Files.createDirectories(folder);
        }
        writeNew(frontConfig(), frontYaml());
        writeNew(backConfig(), backYaml());
        return List.of(frontConfig(), backConfig(), keys.resolve("front.jwks"), keys.resolve("front.public.jwks"),
                keys.resolve("back.jwks"), keys.resolve("back.public.jwks"), webhookSecret());
    }

    private String relative(Path folder) {
        return dir.relativize(folder).toString().replace('\\', '/');
    }

    String frontYaml() {
        List<Path> link = linkFolders();
        return """
                # hoft front: takes HTTP calls and carries them to the back over the link.
                # Written by `hoft init` as a LOCAL setup. Before real use, revisit:
                #   - auth.mode none: callers are not authenticated. The front allows this only
                #     while it listens on a loopback address;
                #   - callbacks.allowPrivateNetworks true: callbacks may go to loopback and
                #     private addresses (on a real deployment that lets callers reach internal
                #     services through the front: set it to false).
                # Every key can be overridden by an environment variable, e.g. HOFT_FRONT_LISTEN.
                node:
                  id: front
                  keys: keys/front.jwks             # this node's private keys (owner-only)
                  state: state/front                # database, bodies, sent files
                  mode: encrypted                   # files are signed and encrypted for the back
                  peers:
                    - id: back
                      keys: keys/back.public.jwks
                      link: %s
                %s
                """.formatted(dialout ? DialoutYaml.frontLink() : folderLink(link.get(0), link.get(3)), channelSection())
                + frontSection(frontPort, "", callbacksExtra, shares.isEmpty() ? "" : FRONT_SHARE);
    }

    /**
     * The {@code front:} section of a front written by {@code hoft init}: listening on loopback
     * without caller authentication; {@code tlsLine} and {@code shareLines} as written, or empty.
     */
    static String frontSection(int frontPort, String tlsLine, String callbacksExtra, String shareLines) {
        return """
                front:
                  listen: 127.0.0.1:%d  # loopback only: callers are not authenticated
                %s  routes:
                    - {prefix: /, upstream: default}  # every call goes to the back's upstream "default"
                  sync: {defaultWait: 30s, maxWait: 120s}
                  requestTtl: 1h
                  auth:
                    mode: none                      # LOCAL: no caller authentication (loopback only)
                  callbacks:
                    secretFile: keys/webhook.secret # Standard Webhooks secret; receivers verify with it
                    allowPrivateNetworks: true      # LOCAL: callbacks to loopback/private addresses allowed
                %s%s""".formatted(frontPort, tlsLine, callbacksExtra, shareLines);
    }

    static final String FRONT_SHARE =
            "  share:\n    enabled: true                   # serve the back's published folders under /_hoft/files\n";

    String backYaml() {
        List<Path> link = linkFolders();
        return """
                # hoft back: replays the calls that arrive over the link to the upstreams below,
                # and sends the responses back. Only the upstreams named here can be called.
                # Written by `hoft init` as a LOCAL setup.
                # Every key can be overridden by an environment variable, e.g. HOFT_BACK_UPSTREAMS_DEFAULT_URL.
                node:
                  id: back
                  keys: keys/back.jwks
                  state: state/back
                  mode: encrypted
                  peers:
                    - id: front
                      keys: keys/front.public.jwks
                      link: %s
                %s
                """.formatted(dialout ? DialoutYaml.backLink(frontPort) : folderLink(link.get(2), link.get(1)), channelSection())
                + backSection(upstream, shares);
    }

    /** The {@code back:} section: the upstream "default" and the folders published through the file share. */
    static String backSection(URI upstream, Map<String, Path> shares) {
        StringBuilder yaml = new StringBuilder("""
                back:
                  upstreams:
                    default:
                      url: "%s"
                      responseTimeout: 60s
                """.formatted(upstream));
        if (!shares.isEmpty()) {
            yaml.append("  share:                            # published through the front's /_hoft/files\n    folders:\n");
            shares.forEach((name, folder) -> yaml.append("      ").append(name).append(": \"").append(folder).append("\"\n"));
        }
        return yaml.toString();
    }

    private String folderLink(Path outbox, Path inbox) {
        return "{type: folder, outbox: " + relative(outbox) + ", inbox: " + relative(inbox) + ", watch: both, poll: 1s}";
    }

    private String channelSection() {
        return dialout ? "  channel:\n" + DialoutYaml.CHANNEL : "";
    }

    private static URI checkedUpstream(String value) {
        try {
            URI uri = new URI(value);
            if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                    || uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null
                    || value.chars().anyMatch(c -> c == '"' || c == '\\' || c < 0x21 || c > 0x7e)) {
                throw new URISyntaxException(value, "not an http or https base URL");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new Main.UsageException("--upstream must be an http(s) base URL like http://127.0.0.1:8081, not '"
                    + value + "'");
        }
    }

    private static void writeNew(Path file, String text) throws IOException {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
            throw new Main.UsageException(file + " already exists; not overwriting it");
        }
    }

    private static void writeSecret(Path file, String text) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
    }

    private static void restrictToOwner(Path folder) throws IOException {
        try {
            Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the key files' own permissions are what protects them
        }
    }
}
