package io.hoft.tools.keys;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import io.hoft.tools.Json;
import io.hoft.tools.Main;
import io.hoft.transport.keys.KeyException;
import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.keys.NodeKeys;
import io.hoft.transport.keys.PeerKeys;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code hoft keys show}: what a key file holds, without its secrets. */
@Command(name = "show",
        mixinStandardHelpOptions = true,
        description = {
            "Show what a key file holds: whose keys they are, what kind of file it is (a node's private set, a"
                + " public set for peers, or a shared secret), and every key's id, use, algorithm, creation and expiry.",
            "Never prints key material. Warns when a file holding private keys or a secret can be read by group or"
                + " others."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:fine", "1:the file is not a valid key file, or a secret in it is readable by others",
            "2:usage error or unreadable file"},
        footer = {"", "Example: hoft keys show keys/front.jwks"})
final class KeysShowCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "a .jwks key file")
    Path file;

    @Option(names = "--json", description = "print the description as JSON")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new Main.UsageException(file + " is not a file");
        }
        Instant now = Instant.now();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<String> problems = new ArrayList<>();
        JWKSet set;
        try {
            set = KeyFiles.read(file);
        } catch (KeyException e) {
            err.println("hoft: " + e.getMessage());
            return Main.FOUND_WRONG;
        }
        Object nodeMember = set.getAdditionalMembers().get(NodeKeys.NODE_MEMBER);
        String node = nodeMember instanceof String ? (String) nodeMember : null;
        boolean secret = set.getKeys().stream().anyMatch(JWK::isPrivate);
        boolean allPrivateEc = !set.getKeys().isEmpty()
                && set.getKeys().stream().allMatch(k -> k.isPrivate() && !(k instanceof OctetSequenceKey));
        boolean onlyShared = !set.getKeys().isEmpty() && set.getKeys().stream().allMatch(k -> k instanceof OctetSequenceKey);
        String kind;
        String meaning;
        try {
            if (allPrivateEc) {
                NodeKeys.fromJwkSet(set);
                kind = "private";
                meaning = "private key set of node " + node + ": stays on " + node;
            } else {
                PeerKeys.fromJwkSet(set);
                kind = onlyShared ? "shared-secret" : "public";
                meaning = onlyShared
                        ? "a secret shared with node " + node + ": its holder's trust-list entry for peer " + node
                        : "public key set of node " + node + ": for the trust lists of " + node + "'s peers";
            }
        } catch (KeyException e) {
            kind = "invalid";
            meaning = "not a usable hoft key file";
            problems.add(e.getMessage());
        }
        boolean exposed = secret && KeyFiles.readableByOthers(file);
        if (exposed) {
            problems.add(file + " holds " + (onlyShared ? "a shared secret" : "private keys")
                    + " but group or others can read it; run: chmod 600 " + file);
        }
        List<KeyInfo> keys = set.getKeys().stream().map(KeyInfo::of).toList();
        if (json) {
            ObjectNode result = Json.object();
            result.put("file", file.toString());
            result.put("node", node);
            result.put("kind", kind);
            result.put("secret", secret);
            result.put("readableByOthers", KeyFiles.readableByOthers(file));
            result.set("keys", KeyInfo.toJson(keys, now));
            ArrayNode list = result.putArray("problems");
            problems.forEach(list::add);
            Json.print(out, result);
        } else {
            out.println(file + ": " + meaning);
            KeyInfo.print(out, keys, now);
        }
        for (String problem : problems) {
            err.println((exposed && problem.contains("chmod") ? "warning: " : "hoft: ") + problem);
        }
        return problems.isEmpty() ? Main.OK : Main.FOUND_WRONG;
    }
}
