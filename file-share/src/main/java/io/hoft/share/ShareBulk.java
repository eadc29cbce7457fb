package io.hoft.share;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The bulk form of a share file's bytes (SPEC section 20.5): a run of records, each a slice of
 * the file sealed with AES-256-GCM under the key the front put in its file request, so the
 * bytes travel outside the channel yet only the front and back can read them, and the front
 * takes a slice only once its tag verified. A record is
 *
 * <pre>
 * offset   8 bytes, big-endian: where the slice starts in the file
 * length   4 bytes, big-endian: the slice's length n, 1 to {@link #MAX_RECORD}
 * nonce    12 bytes, random
 * sealed   n + 16 bytes: the slice encrypted, then the GCM tag
 * </pre>
 *
 * with the request id's UTF-8 bytes followed by offset and length as the additional data, so a
 * record cannot be moved to another place or another request.
 */
public final class ShareBulk {
    /** The largest slice in one record: the receiver holds one record in memory per upload. */
    public static final int MAX_RECORD = 1 << 20;
    /**
     * The record size the Java back seals: small records let the JIT compile the AES-GCM
     * intrinsic after tens of MiB instead of hundreds (it compiles per call, not per byte),
     * at 40 bytes of overhead per record.
     */
    public static final int RECORD = 8 * 1024;
    /** How much of the file the encoder reads at once, and the decoder joins before handing bytes over. */
    static final int READ_BYTES = 256 * 1024;
    /** offset, length and nonce. */
    public static final int HEAD = 8 + 4 + 12;
    public static final int TAG = 16;
    public static final int KEY_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private ShareBulk() {}

    /** A fresh key, as the front puts it in a file request. */
    public static byte[] newKey() {
        byte[] key = new byte[KEY_BYTES];
        RANDOM.nextBytes(key);
        return key;
    }

