package io.hoft.back.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The back's own confinement, below whatever the front checked: the last line of defence. */
class PublishedFoldersTest {
    @TempDir
    Path dir;
    Path root;
    PublishedFolders folders;

    @BeforeEach
    void setUp() throws Exception {
        root = Files.createDirectories(dir.resolve("published"));
        Files.writeString(root.resolve("a.txt"), "a");
        Files.createDirectories(root.resolve("sub dir"));
        Files.writeString(root.resolve("sub dir/Ünïcødé name.txt"), "u");
        Files.writeString(dir.resolve("secret.txt"), "secret");
        Files.createDirectories(dir.resolve("published-evil"));
        Files.writeString(dir.resolve("published-evil/x.txt"), "sibling with a common prefix");
        Files.createSymbolicLink(root.resolve("out.txt"), dir.resolve("secret.txt"));
        Files.createSymbolicLink(root.resolve("out-dir"), dir);
        Files.createSymbolicLink(root.resolve("in.txt"), root.resolve("a.txt"));
        folders = new PublishedFolders(Map.of("docs", root));
    }

    @Test
    void filesInsideResolveIncludingNamesWithSpacesAndNonAscii() throws Exception {
        assertEquals(Optional.of(root.toRealPath().resolve("a.txt")), folders.resolve("docs/a.txt"));
        assertTrue(folders.resolve("docs/sub dir/Ünïcødé name.txt").isPresent());
        assertTrue(folders.resolve("docs/in.txt").isPresent());
        assertEquals(Optional.empty(), folders.resolve("docs/missing.txt"));
        assertEquals(Optional.empty(), folders.resolve("other/a.txt"));
        assertEquals(Optional.empty(), folders.resolve("docs/sub dir"), "a folder is not a file");
    }

    @Test
    void everyWayOutIsRefused() {
        for (String path : List.of("docs/../secret.txt", "../secret.txt", "/etc/passwd", "docs//a.txt", "docs/./a.txt",
                "docs/..", "docs\\..\\secret.txt", "docs/a.txt\u0000", "docs/out.txt", "docs/out-dir/secret.txt",
                "docs/../published-evil/x.txt", "C:/x", "docs/sub dir/../../secret.txt", "")) {
            assertThrows(PublishedFolders.RefusedPathException.class, () -> folders.resolve(path), path);
        }
    }

    @Test
    void aScanListsRegularFilesAndLinksThatStayInsideOnly() {
        Map<String, PublishedFolders.Scanned> scanned = folders.scan();
        assertEquals(List.of("docs/a.txt", "docs/in.txt", "docs/sub dir/Ünïcødé name.txt"), List.copyOf(scanned.keySet()));
        assertFalse(scanned.containsKey("docs/out.txt"));
        assertEquals(1, scanned.get("docs/a.txt").size());
    }
}
