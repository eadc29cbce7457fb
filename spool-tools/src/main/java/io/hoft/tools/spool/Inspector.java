package io.hoft.tools.spool;

import io.hoft.tools.spool.Inspection.Check;
import io.hoft.tools.spool.SpoolContext.Perspective;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.spool.CorruptFileException;
import io.hoft.transport.spool.SpoolFile;
import io.hoft.transport.spool.SpoolFileException;
import io.hoft.transport.spool.SpoolFileHeader;
import io.hoft.transport.spool.SpoolFileReader;
import io.hoft.transport.spool.TruncatedFileException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;

/**
 * Checks spool files as far as the keys at hand allow, never changing them. {@link #header}
 * reads headers only (for {@code ls} and {@code gc}); {@link #full} reads the whole file (for
 * {@code verify} and {@code show}), decoding every frame when the keys open the content and
 * checking the payload digest when they do not.
 */
final class Inspector {
    private final SpoolContext context;

    Inspector(SpoolContext context) {
        this.context = context;
    }

    /** The header and the file's length against it. */
    Inspection header(SpoolEntry entry) {
        return inspect(entry, false, null);
    }

    /** Everything the keys allow; {@code frames}, if not null, sees each frame when the content is decoded. */
    Inspection full(SpoolEntry entry, SpoolFile.FrameHandler frames) {
        return inspect(entry, true, frames);
    }

    private Inspection inspect(SpoolEntry entry, boolean whole, SpoolFile.FrameHandler frames) {
        Path path = entry.path();
        long size;
        Instant modified;
        try {
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            size = attributes.size();
            modified = attributes.lastModifiedTime().toInstant();
        } catch (NoSuchFileException e) {
            return new Inspection(entry, Perspective.NONE, null, false, Check.NONE, "gone", "the file disappeared", 0, null);
        } catch (IOException e) {
            return new Inspection(entry, Perspective.NONE, null, false, Check.NONE, "unreadable", e.toString(), 0, null);
        }
        Result result = new Result(entry, size, modified);
        try {
            NodeId sender;
            NodeId recipient;
            if (entry.name() != null) {
                sender = entry.name().sender();
                recipient = entry.name().recipient();
            } else {
                SpoolFileReader.UnverifiedHeader claims = context.plainReader().readUnverifiedHeader(path);
                sender = claims.claims().sender();
                recipient = claims.claims().recipient();
            }
            SpoolContext.View view = context.viewFor(sender, recipient);
            result.perspective = view.perspective();
            switch (view.perspective()) {
                case FOREIGN:
                    result.check = Check.NONE;
                    result.header = unverifiedOrNull(path);
                    return result.fail("foreign", "from " + sender + " to " + recipient + ": not to or from "
                            + context.self().orElseThrow() + ", so not this node's to check");
                case NONE:
                    return unverified(result, view.reader(), whole);
                case RECIPIENT:
                    return whole ? content(result, view.reader(), frames) : header(result, view.reader());
                default:
                    Inspection header = senderHeader(result, view.reader());
                    if (!whole || !header.passed()) {
                        return header;
                    }
                    if (contentReadable(header.header())) {
                        return content(new Result(entry, size, modified).from(result), view.reader(), frames);
                    }
                    return payloadDigest(result, header.header(),
                            isSession(header.header()) ? Check.SESSION_AND_DIGEST : Check.HEADER_AND_DIGEST);
            }
        } catch (SpoolFileException e) {
            return result.fail(e);
        } catch (NoSuchFileException e) {
            return result.fail("gone", "the file disappeared while it was read");
        } catch (IOException e) {
            return result.fail("unreadable", e.toString());
        }
    }

    /** What a file claims, for showing a file this node cannot check; null if even that cannot be read. */
    private SpoolFileHeader unverifiedOrNull(Path path) {
        try {
            return context.plainReader().readUnverifiedHeader(path).claims();
        } catch (IOException e) {
            return null;
        }
    }

    /** In the sender's or a trust list's view, content opens only if it is not encrypted or wrapped with a shared secret. */
    static boolean contentReadable(SpoolFileHeader header) {
        return !header.mode().isEncrypted() || (!isSession(header) && "HS256".equals(header.signingAlgorithm()));
    }

    /** A version 2 or 4 file: keyed by a session, whose secret only the recipient can unwrap. */
    static boolean isSession(SpoolFileHeader header) {
        return header.isSessionKeyed();
    }

    private Inspection header(Result result, SpoolFileReader reader) throws IOException {
        result.check = Check.HEADER;
        SpoolFileHeader header = reader.verifyHeader(result.entry.path(), context.settle());
        result.verified(header);
        return result.nameMatches();
    }

    /** The header as the sender's public keys (or a trust list) can check it: a session file's ticket only. */
    private Inspection senderHeader(Result result, SpoolFileReader reader) throws IOException {
        result.check = Check.HEADER;
        SpoolFileHeader header = reader.verifyHeaderAsSender(result.entry.path(), context.settle());
        if (isSession(header)) {
            result.check = Check.SESSION;
        }
        result.verified(header);
        return result.nameMatches();
    }

