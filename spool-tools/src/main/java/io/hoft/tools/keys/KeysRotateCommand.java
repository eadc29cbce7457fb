package io.hoft.tools.keys;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.ECKey;
import io.hoft.tools.DurationConverter;
import io.hoft.tools.Human;
import io.hoft.tools.Json;
import io.hoft.tools.Main;
import io.hoft.transport.config.Durations;
import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.keys.NodeKeys;
import io.hoft.transport.keys.PeerKeys;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code hoft keys rotate}: new keys beside the old, which expire after an overlap. */
@Command(name = "rotate",
        mixinStandardHelpOptions = true,
        description = {
            "Rotate a node's keys: add a new signing key and a new agreement key to its private set, and make the"
                + " current ones expire after the overlap. Rewrites the private file atomically (owner-only) and the"
                + " public file beside it, which then holds old and new public keys.",
            "Then hand the public file to every peer of the node and restart them, and restart the node. During the"
                + " overlap files signed or encrypted with either key are accepted; a file sent while only one side has"
                + " the new keys is refused and sent again later, so nothing is lost."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:keys rotated", "2:usage error, or the key file is missing or not a private key set"},
        footer = {"", "Example: hoft keys rotate --keys keys/front.jwks --overlap 7d"})
final class KeysRotateCommand implements Callable<Integer> {
    @Option(names = "--keys", required = true, paramLabel = "FILE", description = "the node's private key set (ID.jwks)")
    Path keys;

    @Option(names = "--public", paramLabel = "FILE",
            description = "where to write the public set (default: beside --keys, ID.public.jwks)")
    Path publicFile;

    @Option(names = "--overlap", paramLabel = "DURATION", defaultValue = "7d", converter = DurationConverter.class,
            description = "how long the current keys stay valid beside the new ones (default: ${DEFAULT-VALUE})")
    Duration overlap;

    @Option(names = "--json", description = "print what was done as JSON")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (overlap.isZero() || overlap.isNegative()) {
            throw new Main.UsageException("--overlap must be longer than zero: peers need time to pick up the new keys");
        }
        NodeKeys current;
        try {
            current = KeyFiles.readNodeKeys(keys);
        } catch (NoSuchFileException e) {
            throw new Main.UsageException(keys + " does not exist");
        }
        Path publicPath = publicFile != null ? publicFile : defaultPublic(keys);
        if (Files.exists(publicPath)) {
            PeerKeys existing = KeyFiles.readPeerKeys(publicPath);
            if (!existing.node().equals(current.node())) {
                throw new Main.UsageException(publicPath + " holds the keys of " + existing.node() + ", not " + current.node()
                        + "; name the public file with --public");
            }
        }
        Instant now = Instant.now();
        Set<String> before = current.toJwkSet().getKeys().stream().map(k -> k.getKeyID()).collect(Collectors.toSet());
        NodeKeys rotated = current.rotate(now, overlap);
        // Private first: a crash in between leaves peers with the old public set, which still works.
        KeyFiles.writePrivate(keys, rotated.toJwkSet(), true);
        KeyFiles.writePublic(publicPath, rotated.publicKeys().toJwkSet(), true);

        List<ECKey> all = new ArrayList<>(rotated.signingKeys());
        all.addAll(rotated.agreementKeys());
        List<KeyInfo> added = all.stream().filter(k -> !before.contains(k.getKeyID())).map(KeyInfo::of).toList();
        List<KeyInfo> retiring = all.stream().filter(k -> before.contains(k.getKeyID())).map(KeyInfo::of).toList();
        Instant retireAt = now.plus(overlap);
        String node = current.node().value();
        if (json) {
            ObjectNode result = Json.object();
            result.put("node", node);
            result.put("private", keys.toString());
            result.put("public", publicPath.toString());
            result.put("overlapMs", overlap.toMillis());
            Json.putMs(result, "oldKeysExpireMs", retireAt);
            result.set("newKeys", KeyInfo.toJson(added, now));
            ArrayNode old = KeyInfo.toJson(retiring, now);
            result.set("retiringKeys", old);
            result.put("handToPeers", publicPath.toString());
            Json.print(spec.commandLine().getOut(), result);
            return Main.OK;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("rotated " + keys + ": new keys " + kids(added) + "; the old keys expire at " + Human.instant(retireAt)
                + " (overlap " + Durations.format(overlap) + ")");
        out.println("wrote " + publicPath + " with the old and the new public keys");
        KeyInfo.print(out, rotated.toJwkSet().getKeys().stream().map(KeyInfo::of).toList(), now);
        out.println("next:");
        out.println("  1. give " + publicPath + " to every peer of " + node + ", in place of the copy their config names"
                + " (node.peers[].keys), and restart them: they trust both keys and encrypt to the new one");
        out.println("  2. restart " + node + ": it signs with the new key from then on");
        out.println("  do both before " + Human.instant(retireAt) + "; a file sent in between is refused and sent again later");
        out.println("  (a node set up with hoft init --role: hoft peer card --config CONFIG writes its card anew, and the"
                + " other site's hoft peer add --config CONFIG " + node + ".card.json takes it in step 1)");
        return Main.OK;
    }

    private static String kids(List<KeyInfo> keys) {
        return keys.stream().map(KeyInfo::kid).collect(Collectors.joining(" and "));
    }

    static Path defaultPublic(Path privateFile) {
        String name = privateFile.getFileName().toString();
        String publicName = name.endsWith(".jwks") ? name.substring(0, name.length() - ".jwks".length()) + ".public.jwks"
                : name + ".public";
        return privateFile.resolveSibling(publicName);
    }
}
