package io.hoft.back;

import io.hoft.transport.channel.ChannelFullException;
import io.hoft.transport.channel.Transport;
import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
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
