package io.hoft.transport.spool.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The fixed 48 bytes at the start of every spool file. All integers are big-endian.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------------------------------------+
 * |                     magic "HOFT" (48 4F 46 54)              |  0
 * +---------------+---------------------------------------------+
 * |  version (1)  |            reserved, must be zero           |  4
 * +---------------+---------------------------------------------+
 * |                  header length H (u32, bytes)               |  8
 * +-------------------------------------------------------------+
 * |                  payload offset O (u32, bytes)              | 12
 * +-------------------------------------------------------------+
 * |                                                             | 16
 * |               SHA-256 of the H header bytes                 |
 * |                                                             |
 * +-------------------------------------------------------------+
 * |  header: compact JWS, H ASCII bytes                          | 48
 * +-------------------------------------------------------------+
 * |  zero padding, O - 48 - H bytes (at most 4096)               |
 * +-------------------------------------------------------------+
 * |  payload, length and SHA-256 declared in the header          |  O
 * +-------------------------------------------------------------+
 * </pre>
 *
 * The padding exists because the writer reserves room for the header, streams the payload,
 * and then writes the header (which declares the payload's digest) into the reserved room.
 */
public final class Preamble {
    public static final int LENGTH = 48;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int RESERVED_OFFSET = 5;
    static final int RESERVED_LENGTH = 3;
    public static final int HEADER_LENGTH_OFFSET = 8;
    public static final int PAYLOAD_OFFSET_OFFSET = 12;
    public static final int HEADER_SHA256_OFFSET = 16;
    static final int SHA256_LENGTH = 32;

    static final byte[] MAGIC = {0x48, 0x4F, 0x46, 0x54};
    /**
     * Files whose headers are signed per file (ES256, HS256 with a shared secret, or unsigned),
     * with a SHA-256 of every frame's plaintext in the header: read, no longer written.
     */
    public static final int VERSION = 1;
    /** Version 1 keyed by a session (SPEC.md section 10.8): read, no longer written. */
    public static final int VERSION_SESSION = 2;
    /** Version 1 without frame digests (SPEC.md section 7.4): what writers write for a file signed per file. */
    public static final int VERSION_PER_FILE = 3;
    /** Version 2 without frame digests: what writers write for a file keyed by a session. */
    public static final int VERSION_SESSION_NO_FRAME_DIGESTS = 4;
    public static final int MAX_PADDING = 4096;

    private Preamble() {}

    /** True for the versions this reader knows, 1 to 4. */
    public static boolean isKnownVersion(int version) {
        return version >= VERSION && version <= VERSION_SESSION_NO_FRAME_DIGESTS;
    }

    /** True if files of {@code version} are keyed by a session and carry its ticket (2 and 4). */
    public static boolean isSessionKeyed(int version) {
        return version == VERSION_SESSION || version == VERSION_SESSION_NO_FRAME_DIGESTS;
    }

    /** True if the frames of files of {@code version} carry a SHA-256 of their plaintext (1 and 2). */
    public static boolean hasFrameDigests(int version) {
        return version == VERSION || version == VERSION_SESSION;
    }

    /** The version a writer gives a file: 3, or 4 when keyed by a session; 1 or 2 with frame digests. */
    public static int versionFor(boolean sessionKeyed, boolean frameDigests) {
        if (frameDigests) {
            return sessionKeyed ? VERSION_SESSION : VERSION;
        }
        return sessionKeyed ? VERSION_SESSION_NO_FRAME_DIGESTS : VERSION_PER_FILE;
    }

    /** The 48 preamble bytes of a version 1 file for a header of {@code headerLength} and a payload at {@code payloadOffset}. */
    public static byte[] encode(int headerLength, int payloadOffset, byte[] headerSha256) {
        return encode(VERSION, headerLength, payloadOffset, headerSha256);
    }

    /** The 48 preamble bytes of a file of format {@code version}. */
    public static byte[] encode(int version, int headerLength, int payloadOffset, byte[] headerSha256) {
        if (headerSha256.length != SHA256_LENGTH) {
            throw new IllegalArgumentException("header digest must be 32 bytes");
        }
        ByteBuffer buffer = ByteBuffer.allocate(LENGTH).order(ByteOrder.BIG_ENDIAN);
        buffer.put(MAGIC_OFFSET, MAGIC);
        buffer.put(VERSION_OFFSET, (byte) version);
        buffer.putInt(HEADER_LENGTH_OFFSET, headerLength);
        buffer.putInt(PAYLOAD_OFFSET_OFFSET, payloadOffset);
        buffer.put(HEADER_SHA256_OFFSET, headerSha256);
        return buffer.array();
    }

    /** A parsed preamble; the reader checks each field against the rules in SPEC.md. */
    public record Fields(byte[] magic, int version, byte[] reserved, long headerLength, long payloadOffset, byte[] headerSha256) {
        public boolean hasMagic() {
            return Arrays.equals(magic, MAGIC);
        }

        public boolean reservedIsZero() {
            for (byte b : reserved) {
                if (b != 0) {
                    return false;
                }
            }
            return true;
        }
    }

    public static Fields decode(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes, 0, LENGTH).order(ByteOrder.BIG_ENDIAN);
        byte[] magic = new byte[MAGIC.length];
        buffer.get(MAGIC_OFFSET, magic);
        byte[] reserved = new byte[RESERVED_LENGTH];
        buffer.get(RESERVED_OFFSET, reserved);
        byte[] digest = new byte[SHA256_LENGTH];
        buffer.get(HEADER_SHA256_OFFSET, digest);
        return new Fields(
                magic,
                buffer.get(VERSION_OFFSET) & 0xff,
                reserved,
                Integer.toUnsignedLong(buffer.getInt(HEADER_LENGTH_OFFSET)),
                Integer.toUnsignedLong(buffer.getInt(PAYLOAD_OFFSET_OFFSET)),
                digest);
    }
}
