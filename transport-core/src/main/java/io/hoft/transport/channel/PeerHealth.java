package io.hoft.transport.channel;

import io.hoft.transport.keys.NodeId;
import java.time.Instant;

/**
 * The state of the link to one peer and the backlog in each direction.
 *
 * @param lastHeard when a verified file from the peer last arrived (null if never)
 * @param queuedMessages messages waiting to be put in a file
 * @param unackedFiles data files sent and not yet acknowledged
 * @param unackedBytes their size
 * @param oldestUnacked when the oldest of them was first sent (null if none)
 * @param resends resends since start
 * @param inboundPending incoming files waiting to be processed
 * @param partialMessages fragmented messages still missing fragments
 */
public record PeerHealth(
        NodeId peer,
        LinkState state,
        Instant lastHeard,
        long queuedMessages,
        long unackedFiles,
        long unackedBytes,
        Instant oldestUnacked,
        long resends,
        long inboundPending,
        long partialMessages) {}
