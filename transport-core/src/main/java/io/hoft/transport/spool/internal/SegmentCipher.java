package io.hoft.transport.spool.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM over fixed-size segments with the STREAM construction (Hoang, Reyhanitabar,
 * Rogaway, Vizar 2015): segment {@code i} of {@code k} is sealed under the 96-bit nonce
 *
 * <pre>
 *   +-----------------------------+----------------------+----------+
 *   | 7 zero bytes                | i (u32, big-endian)  | last (u8)|
 *   +-----------------------------+----------------------+----------+
 * </pre>
 *
 * where {@code last} is 1 for segment {@code k-1} and 0 otherwise, with empty associated data
 * and a 128-bit tag appended. Segments hold exactly {@code segmentSize} plaintext bytes except
 * the last, which holds 1 to {@code segmentSize} (0 only if it is the only segment). Because
 * the key is random per file, the nonce needs no random part; because of the flag, a file cut
 * at a segment boundary fails to authenticate.
 */
public final class SegmentCipher {
    public static final int TAG_LENGTH = 16;
    public static final int NONCE_LENGTH = 12;
    public static final int KEY_LENGTH = 32;
    public static final int MIN_SEGMENT_SIZE = 4096;
    public static final int MAX_SEGMENT_SIZE = 1 << 20;
    public static final int DEFAULT_SEGMENT_SIZE = 65536;
    /** Segment indexes are u32: 2^32 segments. */
    static final long MAX_SEGMENTS = 1L << 32;

    /**
     * One AES-GCM cipher per thread: looking one up costs more than sealing a small file. Every
     * seal and open initialises it with its own key and nonce and finishes before returning, so
     * ciphers of several files may share it on one thread.
     */
    private static final ThreadLocal<Cipher> CIPHER = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM is not available in this JDK", e);
        }
    });

    private final SecretKeySpec key;
    private final byte[] nonce = new byte[NONCE_LENGTH];

    public SegmentCipher(byte[] key) {
        if (key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("payload key must be 32 bytes");
        }
        this.key = new SecretKeySpec(key, "AES");
    }

    public static boolean isValidSegmentSize(long size) {
        return size >= MIN_SEGMENT_SIZE && size <= MAX_SEGMENT_SIZE && Long.bitCount(size) == 1;
    }

    /** The nonce of segment {@code index}; exposed for SPEC test vectors. */
    public static byte[] nonce(long index, boolean last) {
        byte[] nonce = new byte[NONCE_LENGTH];
        ByteBuffer.wrap(nonce).order(ByteOrder.BIG_ENDIAN).putInt(7, (int) index).put(11, (byte) (last ? 1 : 0));
        return nonce;
    }

    /** Seals {@code length} bytes of {@code in} into {@code out}; returns {@code length + 16}. */
    public int seal(long index, boolean last, byte[] in, int offset, int length, byte[] out) throws GeneralSecurityException {
        Cipher cipher = init(Cipher.ENCRYPT_MODE, index, last);
        return cipher.doFinal(in, offset, length, out, 0);
    }

    /** Opens a sealed segment into {@code out}; throws {@link javax.crypto.AEADBadTagException} if forged or damaged. */
    public int open(long index, boolean last, byte[] in, int offset, int length, byte[] out) throws GeneralSecurityException {
        Cipher cipher = init(Cipher.DECRYPT_MODE, index, last);
        return cipher.doFinal(in, offset, length, out, 0);
    }

    private Cipher init(int mode, long index, boolean last) throws GeneralSecurityException {
        if (index < 0 || index >= MAX_SEGMENTS) {
            throw new IllegalArgumentException("segment index out of range: " + index);
        }
        ByteBuffer.wrap(nonce).order(ByteOrder.BIG_ENDIAN).putInt(7, (int) index).put(11, (byte) (last ? 1 : 0));
        Cipher cipher = CIPHER.get();
        cipher.init(mode, key, new GCMParameterSpec(TAG_LENGTH * 8, nonce));
        return cipher;
    }
}
