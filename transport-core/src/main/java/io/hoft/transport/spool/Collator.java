package io.hoft.transport.spool;

import io.hoft.transport.message.Message;
import java.util.ArrayList;
import java.util.List;

/**
 * Groups small whole messages into as few files as the target size allows (a mirror often
 * pays per file). Messages keep their order; one larger than the target gets a file alone.
 * Fragments are never collated: they already fill a file.
 */
public final class Collator {
    /** An upper bound of the bytes one frame adds to the header (its JSON description in base64url). */
    public static final int HEADER_BYTES_PER_FRAME = 400;

    private final long targetFileBytes;
    private final int maxFrames;

    public Collator(long targetFileBytes, int maxFrames) {
        if (targetFileBytes < 1024 || maxFrames < 1) {
            throw new IllegalArgumentException("collation target too small");
        }
        this.targetFileBytes = targetFileBytes;
        this.maxFrames = maxFrames;
    }

    /** The frames of each file, in order. */
    public List<List<OutgoingFrame>> collate(List<Message> messages) {
        List<List<OutgoingFrame>> files = new ArrayList<>();
        List<OutgoingFrame> current = new ArrayList<>();
        long currentBytes = 0;
        for (Message message : messages) {
            long bytes = estimatedBytes(message);
            if (!current.isEmpty() && (currentBytes + bytes > targetFileBytes || current.size() == maxFrames)) {
                files.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(OutgoingFrame.whole(message));
            currentBytes += bytes;
        }
        if (!current.isEmpty()) {
            files.add(current);
        }
        return files;
    }

    /** What a message adds to a file before compression: its description, meta and body. */
    static long estimatedBytes(Message message) {
        return HEADER_BYTES_PER_FRAME + MetaCodec.encode(message.envelope()).length + message.body().length();
    }
}
