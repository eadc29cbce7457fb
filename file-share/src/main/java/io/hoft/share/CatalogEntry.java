package io.hoft.share;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One published file: its {@link SharePath}, size in bytes, modification time in whole
 * milliseconds, and its SHA-256 (lower-case hex) when the back computed it, else null.
 */
public record CatalogEntry(String path, long size, long modifiedMs, String sha256) {

    public CatalogEntry {
        SharePath.check(path);
        if (size < 0) {
            throw new IllegalArgumentException("negative size of " + path);
        }
        if (sha256 != null && !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("sha256 of " + path + " is not 64 lower-case hex digits");
        }
    }

    /** The strong validator the front sends as {@code ETag}. */
    public String etag() {
        return sha256 != null ? "\"" + sha256 + "\"" : "\"" + Long.toHexString(size) + "-" + Long.toHexString(modifiedMs) + "\"";
    }

    /** The SHA-256 of a file's bytes as the catalog carries it (lower-case hex), read in 256 KiB steps. */
    public static String sha256Of(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        byte[] buffer = new byte[256 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
