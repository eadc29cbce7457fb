package io.hoft.transport.spool;

import com.github.luben.zstd.RecyclingBufferPool;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.spool.internal.DigestingChannelOutputStream;
import io.hoft.transport.spool.internal.HeaderClaimsCodec;
import io.hoft.transport.spool.internal.JoseHeader;
import io.hoft.transport.spool.internal.PayloadStage;
import io.hoft.transport.spool.internal.Preamble;
import io.hoft.transport.spool.internal.SegmentCipher;
import io.hoft.transport.spool.internal.SegmentEncryptingOutputStream;
import io.hoft.transport.spool.internal.SessionTicket;
import io.hoft.transport.spool.internal.WriteBehindOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Writes spool files from this node to one peer, in one {@link FileMode}.
 *
 * <p>A file is written in one pass over each body, in bounded memory: room for the header is
 * reserved, the payload is streamed (meta and body of each frame, zstd-compressed with its
 * content checksum, sealed in AES-GCM segments when encrypted) while its length and digest are
 * computed, then the signed header goes into the reserved room and the file is forced to disk
 * (unless the caller can rebuild it, see {@link #write(Address, List, Path, boolean)}). A large
 * payload is hashed and written on a second thread ({@code PayloadStage}) while the caller's
 * thread compresses (with two zstd worker threads) and seals, with a bounded hand-off between
 * them; {@code write} returns only once that thread is done with the file. The file is written
 * under a temporary name ({@code .NAME.tmp}) and becomes visible only through {@link #publish},
 * one atomic rename; a crash before that leaves only a temporary file, which recovery deletes.
 *
 * <p>A signed file is keyed by a session ({@link SendingSessions}, format version 4: HS256 and
 * A256KW under the session's keys, the ticket in the header) where the writer has sessions and
 * their policy applies to the recipient, and otherwise signed on its own (version 3: ES256 and
 * ECDH-ES+A256KW, or HS256 and A256KW with a shared secret, or unsigned). Versions 3 and 4 are
 * versions 1 and 2 without frame digests (SPEC.md section 7.4); older versions are read, not
 * written.
 *
 * <p>Not thread-safe: use one writer per thread.
 */
public final class SpoolFileWriter {
    private static final int COPY_BUFFER = 128 * 1024;

    /**
     * @param compressionLevel zstd level, 1 (fastest) to 19
     * @param segmentSize plaintext bytes per AES-GCM segment, a power of two from 4 KiB to 1 MiB
     */
    public record Options(int compressionLevel, int segmentSize) {
        public static final Options DEFAULT = new Options(3, SegmentCipher.DEFAULT_SEGMENT_SIZE);

        public Options {
            if (compressionLevel < 1 || compressionLevel > 19) {
                throw new IllegalArgumentException("zstd level must be 1..19 (decoders bound the window to 8 MiB)");
            }
            if (!SegmentCipher.isValidSegmentSize(segmentSize)) {
                throw new IllegalArgumentException("segment size must be a power of two from 4 KiB to 1 MiB");
            }
        }
    }

    /** Where a file goes in its channel: recipient, the sender's channel epoch, and sequence number. */
    public record Address(NodeId recipient, long epoch, long seq) {
        public Address {
            Objects.requireNonNull(recipient, "recipient");
            if (epoch < 0 || seq < 0) {
                throw new IllegalArgumentException("bad epoch or sequence");
            }
        }
    }

    /**
     * A written, not yet published file; {@code keysExpire} is when its session expires (the file
     * is refused after that), or null for a file keyed without a session.
     */
    public record WrittenFile(Path path, SpoolFileName name, SpoolFileHeader header, long size, Instant keysExpire) {}

    private final Keyring keyring;
    private final FileMode mode;
    private final Options options;
    private final Clock clock;
    private final Disk disk;
    private final SendingSessions sessions;
    /**
     * Writes versions 1 and 2 as their writers did (a SHA-256 of each frame's plaintext, no zstd
     * content checksum): for tests of older files only.
     */
    private final boolean frameDigests;
    private final SecureRandom random = new SecureRandom();
    private final byte[] copyBuffer = new byte[COPY_BUFFER];

    /**
     * Gets AES-GCM compiled to the CPU's instructions on a background thread, once per JVM, so
     * that a node's first large body is not sealed at a tenth of the warm speed. A node calls it
     * at start.
     */
    public static void warmUpInBackground() {
        SegmentCipher.warmUpInBackground();
    }

    /** A writer of version 1 files: every signed file is signed on its own (no sessions). */
    public SpoolFileWriter(Keyring keyring, FileMode mode, Options options, Clock clock, Disk disk) {
        this(keyring, mode, options, clock, disk, null);
    }

    /**
     * A writer that keys signed files by {@code sessions} where their policy says so (version 2
     * files), and signs each on its own otherwise; {@code sessions} null means never.
     */
    public SpoolFileWriter(Keyring keyring, FileMode mode, Options options, Clock clock, Disk disk, SendingSessions sessions) {
        this(keyring, mode, options, clock, disk, sessions, false);
    }

    private SpoolFileWriter(Keyring keyring, FileMode mode, Options options, Clock clock, Disk disk, SendingSessions sessions,
            boolean frameDigests) {
        this.frameDigests = frameDigests;
        this.keyring = Objects.requireNonNull(keyring, "keyring");
        this.mode = Objects.requireNonNull(mode, "mode");
        this.options = Objects.requireNonNull(options, "options");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.disk = Objects.requireNonNull(disk, "disk");
        this.sessions = sessions;
    }

    /**
     * A writer like this one that writes the older format versions 1 and 2 (frame digests in
     * the header): for tests that check files of those versions are still read.
     */
    SpoolFileWriter writingOlderVersions() {
        return new SpoolFileWriter(keyring, mode, options, clock, disk, sessions, true);
    }

    public FileMode mode() {
        return mode;
    }

    /**
     * Writes {@code frames} into a new file under {@code tempDir}, forced but not yet published.
     * Frames a reader would refuse (none, two fragments, one message twice, a message whose meta
     * does not decode) are refused with {@link IllegalArgumentException} before anything is written.
     */
    public WrittenFile write(Address address, List<OutgoingFrame> frames, Path tempDir) throws IOException {
        return write(address, frames, tempDir, true);
    }

    /**
     * Like {@link #write(Address, List, Path)}; {@code force} false leaves the file to the page
     * cache: whole after a process crash, possibly damaged after power loss. For a sender that
     * can rebuild the file from its own durable state (the channel does after a reboot).
     */
    public WrittenFile write(Address address, List<OutgoingFrame> frames, Path tempDir, boolean force) throws IOException {
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("a spool file carries at least one frame");
        }
        if (frames.stream().filter(f -> f.fragment() != null).count() > 1) {
            throw new IllegalArgumentException("a spool file carries at most one fragment");
        }
        Set<MessageId> ids = new HashSet<>();
        for (OutgoingFrame frame : frames) {
            if (!ids.add(frame.message().id())) {
                throw new IllegalArgumentException("a spool file carries message " + frame.message().id() + " once");
            }
        }
        Instant now = Instant.ofEpochMilli(clock.millis());
        SessionTicket.Session session = sessions == null || !mode.isSigned() ? null
                : sessions.forFile(address.recipient(), now).orElse(null);
        int version = Preamble.versionFor(session != null, frameDigests);
        String ticket = session == null ? null : session.ticket();
        Keyring.Signing signing = session != null ? session.secret().signing(session.id())
                : mode.isSigned() ? keyring.signingFor(address.recipient(), now) : null;

        List<byte[]> metas = new ArrayList<>(frames.size());
        List<FrameDescriptor> placeholders = new ArrayList<>(frames.size());
        Instant expires = Instant.EPOCH;
        for (OutgoingFrame frame : frames) {
            byte[] meta = MetaCodec.encode(frame.message().envelope());
            try {
                // A file the reader refuses would be nacked and resent forever: refuse the message here.
                MetaCodec.decode(frame.message().kind(), meta);
            } catch (CodecException e) {
                throw new IllegalArgumentException("message " + frame.message().id() + " cannot be sent: " + e.getMessage(), e);
            }
            metas.add(meta);
            placeholders.add(descriptor(frame, meta.length, frameDigests ? ZERO_DIGEST : null));
            Instant frameExpires = frame.message().expires();
            expires = frameExpires.isAfter(expires) ? frameExpires : expires;
        }

        byte[] payloadKey = null;
        String contentKey = null;
        if (mode.isEncrypted()) {
            payloadKey = new byte[SegmentCipher.KEY_LENGTH];
            random.nextBytes(payloadKey);
            contentKey = JoseHeader.wrapContentKey(payloadKey, session != null ? session.secret().wrapping(session.id())
                    : keyring.wrappingFor(address.recipient(), now));
        }
        SpoolFileHeader draft = header(version, address, now, expires, placeholders, Long.MAX_VALUE, ZERO_DIGEST, contentKey,
                signing);
        int reserved = JoseHeader.compactLength(HeaderClaimsCodec.encode(draft).length, signing, ticket);
        int payloadOffset = Preamble.LENGTH + reserved;

        SpoolFileName name = draft.fileName();
        Path temp = tempDir.resolve("." + name + ".tmp");
        disk.deleteIfExists(temp);
        boolean done = false;
        try (FileChannel channel = disk.create(temp)) {
            DigestingChannelOutputStream sink = new DigestingChannelOutputStream(channel, payloadOffset);
            // A large payload is hashed and written on a second thread while this one compresses and seals.
            // When every stage thread is busy, it is all done in series here, compression included.
            long plainBytes = metas.stream().mapToLong(m -> m.length).sum()
                    + frames.stream().mapToLong(OutgoingFrame::bodyLength).sum();
            OutputStream stored = plainBytes >= PayloadStage.MIN_PIPELINED_BYTES ? WriteBehindOutputStream.over(sink) : sink;
            List<FrameDescriptor> descriptors;
            try {
                descriptors = writePayload(frames, metas, mode.isEncrypted()
                        ? new SegmentEncryptingOutputStream(stored, payloadKey, options.segmentSize())
                        : stored, stored != sink);
            } finally {
                if (stored instanceof WriteBehindOutputStream stage) {
                    stage.abort(); // after a normal close a no-op; after a failure nothing writes to the file any more
                }
            }
            SpoolFileHeader header = header(version, address, now, expires, descriptors, sink.count(),
                    Digests.hex(sink.sha256()), contentKey, signing);
            byte[] compact = JoseHeader.ascii(JoseHeader.sign(HeaderClaimsCodec.encode(header), signing, ticket));
            if (compact.length > reserved) {
                throw new IllegalStateException("header outgrew its reserved room: " + compact.length + " > " + reserved);
            }
            ByteBuffer head = ByteBuffer.allocate(payloadOffset);
            head.put(Preamble.encode(version, compact.length, payloadOffset, Digests.sha256(compact)));
            head.put(compact);
            head.position(0); // the rest of the reserved room stays zero: the padding
            while (head.hasRemaining()) {
                channel.write(head, head.position());
            }
            if (force) {
                channel.force(true);
            }
            done = true;
            return new WrittenFile(temp, name, header, payloadOffset + sink.count(),
                    session == null ? null : session.claims().expires());
        } finally {
            if (!done) {
                disk.deleteIfExists(temp);
            }
        }
    }

    /**
     * The commit point: renames the file into {@code folder} under its strict name and forces the
     * folder. If that fails before the rename, the temporary file is deleted; after it, the
     * published file is whole and the caller, told of the failure, may send it again.
     */
    public Path publish(WrittenFile file, Path folder) throws IOException {
        return publish(file, folder, true);
    }

    /** Like {@link #publish(WrittenFile, Path)}; {@code forceFolder} false skips the force of the folder. */
    public Path publish(WrittenFile file, Path folder, boolean forceFolder) throws IOException {
        Path target = folder.resolve(file.name().toString());
        try {
            if (forceFolder) {
                disk.publish(file.path(), target);
            } else {
                disk.moveAtomically(file.path(), target);
            }
        } catch (IOException e) {
            // If the rename did not happen, the temporary file is garbage; if it did, this deletes nothing.
            try {
                disk.deleteIfExists(file.path());
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return target;
    }

    private static final String ZERO_DIGEST = "0".repeat(64);

    private FrameDescriptor descriptor(OutgoingFrame frame, long metaLength, String sha256) {
        Message m = frame.message();
        return new FrameDescriptor(m.id(), m.kind(), m.created(), m.expires(), metaLength, frame.bodyLength(), sha256,
                frame.fragment());
    }

    private SpoolFileHeader header(int version, Address address, Instant now, Instant expires, List<FrameDescriptor> frames,
            long payloadLength, String payloadSha256, String contentKey, Keyring.Signing signing) {
        return SpoolFileHeader.builder()
                .version(version)
                .mode(mode)
                .sender(keyring.node())
                .recipient(address.recipient())
                .epoch(address.epoch())
                .seq(address.seq())
                .created(now.isAfter(expires) ? expires : now)
                .expires(expires)
                .frames(frames)
                .payloadLength(payloadLength)
                .payloadSha256(payloadSha256)
                .segmentSize(mode.isEncrypted() ? options.segmentSize() : 0)
                .contentKey(contentKey)
                .signingAlgorithm(signing == null ? "none" : signing.algorithm().getName())
                .signingKid(signing == null ? null : signing.kid())
                .build();
    }

    /**
     * Streams the frames through zstd into {@code sealed} and closes it; returns their descriptors,
     * with frame digests where this writer writes them (versions 1 and 2). {@code parallel}: a
     * large payload, compressed by zstd's worker threads.
     */
    private List<FrameDescriptor> writePayload(List<OutgoingFrame> frames, List<byte[]> metas, OutputStream sealed,
            boolean parallel) throws IOException {
        List<FrameDescriptor> descriptors = new ArrayList<>(frames.size());
        try (ZstdOutputStreamNoFinalizer zstd =
                     new ZstdOutputStreamNoFinalizer(sealed, RecyclingBufferPool.INSTANCE, options.compressionLevel())) {
            // zstd's own content checksum (XXH64): a cheap end-to-end check of the codec itself, verified by every
            // decoder. Writers of the older versions did not set it.
            zstd.setChecksum(!frameDigests);
            if (parallel) {
                compressInParallel(zstd);
            }
            MessageDigest digest = frameDigests ? Digests.sha256() : null;
            for (int i = 0; i < frames.size(); i++) {
                OutgoingFrame frame = frames.get(i);
                zstd.write(metas.get(i));
                if (digest != null) {
                    digest.reset();
                    digest.update(metas.get(i));
                }
                copyBody(frame, zstd, digest);
                descriptors.add(descriptor(frame, metas.get(i).length, digest == null ? null : Digests.hex(digest.digest())));
            }
        }
        return descriptors;
    }

    /**
     * Hashing has left this thread for the stage, so compression, the larger part of what is left,
     * gets threads of zstd's own, with jobs of 1 MiB that bound its buffers to a few MiB.
     */
    private static void compressInParallel(ZstdOutputStreamNoFinalizer zstd) {
        try {
            zstd.setJobSize(PayloadStage.BLOCK_SIZE * PayloadStage.BLOCKS);
            zstd.setWorkers(PayloadStage.COMPRESSION_WORKERS);
        } catch (IOException e) {
            // A zstd built without threads: it compresses on this thread, as for a small payload.
        }
    }

    /** Copies the frame's slice of its body to {@code out}, and into {@code digest} unless null. */
    private void copyBody(OutgoingFrame frame, OutputStream out, MessageDigest digest) throws IOException {
        long remaining = frame.bodyLength();
        if (remaining == 0) {
            return;
        }
        try (InputStream in = frame.message().body().open()) {
            in.skipNBytes(frame.bodyOffset());
            while (remaining > 0) {
                int n = in.read(copyBuffer, 0, (int) Math.min(copyBuffer.length, remaining));
                if (n < 0) {
                    throw new IOException("body of " + frame.message().id() + " ended " + remaining + " bytes early");
                }
                if (digest != null) {
                    digest.update(copyBuffer, 0, n);
                }
                out.write(copyBuffer, 0, n);
                remaining -= n;
            }
        }
    }
}
