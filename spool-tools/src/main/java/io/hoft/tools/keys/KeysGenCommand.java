package io.hoft.tools.keys;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import io.hoft.tools.Json;
import io.hoft.tools.Main;
import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.keys.NodeKeys;
import io.hoft.transport.keys.PeerKeys;
import io.hoft.transport.keys.SharedSecret;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code hoft keys gen}: a node's key pair files, or a secret shared by two nodes. */
@Command(name = "gen",
        mixinStandardHelpOptions = true,
        description = {
            "Generate a node's keys: DIR/ID.jwks (its private signing and agreement keys, written readable by the"
                + " owner only) and DIR/ID.public.jwks (the public halves, for the node's peers).",
            "Or, with --shared-secret, a secret shared by two nodes (HS256 signatures, A256KW key wrapping):"
                + " DIR/A-B.shared.held-by-A.jwks and DIR/A-B.shared.held-by-B.jwks, both secret. Each node's config"
                + " names its copy as the keys of the other node. Either node can then forge files of the other:"
                + " prefer EC keys where that matters.",
            "Existing files are never overwritten."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:keys written", "2:usage error, or a file already exists"},
        footer = {"", "Examples:",
            "  hoft keys gen --node front --out keys",
            "  hoft keys gen --shared-secret --nodes front,back --out keys"})
final class KeysGenCommand implements Callable<Integer> {
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
        @Option(names = "--node", paramLabel = "ID", description = "the node the keys are for (1-32 of a-z, 0-9, -)")
        String node;

        @ArgGroup(exclusive = false)
        Shared shared;
    }

    static final class Shared {
        @Option(names = "--shared-secret", required = true, description = "generate a secret shared by two nodes")
        boolean sharedSecret;

        @Option(names = "--nodes", required = true, paramLabel = "A,B", description = "the two nodes that share it")
        String nodes;

        @Option(names = "--kid", paramLabel = "KID", description = "key id of the secret (default: A-B-shared-DATE-RANDOM)")
        String kid;
    }

    @Option(names = "--out", paramLabel = "DIR", defaultValue = ".", description = "folder to write into (default: the current folder)")
    Path out;

    @Option(names = "--json", description = "print what was written as JSON")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Instant now = Instant.now();
        ObjectNode result = target.node != null ? nodeKeys(now) : sharedSecret(now);
        if (json) {
            Json.print(spec.commandLine().getOut(), result);
        }
        return Main.OK;
    }

    private ObjectNode nodeKeys(Instant now) throws IOException {
        NodeId node = nodeId(target.node);
        Path privateFile = out.resolve(node + ".jwks");
        Path publicFile = out.resolve(node + ".public.jwks");
        refuseExisting(privateFile, publicFile);
        NodeKeys keys = NodeKeys.generate(node, now);
        KeyFiles.writePrivate(privateFile, keys.toJwkSet(), false);
        KeyFiles.writePublic(publicFile, keys.publicKeys().toJwkSet(), false);
        List<KeyInfo> infos = keys.toJwkSet().getKeys().stream().map(KeyInfo::of).toList();
        if (!json) {
            PrintWriter o = spec.commandLine().getOut();
            o.println("wrote " + privateFile + "  private keys of " + node + ": keep them on " + node + " only (owner-only file)");
            o.println("wrote " + publicFile + "  public keys of " + node + ": give them to its peers (their node.peers[].keys)");
            KeyInfo.print(o, infos, now);
        }
        ObjectNode result = Json.object();
        result.put("node", node.value());
        result.put("private", privateFile.toString());
        result.put("public", publicFile.toString());
        result.set("keys", KeyInfo.toJson(infos, now));
        return result;
    }

    private ObjectNode sharedSecret(Instant now) throws IOException {
        List<String> names = List.of(target.shared.nodes.split(",", -1));
        if (names.size() != 2 || names.get(0).equals(names.get(1))) {
            throw new Main.UsageException("--nodes takes two different node ids, like --nodes front,back");
        }
        NodeId a = nodeId(names.get(0));
        NodeId b = nodeId(names.get(1));
        String kid = target.shared.kid != null ? target.shared.kid : a + "-" + b + "-shared-" + DAY.format(now) + "-" + randomHex();
        Path heldByA = out.resolve(a + "-" + b + ".shared.held-by-" + a + ".jwks");
        Path heldByB = out.resolve(a + "-" + b + ".shared.held-by-" + b + ".jwks");
        refuseExisting(heldByA, heldByB);
        OctetSequenceKey secret = SharedSecret.generate(kid, now);
        // Each copy is a trust-list entry naming the other node.
        KeyFiles.writePrivate(heldByA, PeerKeys.sharedSecret(b, secret).toJwkSet(), false);
        KeyFiles.writePrivate(heldByB, PeerKeys.sharedSecret(a, secret).toJwkSet(), false);
        if (!json) {
            PrintWriter o = spec.commandLine().getOut();
            o.println("wrote " + heldByA + "  for " + a + ": the keys of peer " + b + " (" + a + "'s node.peers[].keys for " + b + ")");
            o.println("wrote " + heldByB + "  for " + b + ": the keys of peer " + a + " (" + b + "'s node.peers[].keys for " + a + ")");
            o.println("shared secret " + kid + " (256 bits): both files are secret (owner-only); copy each to its node"
                    + " over a safe channel and delete it elsewhere");
        }
        ObjectNode result = Json.object();
        result.put("kid", kid);
        ObjectNode files = result.putObject("files");
        files.put(a.value(), heldByA.toString());
        files.put(b.value(), heldByB.toString());
        result.set("keys", KeyInfo.toJson(List.of(KeyInfo.of(secret)), now));
        return result;
    }

    private static NodeId nodeId(String value) {
        if (!NodeId.isValid(value)) {
            throw new Main.UsageException("'" + value + "' is not a node id (1-32 of a-z, 0-9 and inner '-')");
        }
        return NodeId.of(value);
    }

    private static void refuseExisting(Path... files) {
        for (Path file : files) {
            if (Files.exists(file)) {
                throw new Main.UsageException(file + " already exists; not overwriting it (to add keys to a node's set,"
                        + " use hoft keys rotate)");
            }
        }
    }

    private static String randomHex() {
        byte[] random = new byte[3];
        new SecureRandom().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }
}
