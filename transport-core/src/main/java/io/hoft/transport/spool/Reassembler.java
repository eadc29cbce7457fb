package io.hoft.transport.spool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.spool.internal.CodecException;
import io.hoft.transport.spool.internal.Digests;
import io.hoft.transport.spool.internal.MetaCodec;
import io.hoft.transport.spool.internal.StrictJson;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.BitSet;
import java.util.Objects;
import java.util.Optional;

/**
 * Reassembles fragmented bodies, in any arrival order, into one file per message, in bounded
 * memory: each fragment's bytes go straight to their offset in the message's body file.
 *
 * <p>Two steps per fragment, because a fragment's bytes are trustworthy only once its whole
 * spool file has verified: {@link #write} puts the bytes in place, and the returned {@link
 * Piece#commit()} (called after {@link SpoolFile#readFrames} returned normally) forces them and
 * records the fragment as received. A fragment written but not committed (the file failed, or
 * the process died) is simply written again when it is resent; its range is fixed by the
 * signed header, so nothing else is disturbed.
 *
 * <p>On disk, per message: {@code KEY.body} and {@code KEY.state} (JSON: metadata, count,
 * total length, received indexes), where KEY is derived by hashing sender and message id, so
 * no name from a file ever becomes a path. The state file is replaced atomically.
 *
 * <p>Not thread-safe: one receiver thread owns a reassembler.
 */
public final class Reassembler {
    private static final String BODY = ".body";
    private static final String STATE = ".state";

    private final Path folder;
    private final Disk disk;

    public Reassembler(Path folder, Disk disk) throws IOException {
        this.folder = Objects.requireNonNull(folder, "folder");
        this.disk = Objects.requireNonNull(disk, "disk");
        Files.createDirectories(folder);
    }

    /** A whole message put together: its metadata and its body file, which the caller now owns. */
    public record Completed(NodeId sender, FrameDescriptor lastDescriptor, Envelope envelope, Path body, long length) {}

    /** A fragment written in place but not yet recorded. */
    public final class Piece {
        private final NodeId sender;
        private final FrameDescriptor descriptor;
        private final Envelope envelope;
        private final byte[] meta;

        private Piece(NodeId sender, FrameDescriptor descriptor, Envelope envelope, byte[] meta) {
            this.sender = sender;
            this.descriptor = descriptor;
            this.envelope = envelope;
            this.meta = meta;
        }

        /**
         * Records the fragment durably; returns the completed message once every fragment is
         * in. Committing a fragment already recorded changes nothing.
         */
        public Optional<Completed> commit() throws IOException {
            return record(this);
        }
    }

