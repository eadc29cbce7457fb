package io.hoft.tools.spool;

import io.hoft.transport.channel.ChannelView;
import io.hoft.transport.store.NodeSnapshot;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A snapshot of the channel's state in a node's database, read through {@link ChannelView}: per
 * peer what was received from it, and every data file sent to it that the database still has a
 * row for. Empty when the node never ran.
 */
final class ChannelRows {
    private final Map<String, ChannelView.PeerChannel> incoming = new LinkedHashMap<>();
    private final Map<List<Object>, ChannelView.SentFile> outFiles = new HashMap<>();

    static ChannelRows load(Optional<NodeSnapshot> database) {
        ChannelRows rows = new ChannelRows();
        if (database.isEmpty() || !ChannelView.exists(database.get().tx())) {
            return rows;
        }
        for (ChannelView.PeerChannel in : ChannelView.peers(database.get().tx())) {
            rows.incoming.put(in.peer(), in);
        }
        for (ChannelView.SentFile file : ChannelView.sentFiles(database.get().tx())) {
            rows.outFiles.put(List.of(file.peer(), file.epoch(), file.seq()), file);
        }
        return rows;
    }

    boolean isEmpty() {
        return incoming.isEmpty();
    }

    Optional<ChannelView.PeerChannel> incoming(String peer) {
        return Optional.ofNullable(incoming.get(peer));
    }

    Optional<ChannelView.SentFile> outFile(String peer, long epoch, long seq) {
        return Optional.ofNullable(outFiles.get(List.of(peer, epoch, seq)));
    }

    /**
     * True if this node already received the data file {@code seq} of {@code epoch} from
     * {@code peer}, or will never take it (an older epoch): a copy still in the inbox is a
     * leftover the node drops as a duplicate.
     */
    boolean received(String peer, long epoch, long seq) {
        ChannelView.PeerChannel in = incoming.get(peer);
        if (in == null || in.inEpoch() < 0) {
            return false;
        }
        return epoch < in.inEpoch() || (epoch == in.inEpoch() && in.received().contains(seq));
    }
}
