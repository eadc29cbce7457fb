package io.hoft.transport.spool;

import com.github.luben.zstd.RecyclingBufferPool;
import com.github.luben.zstd.ZstdIOException;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.spool.internal.ExactLengthInputStream;
import io.hoft.transport.spool.internal.PayloadStage;
import io.hoft.transport.spool.internal.ReadAheadInputStream;
import io.hoft.transport.spool.internal.SegmentDecryptingInputStream;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;

/**
 * An opened spool file whose header has verified (signature, addressing, expiry, length).
 * {@link #readFrames} then decodes the payload once, frame by frame, in bounded memory.
 *
 * <p>The file is accepted only if {@code readFrames} returns normally: every segment
 * authenticated, the zstd stream decoded (and its content checksum matched, where the writer set
 * one), every frame's digest matched (versions 1 and 2), the payload's digest matched, and
 * nothing followed its declared end. After the first failure nothing more is read. A large
 * payload is read and hashed on a second thread ({@link PayloadStage}) while the caller's
 * thread opens its segments and decompresses; failures reach the caller in the order of the
 * payload, and no thread reads the file once {@code readFrames} has returned or thrown.
 */
public final class SpoolFile implements Closeable {
    /** zstd frames may not need more than an 8 MiB window (levels 1 to 19 stay within it). */
    static final int MAX_WINDOW_LOG = 23;

    /** Receives each frame in order; see {@link DecodedFrame} for when its content may be trusted. */
    @FunctionalInterface
    public interface FrameHandler {
        void onFrame(DecodedFrame frame) throws IOException;
    }

    private final SpoolFileHeader header;
    private final InputStream in;
    private final byte[] payloadKey;
    private final boolean streamMustEnd;
    private final SpoolLimits limits;
    private boolean used;

    SpoolFile(SpoolFileHeader header, InputStream in, byte[] payloadKey, boolean streamMustEnd, SpoolLimits limits) {
        this.header = header;
        this.in = in;
        this.payloadKey = payloadKey;
        this.streamMustEnd = streamMustEnd;
        this.limits = limits;
    }

    /** The verified header. */
    public SpoolFileHeader header() {
        return header;
    }

    /** Decodes every frame in order, then checks the file's end. Can be called once. */
    public void readFrames(FrameHandler handler) throws IOException {
        if (used) {
            throw new IllegalStateException("frames of a spool file can be read once");
        }
        used = true;
        try {
            decode(handler);
        } catch (ZstdIOException e) {
            throw new CorruptFileException("payload does not decompress: " + e.getMessage(), header, e);
        } catch (RuntimeException e) {
            if (e.getClass().getName().startsWith("com.github.luben.zstd")) {
                throw new CorruptFileException("payload does not decompress: " + e.getMessage(), header, e);
            }
            throw e;
        }
    }

    private void decode(FrameHandler handler) throws IOException {
        ExactLengthInputStream stored = new ExactLengthInputStream(in, header.payloadLength(),
                () -> new TruncatedFileException("file ends inside the payload", header));
        MessageDigest payloadDigest = Digests.sha256();
        InputStream hashed = new DigestInputStream(stored, payloadDigest);
        // A large payload is read and hashed on a second thread while this one opens the segments and
        // decompresses: the stage yields exactly what the stream above yields, in order, failures included.
        InputStream source = header.payloadLength() >= PayloadStage.MIN_PIPELINED_BYTES
                ? ReadAheadInputStream.over(hashed)
                : hashed;
        InputStream compressed = header.mode().isEncrypted()
                ? new SegmentDecryptingInputStream(source, payloadKey, header.segmentSize(), header.payloadLength(), header)
                : source;
        try {
            decodeFrames(compressed, handler);
            if (compressed.read() != -1) {
                throw new MalformedFileException("payload has bytes after its zstd stream", header);
            }
        } finally {
            if (source != hashed) {
                source.close(); // stops the stage: nothing reads the file behind this thread's back
            }
        }
        if (stored.remaining() != 0) {
            throw new MalformedFileException("payload has bytes after its last segment", header);
        }
        if (!Digests.hex(payloadDigest.digest()).equals(header.payloadSha256())) {
            throw new CorruptFileException("payload does not match its sha256", header);
        }
        if (streamMustEnd && in.read() != -1) {
            throw new MalformedFileException("bytes follow the declared end of the file", header);
        }
    }

    /** Decompresses {@code compressed} and hands each frame over; checks frame digests where the version has them. */
    private void decodeFrames(InputStream compressed, FrameHandler handler) throws IOException {
        try (ZstdInputStreamNoFinalizer zstd = new ZstdInputStreamNoFinalizer(new NonClosing(compressed), RecyclingBufferPool.INSTANCE)) {
            zstd.setLongMax(MAX_WINDOW_LOG);
            MessageDigest frameDigest = header.hasFrameDigests() ? Digests.sha256() : null;
            for (int i = 0; i < header.frames().size(); i++) {
                FrameDescriptor descriptor = header.frames().get(i);
                byte[] meta = zstd.readNBytes((int) descriptor.metaLength());
                if (meta.length < descriptor.metaLength()) {
                    throw new CorruptFileException("payload ends inside the meta of frame " + i, header);
                }
                Envelope envelope;
                try {
                    envelope = MetaCodec.decode(descriptor.kind(), meta);
                } catch (CodecException e) {
                    throw new MalformedFileException("frame " + i + " (" + descriptor.id() + "): " + e.getMessage(), header);
                }
                InputStream frameBytes = new NonClosing(zstd);
                if (frameDigest != null) {
                    frameDigest.reset();
                    frameDigest.update(meta);
                    frameBytes = new DigestInputStream(frameBytes, frameDigest);
                }
                int index = i;
                ExactLengthInputStream body = new ExactLengthInputStream(frameBytes, descriptor.bodyLength(),
                        () -> new CorruptFileException("payload ends inside the body of frame " + index, header));
                handler.onFrame(new DecodedFrame(descriptor, envelope, body));
                body.drain();
                if (frameDigest != null && !Digests.hex(frameDigest.digest()).equals(descriptor.sha256())) {
                    throw new CorruptFileException("frame " + i + " (" + descriptor.id() + ") does not match its sha256", header);
                }
            }
            if (zstd.read() != -1) {
                throw new MalformedFileException("payload decompresses to more bytes than its frames declare", header);
            }
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    /** Keeps zstd from closing the streams below it. */
    private static final class NonClosing extends FilterInputStream {
        NonClosing(InputStream in) {
            super(in);
        }

        @Override
        public void close() {
            // owned by the SpoolFile
        }
    }
}
