package io.hoft.transport.spool.internal;

import io.hoft.transport.spool.CorruptFileException;
import io.hoft.transport.spool.MalformedFileException;
import io.hoft.transport.spool.SpoolFileHeader;
import io.hoft.transport.spool.TruncatedFileException;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;

/**
 * Decrypts STREAM segments (see {@link SegmentCipher}) from a payload of known sealed length.
 * No plaintext leaves a segment before its tag verified, and the segment count, hence which
 * segment carries the last flag, follows from the signed payload length.
 */
public final class SegmentDecryptingInputStream extends InputStream {
    private final InputStream in;
    private final SegmentCipher cipher;
    private final SpoolFileHeader header;
    private final int segmentSize;
    private final long segments;
    private final long lastSealedLength;
    private final byte[] sealed;
    private final byte[] plain;
    private int plainLength;
    private int plainPosition;
    private long next;

    /** Checks the sealed length is a valid segment layout before reading anything. */
    public SegmentDecryptingInputStream(InputStream in, byte[] key, int segmentSize, long sealedLength, SpoolFileHeader header)
            throws MalformedFileException {
        this.in = in;
        this.header = header;
        this.segmentSize = segmentSize;
        long sealedSegment = segmentSize + (long) SegmentCipher.TAG_LENGTH;
        if (sealedLength < SegmentCipher.TAG_LENGTH) {
            throw new MalformedFileException("encrypted payload of " + sealedLength + " bytes is shorter than one tag", header);
        }
        this.segments = (sealedLength + sealedSegment - 1) / sealedSegment;
        this.lastSealedLength = sealedLength - (segments - 1) * sealedSegment;
        if (lastSealedLength < SegmentCipher.TAG_LENGTH || (segments > 1 && lastSealedLength == SegmentCipher.TAG_LENGTH)) {
            throw new MalformedFileException("encrypted payload length " + sealedLength
                    + " is not a valid segment layout for segment size " + segmentSize, header);
        }
        if (segments > SegmentCipher.MAX_SEGMENTS) {
            throw new MalformedFileException("encrypted payload has more than 2^32 segments", header);
        }
        this.cipher = new SegmentCipher(key);
        this.sealed = new byte[(int) sealedSegment];
        this.plain = new byte[segmentSize];
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (plainPosition == plainLength) {
            if (next == segments) {
                return -1;
            }
            openNext();
        }
        int n = Math.min(len, plainLength - plainPosition);
        System.arraycopy(plain, plainPosition, b, off, n);
        plainPosition += n;
        return n;
    }

    private void openNext() throws IOException {
        boolean last = next == segments - 1;
        int length = last ? (int) lastSealedLength : sealed.length;
        int read = in.readNBytes(sealed, 0, length);
        if (read < length) {
            throw new TruncatedFileException("payload ends inside segment " + next, header);
        }
        try {
            plainLength = cipher.open(next, last, sealed, 0, length, plain);
        } catch (AEADBadTagException e) {
            throw new CorruptFileException("segment " + next + " of " + segments + " fails authentication", header, e);
        } catch (GeneralSecurityException e) {
            throw new IOException("AES-GCM failed", e);
        }
        plainPosition = 0;
        next++;
    }

    public int segmentSize() {
        return segmentSize;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
