package io.hoft.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SharePathTest {

    @Test
    void encodingRoundTripsNamesWithSpacesAndNonAscii() {
        for (String path : List.of("docs/a.txt", "docs/sub dir/größe 1 €.txt", "d/日本語/ファイル.pdf", "d/a+b&c=d?e#f%g", "d/😀.png")) {
            assertEquals(path, SharePath.decode(SharePath.encode(path)));
        }
        assertEquals("docs/sub%20dir/gr%C3%B6%C3%9Fe.txt", SharePath.encode("docs/sub dir/größe.txt"));
    }

    @Test
    void decodingRefusesEveryTraversalSpelling() {
        for (String raw : List.of("", "docs", "../x", "docs/../x", "docs/..", "docs/./x", "./docs/x", "/docs/x", "docs//x",
                "docs/x/", "%2e%2e/x", "docs/%2e%2e/x", "docs/%2E%2E", "docs%2fx", "docs%2Fx", "docs/..%2fx", "docs/..%5cx",
                "docs\\x", "docs/%00", "docs/x%00.txt", "docs/%0a", "docs/%7f", "docs/%c0%ae%c0%ae/x", "docs/%ff",
                "docs/%e2%82", "docs/%zz", "docs/%2", "C:/x", "docs/C:", "c:x/y", "docs/a b")) {
            assertThrows(SharePath.InvalidPathException.class, () -> SharePath.decode(raw), raw);
        }
    }

    @Test
    void aDoubleEncodedTraversalStaysALiteralName() {
        assertEquals("docs/%2e%2e/x", SharePath.decode("docs/%252e%252e/x"));
    }

    @Test
    void catalogUpdatesRoundTripAndAreCheckedOnDecoding() {
        CatalogUpdate full = CatalogUpdate.full(5, List.of(new CatalogEntry("docs/a b.txt", 3, 1000, null),
                new CatalogEntry("docs/ü.txt", 0, 2000, "0".repeat(64))));
        assertEquals(full, CatalogUpdate.decode(full.encode()));
        CatalogUpdate change = new CatalogUpdate(6, 5L, List.of(new CatalogEntry("docs/n.txt", 1, 3, null)), List.of("docs/a b.txt"));
        assertEquals(change, CatalogUpdate.decode(change.encode()));
        for (String bad : List.of("[]", "{}", "{\"rev\": 1}", "{\"rev\": -1, \"files\": []}",
                "{\"rev\": 1, \"files\": [{\"path\": \"../x\", \"size\": 1, \"modified\": 1}]}",
                "{\"rev\": 1, \"files\": [{\"path\": \"d/x\", \"size\": -1, \"modified\": 1}]}",
                "{\"rev\": 1, \"files\": [{\"path\": \"d/x\", \"size\": 1, \"modified\": 1, \"sha256\": \"zz\"}]}",
                "{\"rev\": 1, \"files\": [], \"removed\": [\"d/x\"]}",
                "{\"rev\": 2, \"base\": 2, \"files\": []}",
                "{\"rev\": 1, \"rev\": 2, \"files\": []}")) {
            assertThrows(IllegalArgumentException.class, () -> CatalogUpdate.decode(bad.getBytes()), bad);
        }
    }
}
