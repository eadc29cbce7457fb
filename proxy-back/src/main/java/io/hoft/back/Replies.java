package io.hoft.back;

import io.hoft.transport.channel.ChannelFullException;
import io.hoft.transport.channel.Transport;
import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.BodyFiles;
import io.hoft.transport.store.StoreTx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Builds the messages the back sends to the front and hands them to the channel inside the
 * caller's transaction. A RESPONSE has a fresh message id each time it is sent (the request id
 * is in its envelope), and lives until the request's expiry plus {@link #GRACE}, so that an
 * answer made just before expiry still travels. A response body in a file is handed over as a
 * hard link to the recorded file (no copy; a copy where links are not supported), so the
 * recorded answer stays for a repeated request while the channel owns and later deletes its own
 * name.
 */
final class Replies {
    static final Duration GRACE = Duration.ofMinutes(10);

    private final Transport transport;
    private final BodyFiles bodies;
    private final Clock clock;

    Replies(Transport transport, BodyFiles bodies, Clock clock) {
        this.transport = transport;
        this.bodies = bodies;
        this.clock = clock;
    }

    void response(StoreTx tx, NodeId peer, MessageId requestId, long requestExpiresMs, RecordedResponse response)
            throws ChannelFullException, IOException {
        Instant now = clock.instant();
        Message message = new Message(MessageId.generate(clock), now, expires(now, requestExpiresMs),
                new Envelope.Response(requestId, response.status(), response.reason(), response.headers(), response.error()),
                Body.EMPTY);
        if (response.bodyInline() != null && response.bodyInline().length > 0) {
            transport.send(tx, peer, withBody(message, Body.ofBytes(response.bodyInline())));
        } else if (response.bodyName() != null) {
            Path link = secondName(bodies.path(response.bodyName()));
            try {
                transport.send(tx, peer, withBody(message, Body.ofFile(link)));
            } catch (ChannelFullException | IOException | RuntimeException e) {
                Files.deleteIfExists(link);
                throw e;
            }
        } else {
            transport.send(tx, peer, message);
        }
    }

    /** A RESPONSE message sent while its body arrives into {@code file}: to whom, under which id, how long its body is. */
    record Growing(NodeId peer, MessageId messageId, Path file, long length) {}

    /**
     * Starts sending the RESPONSE to request {@code requestId} while its body still arrives in
     * {@code file} (towards {@code length} bytes), from a hard link the channel owns (see {@link
     * Transport#sendGrowing}). Empty, with nothing stored, if it cannot be sent so (too short, no
     * hard links, the channel full): the answer then goes the ordinary way.
     */
    Optional<Growing> startGrowing(StoreTx tx, NodeId peer, MessageId requestId, long requestExpiresMs, int status,
            String reason, List<HeaderField> headers, Path file, long length) throws IOException {
        Instant now = clock.instant();
        Path link = bodies.newPath();
        try {
            Files.createLink(link, file);
        } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
            return Optional.empty(); // a copy of a file still being written would not grow with it
        }
        Message message = new Message(MessageId.generate(clock), now, expires(now, requestExpiresMs),
                new Envelope.Response(requestId, status, reason, headers, null), Body.ofFile(link, length));
        try {
            if (transport.sendGrowing(tx, peer, message)) {
                return Optional.of(new Growing(peer, message.id(), file, length));
            }
        } catch (ChannelFullException e) {
            // the answer goes the ordinary way, and waits if the channel is still full then
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(link);
            throw e;
        }
        Files.deleteIfExists(link);
        return Optional.empty();
    }

    /** The body bytes per fragment, and so per slice of a body sent while it arrives. */
    long fragmentBodyBytes() {
        return transport.fragmentBodyBytes();
    }

    void grown(Growing growing, long durableBytes) {
        transport.grown(growing.peer(), growing.messageId(), durableBytes);
    }

    /** Inside the transaction that records the answer: false if the growing RESPONSE was given up meanwhile. */
    boolean complete(StoreTx tx, Growing growing) {
        return transport.completeGrowing(tx, growing.peer(), growing.messageId());
    }

    /** Gives up a growing RESPONSE whose answer is not recorded (the exchange failed, or the request was answered). */
    void cancel(Growing growing) {
        transport.cancelGrowing(growing.peer(), growing.messageId());
    }

    /** A status event ({@code delivered}, ...) for the request, that happened at {@code atMs}. */
    void status(StoreTx tx, NodeId peer, MessageId requestId, long requestExpiresMs, String status, long atMs, String detail)
            throws ChannelFullException, IOException {
        Instant now = clock.instant();
        transport.send(tx, peer, Message.of(MessageId.generate(clock), now, expires(now, requestExpiresMs),
                new Envelope.Status(requestId, status, atMs, detail)));
    }

    private static Instant expires(Instant now, long requestExpiresMs) {
        return Instant.ofEpochMilli(Math.max(requestExpiresMs, now.toEpochMilli())).plus(GRACE);
    }

    private static Message withBody(Message message, Body body) {
        return new Message(message.id(), message.created(), message.expires(), message.envelope(), body);
    }

    /**
     * A second name in the body store for the recorded file, durable: a hard link, or a copy
     * where the file system has no links.
     */
    private Path secondName(Path file) throws IOException {
        Path name = bodies.newPath();
        try {
            Files.createLink(name, file);
        } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
            Files.copy(file, name);
            bodies.force(name);
        }
        Disk.REAL.forceDirectory(bodies.dir());
        return name;
    }
}
