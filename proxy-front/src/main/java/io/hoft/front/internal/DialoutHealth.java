package io.hoft.front.internal;

import io.hoft.link.dialout.DialoutServerLink;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code dialout} member of a peer in {@code /_hoft/health}: its control connection as the front sees it. */
final class DialoutHealth {
    private DialoutHealth() {}

    static Map<String, Object> of(DialoutServerLink link, String peer) {
        for (DialoutServerLink.Connection c : link.connections()) {
            if (c.peer().value().equals(peer)) {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("connected", c.connected());
                json.put("since", c.sinceMs() == 0 ? null : Instant.ofEpochMilli(c.sinceMs()).toString());
                json.put("remote", c.remote());
                json.put("lastHeard", c.lastHeardMs() == 0 ? null : Instant.ofEpochMilli(c.lastHeardMs()).toString());
                json.put("connections", c.connections());
                json.put("heldFiles", c.heldFiles());
                return json;
            }
        }
        return null;
    }
}
