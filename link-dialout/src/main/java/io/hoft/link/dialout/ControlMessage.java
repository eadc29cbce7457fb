package io.hoft.link.dialout;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.transport.spool.SpoolFileName;
import java.util.Optional;

/**
 * One control message of the dial-out link (SPEC.md section 19.4): a JSON object in one
 * WebSocket text message, with a {@code type} and the members that type has.
 *
 * <pre>
 * {"type":"hello","version":1,"node":"back"}                    dialer to front, first message
 * {"type":"welcome","version":1,"node":"front","heartbeatMs":N} front to dialer, the answer
 * {"type":"available","name":"front_back_..._req.hoft","size":N} front to dialer: come and GET it
 * {"type":"fetched","name":"front_back_..._req.hoft"}          dialer to front: stored, drop yours
 * {"type":"list"}                                              dialer to front: announce everything again
 * {"type":"catalog"}                                           either way: the shared-file catalog changed
 * {"type":"ping","at":MS} / {"type":"pong","at":MS}            either way: heartbeat and its answer
 * </pre>
 *
 * A message that is not a JSON object, lacks {@code type}, or lacks a member its type requires
 * is a protocol error; an unknown type is ignored (a newer peer may send more).
 */
public record ControlMessage(String type, String name, Long size, Long at, Integer version, String node, Long heartbeatMs) {
    public static final int VERSION = 1;
    /** The largest control message either side accepts, in characters. */
    public static final int MAX_CHARS = 16 * 1024;

    public static final String HELLO = "hello";
    public static final String WELCOME = "welcome";
    public static final String AVAILABLE = "available";
    public static final String FETCHED = "fetched";
    public static final String LIST = "list";
    public static final String PING = "ping";
    public static final String PONG = "pong";

    private static final ObjectMapper JSON = new ObjectMapper();

    public static ControlMessage hello(String node) {
        return new ControlMessage(HELLO, null, null, null, VERSION, node, null);
    }

    public static ControlMessage welcome(String node, long heartbeatMs) {
        return new ControlMessage(WELCOME, null, null, null, VERSION, node, heartbeatMs);
    }

    public static ControlMessage available(SpoolFileName name, long size) {
        return new ControlMessage(AVAILABLE, name.toString(), size, null, null, null, null);
    }

    public static ControlMessage fetched(SpoolFileName name) {
        return new ControlMessage(FETCHED, name.toString(), null, null, null, null, null);
    }

    public static ControlMessage of(String type) {
        return new ControlMessage(type, null, null, null, null, null, null);
    }

    public static ControlMessage ping(long atMs) {
        return new ControlMessage(PING, null, null, atMs, null, null, null);
    }

    public static ControlMessage pong(long atMs) {
        return new ControlMessage(PONG, null, null, atMs, null, null, null);
    }

    /** The spool file name this message carries, if it is a canonical one. */
    public Optional<SpoolFileName> spoolName() {
        return name == null ? Optional.empty() : SpoolFileName.parse(name);
    }

    public String encode() {
        ObjectNode node = JSON.createObjectNode();
        node.put("type", type);
        if (name != null) {
            node.put("name", name);
        }
        if (size != null) {
            node.put("size", size);
        }
        if (at != null) {
            node.put("at", at);
        }
        if (version != null) {
            node.put("version", version);
        }
        if (this.node != null) {
            node.put("node", this.node);
        }
        if (heartbeatMs != null) {
            node.put("heartbeatMs", heartbeatMs);
        }
        return node.toString();
    }

    /** Parses one message; throws {@link IllegalArgumentException} for a protocol error. */
    public static ControlMessage decode(String text) {
        if (text.length() > MAX_CHARS) {
            throw new IllegalArgumentException("control message longer than " + MAX_CHARS + " characters");
        }
        JsonNode tree;
        try {
            tree = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("control message is not JSON: " + e.getOriginalMessage());
        }
        if (tree == null || !tree.isObject()) {
            throw new IllegalArgumentException("control message is not a JSON object");
        }
        String type = text(tree, "type", true);
        ControlMessage message = new ControlMessage(type, text(tree, "name", false), number(tree, "size"), number(tree, "at"),
                tree.has("version") ? version(number(tree, "version")) : null, text(tree, "node", false),
                number(tree, "heartbeatMs"));
        switch (type) {
            case HELLO, WELCOME -> {
                if (message.version == null || message.node == null) {
                    throw new IllegalArgumentException(type + " needs version and node");
                }
            }
            case AVAILABLE -> {
                if (message.spoolName().isEmpty() || message.size == null || message.size < 0) {
                    throw new IllegalArgumentException("available needs a spool file name and a size");
                }
            }
            case FETCHED -> {
                if (message.spoolName().isEmpty()) {
                    throw new IllegalArgumentException("fetched needs a spool file name");
                }
            }
            default -> {
                // list, catalog, ping, pong need nothing; unknown types are the caller's to ignore
            }
        }
        return message;
    }

    private static Integer version(Long value) {
        if (value != null && (value < 0 || value > Integer.MAX_VALUE)) {
            throw new IllegalArgumentException("version " + value + " is out of range");
        }
        return value == null ? null : value.intValue();
    }

    private static String text(JsonNode tree, String member, boolean required) {
        JsonNode value = tree.get(member);
        if (value == null || value.isNull()) {
            if (required) {
                throw new IllegalArgumentException("control message without " + member);
            }
            return null;
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException(member + " is not a string");
        }
        return value.asText();
    }

    private static Long number(JsonNode tree, String member) {
        JsonNode value = tree.get(member);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new IllegalArgumentException(member + " is not an integer");
        }
        return value.asLong();
    }
}