    private Inspection content(Result result, SpoolFileReader reader, SpoolFile.FrameHandler frames) throws IOException {
        result.check = Check.CONTENT;
        try (SpoolFile file = reader.open(result.entry.path(), context.settle())) {
            result.verified(file.header());
            Inspection named = result.nameMatches();
            if (!named.passed()) {
                return named;
            }
            file.readFrames(frame -> {
                if (frames != null) {
                    frames.onFrame(frame);
                }
            });
        }
        return result.ok(null);
    }

    /** Without keys: what the header claims, its length, and (for a whole check) the payload digest. */
    private Inspection unverified(Result result, SpoolFileReader reader, boolean whole) throws IOException {
        result.check = whole ? Check.STRUCTURE_AND_DIGEST : Check.STRUCTURE;
        SpoolFileReader.UnverifiedHeader claims;
        try {
            claims = reader.readUnverifiedHeader(result.entry.path());
        } catch (TruncatedFileException e) {
            return result.shortOf(e.getMessage());
        }
        result.header = claims.claims();
        long declared = claims.declaredSize();
        if (result.size < declared) {
            return result.shortOf("file has " + result.size + " of its " + declared + " bytes");
        }
        if (result.size > declared) {
            return result.fail("malformed", (result.size - declared) + " bytes follow the declared end of the file");
        }
        if (context.now().isAfter(claims.claims().expires())) {
            return result.fail("expired", "expired at " + claims.claims().expires());
        }
        Inspection named = result.nameMatches();
        if (!named.passed() || !whole) {
            return named;
        }
        return payloadDigest(result, claims.claims(), Check.STRUCTURE_AND_DIGEST);
    }

    /** SHA-256 of the stored payload (the last {@code payloadLength} bytes of a file of the declared size). */
    private Inspection payloadDigest(Result result, SpoolFileHeader header, Check check) throws IOException {
        result.check = check;
        long length = header.payloadLength();
        MessageDigest digest = sha256();
        ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);
        try (FileChannel channel = FileChannel.open(result.entry.path(), StandardOpenOption.READ)) {
            long position = channel.size() - length;
            long remaining = length;
            if (position < 0) {
                throw new TruncatedFileException("the file shrank while it was read", header);
            }
            while (remaining > 0) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), remaining));
                int n = channel.read(buffer, position);
                if (n < 0) {
                    throw new TruncatedFileException("file ends inside the payload", header);
                }
                buffer.flip();
                digest.update(buffer);
                position += n;
                remaining -= n;
            }
        }
        if (!HexFormat.of().formatHex(digest.digest()).equals(header.payloadSha256())) {
            throw new CorruptFileException("payload does not match its sha256", header);
        }
        return result.ok(check == Check.HEADER_AND_DIGEST ? "content encrypted for " + header.recipient()
                + "; these keys cannot decrypt it"
                : check == Check.SESSION_AND_DIGEST ? "a session file: its own signature and content need "
                + header.recipient() + "'s keys" : null);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The inspection being built. */
    private final class Result {
        final SpoolEntry entry;
        final long size;
        final Instant modified;
        Perspective perspective = Perspective.NONE;
        SpoolFileHeader header;
        boolean verified;
        Check check = Check.NONE;

        Result(SpoolEntry entry, long size, Instant modified) {
            this.entry = entry;
            this.size = size;
            this.modified = modified;
        }

        Result from(Result other) {
            perspective = other.perspective;
            return this;
        }

        void verified(SpoolFileHeader verifiedHeader) {
            header = verifiedHeader;
            verified = perspective != Perspective.NONE;
        }

        Inspection nameMatches() {
            if (entry.name() != null && header != null && !entry.name().matches(header)) {
                return fail("misnamed", "the name does not match the " + (verified ? "signed" : "claimed")
                        + " header, which makes it " + header.fileName());
            }
            return ok(null);
        }

        Inspection ok(String note) {
            return new Inspection(entry, perspective, header, verified, check, null, note, size, modified);
        }

        Inspection fail(String problem, String detail) {
            return new Inspection(entry, perspective, header, verified, check, problem, detail, size, modified);
        }

        /** A file shorter than it declares: still arriving if it changed within the settle time, else truncated. */
        Inspection shortOf(String what) {
            boolean young = Duration.between(modified, context.now()).compareTo(context.settle()) < 0;
            return young ? fail("incomplete", what + " (the file may still be arriving)") : fail("truncated", what);
        }

        Inspection fail(SpoolFileException e) {
            if (e.verifiedHeader().isPresent()) {
                header = e.verifiedHeader().get();
                verified = perspective != Perspective.NONE;
            } else if (header == null) {
                header = unverifiedOrNull(entry.path()); // what it claims, for people to see who it pretends to be
                verified = false;
            }
            return fail(e.reason(), e.getMessage());
        }
    }
}
