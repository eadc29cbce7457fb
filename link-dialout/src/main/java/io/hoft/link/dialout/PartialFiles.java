package io.hoft.link.dialout;

import io.hoft.transport.fs.OwnerOnly;
import io.hoft.transport.spool.SpoolFileName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The partly transferred files of one end of the dial-out link, kept between attempts and
 * across a restart so that an interrupted transfer continues from the bytes that arrived
 * (SPEC.md section 19.5). Each is named {@code {spool name}.{length}.{tag}.part}: the file it
 * becomes, that file's whole length and the validator of the bytes it holds, so no second file
 * says what the first one is. A partial file never matches the spool file pattern and lives in
 * a folder of its own; it becomes a spool file only by one atomic rename once it holds exactly
 * {@code length} bytes, and the spool file's own signature and digests still decide whether it
 * is good.
 *
 * <p>At most one partial file exists per spool name, and at most one transfer writes it
 * ({@link #claim}). Partial files untouched for {@link #MAX_AGE} are removed by {@link #removeStale}.
 */
final class PartialFiles {
    /** A partial file nobody continued for this long is removed. */
    static final Duration MAX_AGE = Duration.ofHours(1);
    /** A validator: lowercase hex, as {@link #tagOf} makes them. */
    static final Pattern TAG = Pattern.compile("[0-9a-f]{16,64}");
    private static final Pattern PART = Pattern.compile("(.+)\\.([0-9]{1,19})\\.([0-9a-f]{16,64})\\.part");

    /** One partial file: what it becomes, that file's whole length, its validator, the bytes held. */
    record Partial(Path path, SpoolFileName name, long length, String tag, long held, Instant modified) {}

    private final Path dir;
    private final Set<String> busy = ConcurrentHashMap.newKeySet();

    PartialFiles(Path dir) throws IOException {
        this.dir = OwnerOnly.createDirectories(dir);
    }

    /**
     * A strong validator of a file's identity, not of its content: the same file (hard links
     * included) keeps it, and a file written anew under the same name (a spool file rebuilt
     * after a reboot) gets another, so bytes of two different files are never joined. Hashing
     * the content instead would cost a read of the whole file per request.
     */
    static String tagOf(Path file) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String identity = attributes.fileKey() + "|" + attributes.size() + "|" + attributes.lastModifiedTime().toInstant()
                + "|" + attributes.creationTime().toInstant() + "|" + file.getFileName();
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Takes {@code name} for one transfer; false if another transfer of it is running now. */
    boolean claim(SpoolFileName name) {
        return busy.add(name.toString());
    }

    void release(SpoolFileName name) {
        busy.remove(name.toString());
    }

    /** True while a transfer of {@code name} holds it. */
    boolean claimed(SpoolFileName name) {
        return busy.contains(name.toString());
    }

    /** Where the partial file of {@code name} with this length and validator lives. */
    Path path(SpoolFileName name, long length, String tag) {
        if (!TAG.matcher(tag).matches() || length < 0) {
            throw new IllegalArgumentException("not a validator: " + tag);
        }
        return dir.resolve(name + "." + length + "." + tag + ".part");
    }

    /** The partial file of {@code name}, if there is one. */
    Optional<Partial> find(SpoolFileName name) {
        return list().stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** Creates an empty partial file of {@code name}, replacing any other of that name. */
    Path create(SpoolFileName name, long length, String tag) throws IOException {
        discard(name);
        Path path = path(name, length, tag);
        OwnerOnly.createFileIfMissing(path);
        return path;
    }

    /** Deletes every partial file of {@code name}. */
    void discard(SpoolFileName name) {
        for (Partial partial : list()) {
            if (partial.name().equals(name)) {
                deleteQuietly(partial.path());
            }
        }
    }

    /** Deletes the oldest partial files {@code whose} names match, until {@code keep} of them are left; busy ones stay. */
    void evictOldest(Predicate<SpoolFileName> whose, int keep) {
        List<Partial> matching = list().stream().filter(p -> whose.test(p.name()) && !busy.contains(p.name().toString())).toList();
        for (int i = 0; i < matching.size() - keep; i++) {
            deleteQuietly(matching.get(i).path());
        }
    }

    /** Every partial file, oldest first. */
    List<Partial> list() {
        List<Partial> partials = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                parse(entry).ifPresent(partials::add);
            }
        } catch (IOException e) {
            return List.of();
        }
        partials.sort(Comparator.comparing(Partial::modified));
        return partials;
    }

    private static Optional<Partial> parse(Path entry) {
        Matcher m = PART.matcher(entry.getFileName().toString());
        if (!m.matches()) {
            return Optional.empty();
        }
        Optional<SpoolFileName> name = SpoolFileName.parse(m.group(1));
        try {
            BasicFileAttributes attributes = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (name.isEmpty() || !attributes.isRegularFile()) {
                return Optional.empty();
            }
            return Optional.of(new Partial(entry, name.get(), Long.parseLong(m.group(2)), m.group(3), attributes.size(),
                    attributes.lastModifiedTime().toInstant()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Removes the partial files no transfer is writing that were untouched for {@link #MAX_AGE}
     * before {@code now}, and anything else in the folder that is not a partial file; returns how many.
     */
    int removeStale(Instant now) {
        int removed = 0;
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                Optional<Partial> partial = parse(entry);
                boolean stale = partial.isEmpty()
                        ? Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)
                        : !busy.contains(partial.get().name().toString()) && partial.get().modified().plus(MAX_AGE).isBefore(now);
                if (stale) {
                    deleteQuietly(entry);
                    removed++;
                }
            }
        } catch (IOException e) {
            // the next sweep tries again
        }
        return removed;
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // a leftover the next sweep removes
        }
    }
}
