package io.hoft.transport.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real pipes ({@code mkfifo}), folders and links: only a regular file is ever opened, and opening never blocks the caller. */
class RegularFileTest {
    @TempDir
    Path dir;

    private Path mkfifo(String name) throws Exception {
        Path fifo = dir.resolve(name);
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        return fifo;
    }

    @Test
    void regularFileOpensAndReads() throws Exception {
        Path file = Files.writeString(dir.resolve("a"), "hello");
        try (FileChannel channel = RegularFile.openForReading(file)) {
            ByteBuffer buffer = ByteBuffer.allocate(16);
            assertEquals(5, channel.read(buffer));
        }
    }

    @Test
    void namedPipeIsRefusedAtOnceByItsType() throws Exception {
        NotRegularFileException e = assertThrows(NotRegularFileException.class, () -> RegularFile.openForReading(mkfifo("p")));
        assertEquals("other", e.kind());
    }

    @Test
    void folderAndSymbolicLinksAreRefused() throws Exception {
        Path target = Files.writeString(dir.resolve("target"), "secret");
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);
        assertEquals("symlink", assertThrows(NotRegularFileException.class, () -> RegularFile.openForReading(link)).kind());
        Path folder = Files.createDirectory(dir.resolve("folder"));
        assertEquals("directory", assertThrows(NotRegularFileException.class, () -> RegularFile.openForReading(folder)).kind());
    }

    @Test
    void pipeSwappedInAfterTheCheckDoesNotBlockTheCaller() throws Exception {
        Path fifo = mkfifo("swapped");
        // The caller returns after the timeout, though nobody ever writes to the pipe.
        CompletableFuture<Throwable> caller = CompletableFuture.supplyAsync(() -> {
            try {
                RegularFile.openChecked(fifo, 200);
                return null;
            } catch (IOException e) {
                return e;
            }
        });
        Throwable failure = caller.get(30, TimeUnit.SECONDS);
        assertEquals(NotRegularFileException.class, failure.getClass());
        // Release the parked opener: a writer lets its open return, and it closes what it got.
        Files.newOutputStream(fifo).close();
    }

    @Test
    void pipeThatOpensBecauseSomeoneWritesIsStillRefused() throws Exception {
        Path fifo = mkfifo("written");
        // The writer only opens and closes: the refused reader may be gone before anything could be written.
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                Files.newOutputStream(fifo).close();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        NotRegularFileException e = assertThrows(NotRegularFileException.class, () -> RegularFile.openChecked(fifo, 20_000));
        assertEquals("other", e.kind());
        writer.get(30, TimeUnit.SECONDS);
    }
}
