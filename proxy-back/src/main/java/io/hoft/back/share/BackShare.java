package io.hoft.back.share;

import io.hoft.share.ShareProtocol;
import io.hoft.transport.channel.Transport;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.NodeStore;
import io.hoft.transport.store.StoreTx;
import java.io.Closeable;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The back's side of the file share (SPEC section 20): publishes the catalog of
 * {@code back.share.folders} to every peer and answers file requests addressed to the reserved
 * upstream {@value ShareProtocol#UPSTREAM}. A back without {@code back.share} answers such
 * requests {@code 404 share-not-found} ({@link #refuse}).
 */
public final class BackShare implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(BackShare.class);

    private final SharePublisher publisher;
    private final ShareUploader uploader;
    private final PublishedFolders folders;

    private BackShare(SharePublisher publisher, ShareUploader uploader, PublishedFolders folders) {
        this.publisher = publisher;
        this.uploader = uploader;
        this.folders = folders;
    }

    /**
     * Opens the folders (each must exist). File requests are answered from now on (they arrive
     * once the channel runs); the catalog goes out from {@link #start}.
     */
    public static BackShare open(ShareConfig config, NodeStore store, Transport transport, Clock clock) throws IOException {
        PublishedFolders folders = new PublishedFolders(config.folders());
        SharePublisher publisher = new SharePublisher(folders, config, store, transport, clock);
        ShareUploader uploader = new ShareUploader(folders, config, store, transport, clock, publisher::changed);
        return new BackShare(publisher, uploader, folders);
    }

    /** Sends the first catalog and starts watching; call once the channel started. */
    public void start() throws IOException {
        publisher.start();
        log.info("share: publishing {}", folders.roots());
    }

    /** A share request arrived in the delivery transaction {@code tx}; it is served after the commit. */
    public void onRequest(StoreTx tx, NodeId peer, Message request) {
        Envelope.Request envelope = (Envelope.Request) request.envelope();
        if (envelope.method().equals("GET") && envelope.target().equals(ShareProtocol.CATALOG_TARGET)) {
            tx.afterCommit(() -> publisher.publish(true)); // a front asks for a full catalog
        } else {
            tx.afterCommit(() -> uploader.request(peer, request));
        }
    }

    /** Chunks the peer acknowledged. */
    public void onAcked(List<MessageId> ids) {
        uploader.acked(ids);
    }

    /** Answers a share request on a back that publishes nothing, inside the delivery transaction. */
    public static void refuse(StoreTx tx, Transport transport, NodeId peer, Message request, Clock clock) throws Exception {
        if (((Envelope.Request) request.envelope()).target().equals(ShareProtocol.CATALOG_TARGET)) {
            return;
        }
        Instant now = clock.instant();
        transport.send(tx, peer, new Message(MessageId.generate(clock), now, request.expires().isBefore(now) ? now : request.expires(),
                new Envelope.Response(request.id(), 404, "Not Found", List.of(new HeaderField(ShareProtocol.CHUNK, "-1")),
                        ShareProtocol.NOT_FOUND), Body.EMPTY));
    }

    @Override
    public void close() throws IOException {
        uploader.close();
        publisher.close();
    }
}
