package io.hoft.tools.spool;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.transport.store.NodeSnapshot;
import java.time.Instant;
import java.util.List;

/**
 * A part of {@code hoft spool stats} that a layer above the channel contributes from its own
 * tables in the node's database. The request store's counts by status (front: queued,
 * transferred, delivered, responded, failed, expired; back: queued, calling, responded) come in
 * as one of these once the proxies land: implement it beside {@link RequestCounts} and list it
 * in {@link #ALL}. Its JSON appears under {@code sections.NAME}.
 */
interface StatsSection {
    /** The sections stats shows, in order. */
    List<StatsSection> ALL = List.of(new RequestCounts());

    /** The section's key in the JSON and its heading for people. */
    String name();

    /**
     * The section read from the node's database (read-only; one consistent snapshot shared with
     * the rest of stats). A section with nothing to say for this node returns
     * {@code {"available": false, "note": "..."}}.
     */
    ObjectNode collect(NodeSnapshot db, Instant now);

    /** The section for people: a few lines, without the heading. */
    List<String> describe(ObjectNode section);
}
