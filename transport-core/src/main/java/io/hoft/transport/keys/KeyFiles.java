package io.hoft.transport.keys;

import com.nimbusds.jose.jwk.JWKSet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and writes JWK set files. Files holding private keys or shared secrets are created
 * owner-only ({@code rw-------}) before any secret byte is written, and replaced atomically;
 * loading such a file that others can read logs a warning naming the file, never its contents.
 */
public final class KeyFiles {
    private static final Logger log = LoggerFactory.getLogger(KeyFiles.class);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private KeyFiles() {}

    /** Writes a set holding secrets, owner-only. Refuses to overwrite unless {@code replace}. */
    public static void writePrivate(Path file, JWKSet set, boolean replace) throws IOException {
        write(file, set.toString(false), true, replace);
    }

    /** Writes a set of public keys (readable by others). */
    public static void writePublic(Path file, JWKSet set, boolean replace) throws IOException {
        write(file, set.toString(true), false, replace);
    }

    public static NodeKeys readNodeKeys(Path file) throws IOException {
        JWKSet set = read(file);
        warnIfReadableByOthers(file);
        return NodeKeys.fromJwkSet(set);
    }

    public static PeerKeys readPeerKeys(Path file) throws IOException {
        JWKSet set = read(file);
        PeerKeys peer = PeerKeys.fromJwkSet(set);
        if (!peer.sharedSecrets().isEmpty()) {
            warnIfReadableByOthers(file);
        }
        return peer;
    }

    public static JWKSet read(Path file) throws IOException {
        String json = Files.readString(file, StandardCharsets.UTF_8);
        try {
            return JWKSet.parse(json);
        } catch (ParseException e) {
            throw new KeyException("key file " + file + " is not a valid JWK set: " + e.getMessage(), e);
        }
    }

    /** True if the file's permissions let group or others read it (false where POSIX is unknown). */
    public static boolean readableByOthers(Path file) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (view == null) {
            return false;
        }
        Set<PosixFilePermission> perms = view.readAttributes().permissions();
        return perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ);
    }

    private static void warnIfReadableByOthers(Path file) throws IOException {
        if (readableByOthers(file)) {
            log.warn("Key file {} holds private keys but others can read it; run: chmod 600 {}", file, file);
        }
    }

    private static void write(Path file, String json, boolean secret, boolean replace) throws IOException {
        if (!replace && Files.exists(file)) {
            throw new FileAlreadyExistsException(file.toString());
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = dir.resolve("." + file.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        boolean posix = Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null;
        if (secret && posix) {
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } else {
            Files.createFile(temp);
        }
        Files.writeString(temp, json + "\n", StandardCharsets.UTF_8);
        try (var channel = java.nio.channels.FileChannel.open(temp, java.nio.file.StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
