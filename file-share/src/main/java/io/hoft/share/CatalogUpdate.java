package io.hoft.share;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a back tells a front about its published files: a full snapshot ({@code base} absent:
 * every file, replacing what the front knew) or a change ({@code base} is the revision it
 * applies to: files added or changed, paths removed). Revisions grow by one per update; a
 * back that restarts starts again above any revision it sent before (its clock in ms, times 1000).
 *
 * <pre>
 * {"rev": 1733380000000000, "files": [{"path": "docs/a b.pdf", "size": 12, "modified": 1733380000123, "sha256": "..."}]}
 * {"rev": 1733380000000001, "base": 1733380000000000, "files": [...], "removed": ["docs/old.txt"]}
 * </pre>
 */
public record CatalogUpdate(long rev, Long base, List<CatalogEntry> files, List<String> removed) {
    /** The most entries one update may hold. */
    public static final int MAX_FILES = 1_000_000;
    /** The largest encoded update a decoder accepts. */
    public static final int MAX_BYTES = 256 << 20;

    private static final ObjectMapper JSON = new ObjectMapper();

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxStringLength(MAX_BYTES).build());
        JSON.getFactory().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    }

    public CatalogUpdate {
        files = List.copyOf(files);
        removed = List.copyOf(removed);
        if (rev < 0 || (base != null && base >= rev)) {
            throw new IllegalArgumentException("catalog rev must be positive and above its base");
        }
        if (base == null && !removed.isEmpty()) {
            throw new IllegalArgumentException("a full catalog removes nothing");
        }
        Set<String> seen = new HashSet<>();
        for (CatalogEntry entry : files) {
            if (!seen.add(entry.path())) {
                throw new IllegalArgumentException("path " + entry.path() + " twice in one catalog update");
            }
        }
        for (String path : removed) {
            SharePath.check(path);
            if (!seen.add(path)) {
                throw new IllegalArgumentException("path " + path + " both changed and removed");
            }
        }
    }

    public static CatalogUpdate full(long rev, List<CatalogEntry> files) {
        return new CatalogUpdate(rev, null, files, List.of());
    }

    public boolean isFull() {
        return base == null;
    }

    public byte[] encode() {
        ObjectNode root = JSON.createObjectNode();
        root.put("rev", rev);
        if (base != null) {
            root.put("base", base);
        }
        ArrayNode array = root.putArray("files");
        for (CatalogEntry entry : files) {
            ObjectNode file = array.addObject();
            file.put("path", entry.path());
            file.put("size", entry.size());
            file.put("modified", entry.modifiedMs());
            if (entry.sha256() != null) {
                file.put("sha256", entry.sha256());
            }
        }
        if (base != null) {
            ArrayNode gone = root.putArray("removed");
            removed.forEach(gone::add);
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Decodes and checks an update; any rule broken is an {@link IllegalArgumentException}. */
    public static CatalogUpdate decode(byte[] bytes) {
        if (bytes.length > MAX_BYTES) {
            throw new IllegalArgumentException("catalog update of " + bytes.length + " bytes is over " + MAX_BYTES);
        }
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException("catalog update is not JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("catalog update is not a JSON object");
        }
        long rev = integer(root, "rev");
        Long base = root.has("base") ? integer(root, "base") : null;
        JsonNode files = root.path("files");
        if (!files.isArray() || files.size() > MAX_FILES) {
            throw new IllegalArgumentException("catalog 'files' must be an array of at most " + MAX_FILES);
        }
        List<CatalogEntry> entries = new ArrayList<>(files.size());
        for (JsonNode file : files) {
            JsonNode path = file.path("path");
            JsonNode sha = file.path("sha256");
            if (!path.isTextual() || !(sha.isMissingNode() || sha.isTextual())) {
                throw new IllegalArgumentException("catalog entry needs a string path (and sha256 a string)");
            }
            entries.add(new CatalogEntry(path.asText(), integer(file, "size"), integer(file, "modified"),
                    sha.isTextual() ? sha.asText() : null));
        }
        List<String> removed = new ArrayList<>();
        JsonNode gone = root.path("removed");
        if (!gone.isMissingNode()) {
            if (!gone.isArray() || gone.size() > MAX_FILES) {
                throw new IllegalArgumentException("catalog 'removed' must be an array of paths");
            }
            for (JsonNode path : gone) {
                if (!path.isTextual()) {
                    throw new IllegalArgumentException("catalog 'removed' must be an array of paths");
                }
                removed.add(path.asText());
            }
        }
        return new CatalogUpdate(rev, base, entries, removed);
    }

    private static long integer(JsonNode node, String name) {
        JsonNode value = node.path(name);
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 0) {
            throw new IllegalArgumentException("catalog member '" + name + "' must be an integer >= 0");
        }
        return value.asLong();
    }
}
