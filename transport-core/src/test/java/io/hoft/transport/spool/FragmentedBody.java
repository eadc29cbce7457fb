package io.hoft.transport.spool;

import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Envelope;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;

/**
 * Test tool: puts the decoded fragments of one message back together in a file, each
 * fragment's body at its offset, in any order and in bounded memory. (The channel does the
 * same through its node database; this is only what a codec test needs to compare bytes.)
 */
final class FragmentedBody {
    private final Path file;
    private final BitSet received = new BitSet();
    private int count = -1;
    private NodeId sender;
    private FrameDescriptor lastDescriptor;
    private Envelope envelope;

    FragmentedBody(Path file) {
        this.file = file;
    }

    /** Writes the fragment's bytes at its offset, consuming {@code frame.body()}. */
    void add(SpoolFileHeader header, DecodedFrame frame) throws IOException {
        FragmentInfo fragment = frame.descriptor().fragment();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            long position = fragment.offset();
            byte[] buffer = new byte[64 * 1024];
            InputStream in = frame.body();
            for (int n; (n = in.read(buffer)) != -1; ) {
                ByteBuffer slice = ByteBuffer.wrap(buffer, 0, n);
                while (slice.hasRemaining()) {
                    position += channel.write(slice, position);
                }
            }
        }
        received.set(fragment.index());
        count = fragment.count();
        sender = header.sender();
        lastDescriptor = frame.descriptor();
        envelope = frame.envelope();
    }

    boolean isComplete() {
        return received.cardinality() == count;
    }

    Path file() {
        return file;
    }

    NodeId sender() {
        return sender;
    }

    FrameDescriptor lastDescriptor() {
        return lastDescriptor;
    }

    Envelope envelope() {
        return envelope;
    }
}