    public static String encodeKey(byte[] key) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(key);
    }

    /** The key of a {@code Hoft-Share-Bulk-Key} value; refuses anything but 32 bytes in base64url without padding. */
    public static byte[] decodeKey(String value) {
        if (value == null || !value.matches("[A-Za-z0-9_-]{43}")) {
            throw new IllegalArgumentException("a bulk key is 32 bytes in base64url without padding");
        }
        return Base64.getUrlDecoder().decode(value);
    }

    /** How many bytes the records of {@code length} file bytes take, in records of {@code record} bytes (the last may be shorter). */
    public static long encodedLength(long length, int record) {
        return length + (length + record - 1) / record * (HEAD + TAG);
    }

    /**
     * Reads {@code [offset, offset + length)} of {@code file} as sealed records of
     * {@code record} bytes (the last may be shorter), reading the file {@value #READ_BYTES}
     * bytes at a time. Holds about twice that in memory.
     */
    public static InputStream encoder(FileChannel file, long offset, long length, int record, byte[] key, String requestId) {
        if (record < 1 || record > MAX_RECORD) {
            throw new IllegalArgumentException("a record holds 1 to " + MAX_RECORD + " bytes");
        }
        return new Encoder(file, offset, length, record, key, requestId);
    }

    /** Where {@link #decode} puts verified bytes. */
    @FunctionalInterface
    public interface Sink {
        /** {@code bytes} (position to limit) belong at {@code offset} of the file. */
        void accept(long offset, ByteBuffer bytes) throws IOException;
    }

    /**
     * Reads records from {@code in} to its end, checks each against {@code size} and its tag,
     * and hands the verified bytes to {@code sink} in order, records that follow each other
     * joined up to {@value #READ_BYTES} bytes (and handed over early when nothing more is
     * there to read yet); returns the file bytes taken. Throws {@link BadRecordException} at
     * the first record that is malformed, outside the file or fails its tag (the bytes before
     * it were handed over and are good).
     */
    public static long decode(InputStream in, byte[] key, String requestId, long size, Sink sink) throws IOException {
        byte[] head = new byte[HEAD];
        byte[] sealed = new byte[0];
        ByteBuffer joined = ByteBuffer.allocate(READ_BYTES);
        long joinedAt = -1;
        long taken = 0;
        Cipher cipher = cipher();
        SecretKeySpec spec = new SecretKeySpec(key, "AES");
        try {
            while (true) {
                if (joined.position() > 0 && in.available() == 0) {
                    joinedAt = flush(joined, joinedAt, sink); // nothing more yet: let readers have what is here
                }
                int got = in.readNBytes(head, 0, HEAD);
                if (got == 0) {
                    return taken;
                }
                if (got < HEAD) {
                    throw new BadRecordException("a record's head is cut short");
                }
                ByteBuffer h = ByteBuffer.wrap(head);
                long offset = h.getLong();
                int length = h.getInt();
                if (offset < 0 || length < 1 || length > MAX_RECORD || offset > size - length) {
                    throw new BadRecordException("a record of " + length + " bytes at " + offset + " is not inside a file of " + size);
                }
                if (sealed.length < length + TAG) {
                    sealed = new byte[length + TAG];
                }
                if (in.readNBytes(sealed, 0, length + TAG) < length + TAG) {
                    throw new EOFException("a record is cut short");
                }
                if (joined.position() > 0 && (joinedAt + joined.position() != offset || joined.remaining() < length)) {
                    joinedAt = flush(joined, joinedAt, sink);
                }
                boolean join = length <= joined.capacity(); // opened straight into the joined bytes, or alone if larger
                try {
                    cipher.init(Cipher.DECRYPT_MODE, spec, new GCMParameterSpec(TAG * 8, head, 12, 12));
                    cipher.updateAAD(aad(requestId, head));
                    if (join) {
                        cipher.doFinal(sealed, 0, length + TAG, joined.array(), joined.position());
                    } else {
                        cipher.doFinal(sealed, 0, length + TAG, sealed, 0);
                    }
                } catch (GeneralSecurityException e) {
                    throw new BadRecordException("a record at " + offset + " fails its tag");
                }
                if (join) {
                    if (joined.position() == 0) {
                        joinedAt = offset;
                    }
                    joined.position(joined.position() + length);
                } else {
                    sink.accept(offset, ByteBuffer.wrap(sealed, 0, length));
                }
                taken += length;
            }
        } finally {
            if (joined.position() > 0) {
                flush(joined, joinedAt, sink); // what verified before a bad record or a cut still counts
            }
        }
    }

    private static long flush(ByteBuffer joined, long at, Sink sink) throws IOException {
        joined.flip();
        try {
            sink.accept(at, joined);
        } finally {
            joined.clear();
        }
        return -1;
    }

    private static byte[] aad(String requestId, byte[] head) {
        byte[] id = requestId.getBytes(StandardCharsets.UTF_8);
        byte[] aad = new byte[id.length + 12];
        System.arraycopy(id, 0, aad, 0, id.length);
        System.arraycopy(head, 0, aad, id.length, 12);
        return aad;
    }

    private static Cipher cipher() {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is missing from this JVM", e);
        }
    }

    /** A record that is malformed or forged: the rest of the body is not read. */
    public static final class BadRecordException extends IOException {
        public BadRecordException(String message) {
            super(message);
        }
    }

    /** Reads the file in large pieces and seals one record at a time out of them. */
    private static final class Encoder extends InputStream {
        private final FileChannel file;
        private final long end;
        private final int recordSize;
        private final String requestId;
        private final SecretKeySpec key;
        private final Cipher cipher = cipher();
        private final ByteBuffer plain;
        private final byte[] record;
        private final byte[] nonce = new byte[12];
        private int recordPos;
        private int recordLen;
        private long readTo; // the file position up to which plain holds bytes
        private long position; // the file position of the next record

        Encoder(FileChannel file, long offset, long length, int recordSize, byte[] key, String requestId) {
            this.file = file;
            this.position = offset;
            this.readTo = offset;
            this.end = offset + length;
            this.recordSize = recordSize;
            this.key = new SecretKeySpec(key, "AES");
            this.requestId = requestId;
            this.plain = ByteBuffer.allocate((int) Math.min(Math.max(READ_BYTES, recordSize), Math.max(1, length)));
            this.plain.flip();
            this.record = new byte[HEAD + (int) Math.min(recordSize, Math.max(1, length)) + TAG];
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int done = 0;
            while (done < len) {
                if (recordPos == recordLen && !nextRecord()) {
                    break;
                }
                int n = Math.min(len - done, recordLen - recordPos);
                System.arraycopy(record, recordPos, b, off + done, n);
                recordPos += n;
                done += n;
            }
            return done == 0 && len > 0 ? -1 : done;
        }

        private boolean nextRecord() throws IOException {
            if (position >= end) {
                return false;
            }
            int length = (int) Math.min(recordSize, end - position);
            if (plain.remaining() < length) {
                plain.compact();
                int want = (int) Math.min(plain.remaining(), end - readTo);
                plain.limit(plain.position() + want);
                while (plain.hasRemaining()) {
                    int n = file.read(plain, readTo);
                    if (n < 0) {
                        throw new EOFException("the file shrank while it was read");
                    }
                    readTo += n;
                }
                plain.flip();
            }
            ByteBuffer head = ByteBuffer.wrap(record, 0, HEAD);
            RANDOM.nextBytes(nonce);
            head.putLong(position).putInt(length).put(nonce);
            try {
                cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG * 8, nonce));
                cipher.updateAAD(aad(requestId, record));
                recordLen = HEAD + cipher.doFinal(plain.array(), plain.position(), length, record, HEAD);
            } catch (GeneralSecurityException e) {
                throw new IOException("sealing a record failed", e);
            }
            plain.position(plain.position() + length);
            recordPos = 0;
            position += length;
            return true;
        }
    }
}