    /**
     * Writes a fragment's body at its offset, consuming {@code frame.body()}. Fragments that
     * disagree with earlier ones of the same message (count, total length, kind) are refused.
     */
    public Piece write(SpoolFileHeader header, DecodedFrame frame) throws IOException {
        FrameDescriptor descriptor = frame.descriptor();
        FragmentInfo fragment = descriptor.fragment();
        if (fragment == null) {
            throw new IllegalArgumentException("not a fragment: " + descriptor.id());
        }
        String key = key(header.sender(), descriptor.id());
        Optional<State> existing = readState(key);
        if (existing.isPresent()) {
            State state = existing.get();
            if (state.count != fragment.count() || state.totalLength != fragment.totalLength()
                    || !state.kind.equals(descriptor.kind().wireName())) {
                throw new MalformedFileException("fragment " + fragment.index() + " of " + descriptor.id()
                        + " disagrees with earlier fragments (count, total length or kind)", header);
            }
        }
        Path body = folder.resolve(key + BODY);
        try (FileChannel channel = FileChannel.open(body, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            long position = fragment.offset();
            byte[] buffer = new byte[64 * 1024];
            InputStream in = frame.body();
            int n;
            while ((n = in.read(buffer)) != -1) {
                ByteBuffer slice = ByteBuffer.wrap(buffer, 0, n);
                while (slice.hasRemaining()) {
                    position += channel.write(slice, position);
                }
            }
        }
        return new Piece(header.sender(), descriptor, frame.envelope(), MetaCodec.encode(frame.envelope()));
    }

    /** Forgets a message: after its completed body was taken, or to abandon it. */
    public void release(NodeId sender, MessageId id) throws IOException {
        String key = key(sender, id);
        disk.deleteIfExists(folder.resolve(key + STATE));
        disk.deleteIfExists(folder.resolve(key + BODY));
        disk.forceDirectory(folder);
    }

    /** Deletes partial messages that expired before they completed; returns how many. */
    public int purgeExpired(Instant now) throws IOException {
        int purged = 0;
        try (DirectoryStream<Path> states = Files.newDirectoryStream(folder, "*" + STATE)) {
            for (Path path : states) {
                String key = path.getFileName().toString();
                key = key.substring(0, key.length() - STATE.length());
                Optional<State> state = readState(key);
                if (state.isPresent() && now.isAfter(Instant.ofEpochMilli(state.get().expires))) {
                    disk.deleteIfExists(folder.resolve(key + STATE));
                    disk.deleteIfExists(folder.resolve(key + BODY));
                    purged++;
                }
            }
        }
        if (purged > 0) {
            disk.forceDirectory(folder);
        }
        return purged;
    }

    /** Fragment indexes of a message recorded so far (empty if none). */
    public BitSet received(NodeId sender, MessageId id) throws IOException {
        return readState(key(sender, id)).map(s -> (BitSet) s.received.clone()).orElseGet(BitSet::new);
    }

    private Optional<Completed> record(Piece piece) throws IOException {
        FrameDescriptor descriptor = piece.descriptor;
        FragmentInfo fragment = descriptor.fragment();
        String key = key(piece.sender, descriptor.id());
        Path body = folder.resolve(key + BODY);
        try (FileChannel channel = FileChannel.open(body, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        State state = readState(key).orElseGet(() -> new State(descriptor.kind().wireName(), fragment.count(),
                fragment.totalLength(), descriptor.expires().toEpochMilli(), piece.meta, new BitSet()));
        if (!state.received.get(fragment.index())) {
            state.received.set(fragment.index());
            writeState(key, state);
        }
        if (state.received.cardinality() < state.count) {
            return Optional.empty();
        }
        try (FileChannel channel = FileChannel.open(body, StandardOpenOption.WRITE)) {
            if (channel.size() != state.totalLength) {
                throw new IOException("reassembled body of " + descriptor.id() + " has " + channel.size()
                        + " bytes, expected " + state.totalLength);
            }
        }
        return Optional.of(new Completed(piece.sender, descriptor, piece.envelope, body, state.totalLength));
    }

    private static String key(NodeId sender, MessageId id) {
        byte[] digest = Digests.sha256((sender.value() + "/" + id.value()).getBytes(StandardCharsets.US_ASCII));
        return Digests.hex(digest).substring(0, 40);
    }

    private static final class State {
        final String kind;
        final int count;
        final long totalLength;
        final long expires;
        final byte[] meta;
        final BitSet received;

        State(String kind, int count, long totalLength, long expires, byte[] meta, BitSet received) {
            this.kind = kind;
            this.count = count;
            this.totalLength = totalLength;
            this.expires = expires;
            this.meta = meta;
            this.received = received;
        }
    }

    private Optional<State> readState(String key) throws IOException {
        Path path = folder.resolve(key + STATE);
        if (!Files.exists(path)) {
            return Optional.empty();
        }
        try {
            JsonNode node = StrictJson.parse(Files.readAllBytes(path), "reassembly state");
            BitSet received = new BitSet();
            for (JsonNode index : node.get("received")) {
                received.set(index.asInt());
            }
            return Optional.of(new State(node.get("kind").asText(), node.get("count").asInt(),
                    node.get("totalLength").asLong(), node.get("expires").asLong(),
                    node.get("meta").asText().getBytes(StandardCharsets.UTF_8), received));
        } catch (CodecException | RuntimeException e) {
            // A state file is only ever replaced atomically, so this is outside damage: start the message over.
            disk.deleteIfExists(path);
            disk.deleteIfExists(folder.resolve(key + BODY));
            return Optional.empty();
        }
    }

    private void writeState(String key, State state) throws IOException {
        ObjectNode node = StrictJson.object();
        node.put("kind", state.kind);
        node.put("count", state.count);
        node.put("totalLength", state.totalLength);
        node.put("expires", state.expires);
        node.put("meta", new String(state.meta, StandardCharsets.UTF_8));
        ArrayNode received = node.putArray("received");
        state.received.stream().forEach(received::add);
        Path temp = folder.resolve("." + key + STATE + ".tmp");
        disk.deleteIfExists(temp);
        try (FileChannel channel = disk.create(temp)) {
            ByteBuffer bytes = ByteBuffer.wrap(StrictJson.write(node));
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            channel.force(true);
        }
        disk.publish(temp, folder.resolve(key + STATE));
    }
}
