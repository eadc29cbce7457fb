package io.hoft.transport.channel;

import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.StoreTx;
import java.util.List;

/**
 * The layer above the channel (the proxies). Every callback runs inside the transaction that
 * records the event in the channel, so what the listener stores with {@code tx} commits
 * together with it or not at all: a message is delivered exactly once even across crashes.
 * Callbacks must do only local database work: no network, no waiting.
 */
public interface ChannelListener {

    /** A request, response or status event arrived from {@code peer}; it is never delivered again. */
    void onMessage(StoreTx tx, NodeId peer, ReceivedMessage message) throws Exception;

    /** The peer acknowledged these sent messages (all of their fragments). */
    default void onAcked(StoreTx tx, NodeId peer, List<MessageId> ids) {}

    /** These sent messages expired before the peer acknowledged them; they will not be sent again. */
    default void onSendExpired(StoreTx tx, NodeId peer, List<MessageId> ids) {}
}
