package io.hoft.transport.message;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A message body of known length that can be read more than once (a resend reads it again).
 *
 * <p>Bodies of any size live in files; {@link #ofBytes} is for small bodies built in memory.
 * A body is never base64-encoded on the wire: its bytes travel as they are.
 */
public interface Body {

    /** The exact number of bytes {@link #open()} yields. */
    long length();

    /** A fresh stream over the whole body. The caller closes it. */
    InputStream open() throws IOException;

    /** The file holding the body, for bodies that live in one. */
    default Optional<Path> file() {
        return Optional.empty();
    }

    Body EMPTY = ofBytes(new byte[0]);

    static Body ofBytes(byte[] bytes) {
        byte[] copy = bytes.clone();
        return new Body() {
            @Override
            public long length() {
                return copy.length;
            }

            @Override
            public InputStream open() {
                return new ByteArrayInputStream(copy);
            }

            @Override
            public String toString() {
                return "Body[" + copy.length + " bytes in memory]";
            }
        };
    }

    /** A body backed by a file whose length is read now; the file must not change afterwards. */
    static Body ofFile(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        return ofFile(file, Files.size(file));
    }

    /**
     * A body of {@code length} bytes backed by a file that may still be growing towards that
     * length (a body sent while it arrives); a reader must read only what the writer has made
     * durable so far.
     */
    static Body ofFile(Path file, long length) {
        Objects.requireNonNull(file, "file");
        if (length < 0) {
            throw new IllegalArgumentException("negative body length");
        }
        return new Body() {
            @Override
            public long length() {
                return length;
            }

            @Override
            public InputStream open() throws IOException {
                return Files.newInputStream(file);
            }

            @Override
            public Optional<Path> file() {
                return Optional.of(file);
            }

            @Override
            public String toString() {
                return "Body[" + length + " bytes in " + file.getFileName() + "]";
            }
        };
    }
}
