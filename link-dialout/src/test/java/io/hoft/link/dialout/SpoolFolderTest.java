package io.hoft.link.dialout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.fs.Disk;
import io.hoft.transport.spool.SpoolFileName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dial-out link's spool folders on real files: stale temporaries go, live ones stay; only regular files are listed. */
class SpoolFolderTest {
    private static final SpoolFileName NAME = SpoolFileName.parse("front_back_0000000000001_000000000001_req.hoft").orElseThrow();
    private static final SpoolFileName OTHER = SpoolFileName.parse("front_back_0000000000001_000000000002_req.hoft").orElseThrow();

    @TempDir
    Path dir;

    @Test
    void temporaryFilesLeftByABrokenTransferAreRemovedButOnesInUseAreKept() throws Exception {
        SpoolFolder held = new SpoolFolder(dir.resolve("held"), dir.resolve("tmp"), Disk.REAL);
        Path live = Files.writeString(held.newTemp(NAME), "being written");
        Path broken = held.newTemp(OTHER);
        held.deleteQuietly(broken); // the transfer gave up ...
        Files.writeString(broken, "late bytes"); // ... and its HTTP client created the file after that
        Path crashed = Files.writeString(dir.resolve("tmp/.held-77-" + NAME + ".tmp"), "from before a crash");
        Path anotherFolders = Files.writeString(dir.resolve("tmp/.in-78-" + NAME + ".tmp"), "not held's");

        assertEquals(2, held.removeStaleTemps());
        assertTrue(Files.exists(live));
        assertFalse(Files.exists(broken));
        assertFalse(Files.exists(crashed));
        assertTrue(Files.exists(anotherFolders));
        held.publish(live, NAME);
        assertEquals(0, held.removeStaleTemps());
    }

    @Test
    void namedPipesFoldersAndLinksUnderSpoolNamesAreNeverListed() throws Exception {
        SpoolFolder in = new SpoolFolder(dir.resolve("in"), dir.resolve("tmp"), Disk.REAL);
        assertEquals(0, new ProcessBuilder("mkfifo", in.path(NAME).toString()).inheritIO().start().waitFor());
        Files.createDirectory(in.path(OTHER));
        Path real = Files.writeString(dir.resolve("real"), "x");
        SpoolFileName third = SpoolFileName.parse("front_back_0000000000001_000000000003_req.hoft").orElseThrow();
        Files.createSymbolicLink(in.path(third), real);
        SpoolFileName fourth = SpoolFileName.parse("front_back_0000000000001_000000000004_req.hoft").orElseThrow();
        Files.writeString(in.path(fourth), "a regular file");

        assertEquals(List.of(fourth), in.list());
    }
}
