package io.hoft.transport.fs;

import java.nio.file.FileSystemException;

/** An entry that is not a regular file (a folder, a link, a named pipe, ...) where only a regular file may be read. */
public final class NotRegularFileException extends FileSystemException {
    private static final long serialVersionUID = 1L;

    private final String kind;

    NotRegularFileException(String file, String kind, String reason) {
        super(file, null, reason);
        this.kind = kind;
    }

    /** What the entry is instead: {@code directory}, {@code symlink}, {@code other} (a named pipe, socket or device). */
    public String kind() {
        return kind;
    }
}
