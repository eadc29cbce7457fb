package io.hoft.tools.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.hoft.back.BackConfig;
import io.hoft.front.FrontConfig;
import io.hoft.tools.Main;
import io.hoft.transport.config.ConfigException;
import io.hoft.transport.config.ConfigLoader;
import io.hoft.transport.config.NodeConfig;
import io.hoft.transport.keys.NodeId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A node's config file as {@code hoft peer} reads and edits it: as text (so comments stay)
 * and as a YAML tree (to find what is there). A node written by {@code hoft init --role} may
 * have no peer yet, which the config types refuse, so this reads the tree rather than them;
 * an edit is checked by loading the result as the node's config type before it is written.
 */
record NodeFile(Path file, String text, String role, NodeId id, Path keys, List<String> peers) {

    static NodeFile read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new Main.UsageException(file + " does not exist");
        }
        JsonNode tree;
        try {
            tree = new YAMLMapper().readTree(text);
        } catch (IOException e) {
            throw new Main.UsageException(file + " is not valid YAML: " + e.getMessage());
        }
        if (tree == null || !tree.isObject() || !tree.path("node").isObject()) {
            throw new Main.UsageException(file + " has no node: section; is it a front's or a back's config?");
        }
        String role = tree.has("front") ? "front" : tree.has("back") ? "back" : null;
        if (role == null) {
            throw new Main.UsageException(file + " has neither a front: nor a back: section");
        }
        String id = tree.path("node").path("id").asText("");
        if (!NodeId.isValid(id)) {
            throw new Main.UsageException(file + ": node.id '" + id + "' is not a node id");
        }
        String keys = tree.path("node").path("keys").asText("");
        if (keys.isEmpty()) {
            throw new Main.UsageException(file + ": node.keys is missing");
        }
        List<String> peers = new ArrayList<>();
        tree.path("node").path("peers").forEach(peer -> peers.add(peer.path("id").asText()));
        return new NodeFile(file, text, role, NodeId.of(id), dir(file).resolve(keys), peers);
    }

    /** The folder the config's relative paths start from. */
    Path dir() {
        return dir(file);
    }

    private static Path dir(Path file) {
        return file.toAbsolutePath().getParent();
    }

    /** Loads {@code newText} as this node's config (no environment overrides); a usage error says why it cannot work. */
    NodeConfig check(String newText) {
        try {
            Class<?> type = role.equals("front") ? FrontConfig.class : BackConfig.class;
            Object config = ConfigLoader.parse(newText, dir(), file.toString(), type, Map.of());
            return config instanceof FrontConfig ? ((FrontConfig) config).node() : ((BackConfig) config).node();
        } catch (ConfigException e) {
            throw new Main.UsageException("the edited " + file + " would not load, so it was left as it is: " + e.getMessage());
        }
    }

    /** Replaces the file with {@code newText} (temp file and rename, so a crash leaves the old or the new). */
    void replace(String newText) throws IOException {
        replaceFile(file, newText.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code file} anew through a temporary file beside it and a rename. */
    static void replaceFile(Path file, byte[] bytes) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(temp, bytes);
        try {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
