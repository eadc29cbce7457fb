package io.hoft.back.share;

import io.hoft.share.SharePath;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The published folders and the one place a share path becomes a local file. A path is
 * checked by {@link SharePath} (no {@code ..}, no absolute path, no backslash, no NUL, ...),
 * resolved segment by segment under its folder, and then its real path (all symlinks
 * followed) must still lie inside the folder's real path: a symlink that leads out of the
 * folder is refused, one that stays inside works. Only regular files are served.
 */
final class PublishedFolders {
    private static final Logger log = LoggerFactory.getLogger(PublishedFolders.class);

    /** A path that names something outside the published folders. */
    static final class RefusedPathException extends IOException {
        RefusedPathException(String message) {
            super(message);
        }
    }

    /** A file as scanned: where it is and what the catalog says of it. */
    record Scanned(Path file, long size, long modifiedMs) {}

    private final Map<String, Path> roots = new LinkedHashMap<>();

    PublishedFolders(Map<String, Path> folders) throws IOException {
        for (Map.Entry<String, Path> folder : folders.entrySet()) {
            Path real;
            try {
                real = folder.getValue().toRealPath();
            } catch (IOException e) {
                throw new IOException("share folder " + folder.getKey() + " (" + folder.getValue() + ") cannot be opened: " + e, e);
            }
            if (!Files.isDirectory(real)) {
                throw new IOException("share folder " + folder.getKey() + " (" + folder.getValue() + ") is not a folder");
            }
            roots.put(folder.getKey(), real);
        }
    }

    Map<String, Path> roots() {
        return roots;
    }

    /**
     * The regular file a share path names, empty if there is none; throws
     * {@link RefusedPathException} for a path that breaks the rules or leaves its folder.
     */
    Optional<Path> resolve(String path) throws RefusedPathException {
        List<String> segments;
        try {
            segments = SharePath.segments(path);
        } catch (SharePath.InvalidPathException e) {
            throw new RefusedPathException(e.getMessage());
        }
        Path root = roots.get(segments.get(0));
        if (root == null) {
            return Optional.empty();
        }
        Path file = root;
        for (String segment : segments.subList(1, segments.size())) {
            if (segment.indexOf(root.getFileSystem().getSeparator().charAt(0)) >= 0) {
                throw new RefusedPathException("separator in a segment");
            }
            file = file.resolve(segment);
        }
        if (!file.normalize().startsWith(root)) {
            throw new RefusedPathException("path leaves its folder");
        }
        Path real;
        try {
            real = file.toRealPath();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
        if (!real.startsWith(root)) {
            throw new RefusedPathException("path leads out of its folder through a symbolic link");
        }
        return Files.isRegularFile(real) ? Optional.of(real) : Optional.empty();
    }

    /**
     * Every regular file of every folder, by share path, sorted. Symbolic links to files inside
     * the folder are listed; links that lead out, links to folders (which could loop) and
     * names a share path cannot carry are left out.
     */
    Map<String, Scanned> scan() {
        Map<String, Scanned> files = new TreeMap<>();
        for (Map.Entry<String, Path> folder : roots.entrySet()) {
            Path root = folder.getValue();
            try {
                Files.walkFileTree(root, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                        add(files, folder.getKey(), root, file, attrs);
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) {
                        log.debug("share: cannot read {}: {}", file, e.toString());
                        return FileVisitResult.CONTINUE;
                    }
                });
            } catch (IOException e) {
                log.warn("share: cannot scan folder {} ({}): {}", folder.getKey(), root, e.toString());
            }
        }
        return files;
    }

    private void add(Map<String, Scanned> files, String name, Path root, Path file, BasicFileAttributes attrs) {
        List<String> parts = new ArrayList<>();
        parts.add(name);
        for (Path part : root.relativize(file)) {
            parts.add(part.toString());
        }
        String path = String.join("/", parts);
        try {
            SharePath.check(path);
        } catch (SharePath.InvalidPathException e) {
            log.debug("share: {} is not published: {}", file, e.getMessage());
            return;
        }
        try {
            BasicFileAttributes real = attrs;
            if (attrs.isSymbolicLink()) {
                Path target = file.toRealPath();
                if (!target.startsWith(root)) {
                    log.debug("share: {} leads out of its folder; not published", file);
                    return;
                }
                real = Files.readAttributes(target, BasicFileAttributes.class);
            } else {
                real = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            }
            if (real.isRegularFile()) {
                files.put(path, new Scanned(file, real.size(), real.lastModifiedTime().toMillis()));
            }
        } catch (IOException e) {
            log.debug("share: {} vanished while scanning: {}", file, e.toString());
        }
    }
}
