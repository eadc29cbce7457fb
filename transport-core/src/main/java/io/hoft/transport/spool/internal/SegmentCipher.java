package io.hoft.transport.spool.internal;

import io.hoft.transport.agent.Threads;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicBoolean;
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
    static final int NONCE_LENGTH = 12;
    public static final int KEY_LENGTH = 32;
    public static final int MIN_SEGMENT_SIZE = 4096;
    static final int MAX_SEGMENT_SIZE = 1 << 20;
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

    /** Small seals and opens that get HotSpot to compile GCM with the CPU's instructions (see {@link #warmUpInBackground}). */
    static final int WARM_UP_ROUNDS = 10_000;
    private static final AtomicBoolean WARM_UP_STARTED = new AtomicBoolean();

    private final SecretKeySpec key;
    private final byte[] nonce = new byte[NONCE_LENGTH];

    public SegmentCipher(byte[] key) {
        if (key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("payload key must be 32 bytes");
        }
        this.key = new SecretKeySpec(key, "AES");
    }

    /**
     * Starts, once per JVM, a background thread that seals and opens small segments under a
     * throwaway key. HotSpot runs GCM on the CPU's AES and carry-less multiply instructions only
     * from code its C2 compiler made, which takes thousands of calls: with 64 KiB segments a cold
     * JVM sealed its first 256 MiB at about 100 MB/s, a tenth of the warm speed, so a node's first
     * large body paid seconds of CPU. The warm-up costs about a quarter of a second of CPU at start.
     */
    public static void warmUpInBackground() {
        if (WARM_UP_STARTED.compareAndSet(false, true)) {
            Thread thread = Threads.daemon("hoft-cipher-warm-up", SegmentCipher::warmUp);
            thread.setPriority(Thread.MIN_PRIORITY);
            thread.start();
        }
    }

    /** Seals and opens {@link #WARM_UP_ROUNDS} 1 KiB segments; returns how many round-tripped intact. */
    static int warmUp() {
        byte[] key = new byte[KEY_LENGTH];
        new SecureRandom().nextBytes(key);
        SegmentCipher cipher = new SegmentCipher(key);
        byte[] plain = new byte[1024];
        byte[] sealed = new byte[plain.length + TAG_LENGTH];
        byte[] opened = new byte[plain.length];
        int intact = 0;
        try {
            for (int i = 0; i < WARM_UP_ROUNDS; i++) {
                cipher.seal(i, false, plain, 0, plain.length, sealed);
                cipher.open(i, false, sealed, 0, sealed.length, opened);
                intact++;
            }
        } catch (GeneralSecurityException e) {
            // Only speed is at stake: the segments that matter report their own failures.
        }
        return intact;
    }

    public static boolean isValidSegmentSize(long size) {
        return size >= MIN_SEGMENT_SIZE && size <= MAX_SEGMENT_SIZE && Long.bitCount(size) == 1;
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
