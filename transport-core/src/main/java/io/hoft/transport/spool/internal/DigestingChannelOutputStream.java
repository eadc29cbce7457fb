package io.hoft.transport.spool.internal;

import io.hoft.transport.spool.Digests;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;

/**
 * Writes to a file channel from a starting position while counting the bytes and hashing them
 * with SHA-256: the payload's length and digest come out of the same single pass that writes it.
 * Closing does not close the channel.
 */
public final class DigestingChannelOutputStream extends OutputStream {
    private final FileChannel channel;
    private final MessageDigest digest = Digests.sha256();
    private long position;
    private long count;

    public DigestingChannelOutputStream(FileChannel channel, long position) {
        this.channel = channel;
        this.position = position;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        digest.update(b, off, len);
        ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
        while (buffer.hasRemaining()) {
            position += channel.write(buffer, position);
        }
        count += len;
    }

    public long count() {
        return count;
    }

    public byte[] sha256() {
        return digest.digest();
    }

    @Override
    public void close() {
        // The channel belongs to the caller.
    }
}
