package io.hoft.transport.spool;

import static io.hoft.transport.spool.StrictJson.intInRange;
import static io.hoft.transport.spool.StrictJson.latin1;
import static io.hoft.transport.spool.StrictJson.nonNegativeLong;
import static io.hoft.transport.spool.StrictJson.object;
import static io.hoft.transport.spool.StrictJson.string;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.message.MessageKind;
import io.hoft.transport.message.SeqRange;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The meta JSON of each message kind (SPEC.md, "Frame meta"): the typed part of a message
 * that travels inside the payload. Header fields are {@code [name, value]} pairs whose
 * characters are ISO-8859-1 bytes, in their original order, repeats kept.
 */
public final class MetaCodec {
    private MetaCodec() {}

    public static byte[] encode(Envelope envelope) {
        ObjectNode meta = StrictJson.object();
        if (envelope instanceof Envelope.Request) {
            Envelope.Request r = (Envelope.Request) envelope;
            meta.put("method", r.method());
            meta.put("target", r.target());
            meta.put("upstream", r.upstream());
            putHeaders(meta, r.headers());
            if (r.requestId() != null) {
                meta.put("requestId", r.requestId().value());
                meta.put("attempt", r.attempt());
            }
        } else if (envelope instanceof Envelope.Response) {
            Envelope.Response r = (Envelope.Response) envelope;
            meta.put("requestId", r.requestId().value());
            meta.put("status", r.status());
            meta.put("reason", r.reason());
            putHeaders(meta, r.headers());
            if (r.error() != null) {
                meta.put("error", r.error());
            }
        } else if (envelope instanceof Envelope.Ack) {
            Envelope.Ack a = (Envelope.Ack) envelope;
            meta.put("epoch", a.epoch());
            meta.put("upTo", a.upTo());
            putRanges(meta, a.ranges());
        } else if (envelope instanceof Envelope.Nack) {
            Envelope.Nack n = (Envelope.Nack) envelope;
            meta.put("epoch", n.epoch());
            putRanges(meta, n.ranges());
            meta.put("reason", n.reason());
        } else if (envelope instanceof Envelope.Heartbeat) {
            Envelope.Heartbeat h = (Envelope.Heartbeat) envelope;
            meta.put("intervalMillis", h.intervalMillis());
            meta.put("lastSeq", h.lastSeq());
            meta.put("floor", h.floor());
        } else if (envelope instanceof Envelope.Status) {
            Envelope.Status s = (Envelope.Status) envelope;
            meta.put("requestId", s.requestId().value());
            meta.put("status", s.status());
            meta.put("at", s.atMillis());
            if (s.detail() != null) {
                meta.put("detail", s.detail());
            }
        } else {
            throw new IllegalArgumentException("unknown envelope " + envelope);
        }
        return StrictJson.write(meta);
    }

    public static Envelope decode(MessageKind kind, byte[] json) throws CodecException {
        String path = "meta";
        JsonNode node = StrictJson.parse(json, "frame meta");
        try {
            switch (kind) {
                case REQUEST:
                    object(node, path, Set.of("method", "target", "upstream", "headers"), Set.of("requestId", "attempt"));
                    if (node.has("requestId") != node.has("attempt")) {
                        throw CodecException.malformed("meta.requestId and meta.attempt come together or not at all");
                    }
                    String method = string(node, "method", path);
                    if (!isToken(method)) {
                        throw CodecException.malformed("meta.method is not an HTTP token");
                    }
                    String target = latin1(node, "target", path);
                    if (target.isEmpty() || target.chars().anyMatch(c -> c <= 0x20 || c == 0x7f)) {
                        throw CodecException.malformed("meta.target is empty or has a space or control character");
                    }
                    if (node.has("requestId")) {
                        return new Envelope.Request(method, target, string(node, "upstream", path), headers(node, path),
                                messageId(node, "requestId", path), intInRange(node, "attempt", path, 2, Integer.MAX_VALUE));
                    }
                    return new Envelope.Request(method, target, string(node, "upstream", path), headers(node, path));
                case RESPONSE:
                    object(node, path, Set.of("requestId", "status", "reason", "headers"), Set.of("error"));
                    String reason = latin1(node, "reason", path);
                    if (reason.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
                        throw CodecException.malformed("meta.reason has a line break");
                    }
                    return new Envelope.Response(messageId(node, "requestId", path), intInRange(node, "status", path, 100, 999),
                            reason, headers(node, path), node.has("error") ? string(node, "error", path) : null);
                case ACK:
                    object(node, path, Set.of("epoch", "upTo", "ranges"), Set.of());
                    return new Envelope.Ack(nonNegativeLong(node, "epoch", path), nonNegativeLong(node, "upTo", path),
                            ranges(node, path));
                case NACK:
                    object(node, path, Set.of("epoch", "ranges", "reason"), Set.of());
                    return new Envelope.Nack(nonNegativeLong(node, "epoch", path), ranges(node, path), string(node, "reason", path));
                case HEARTBEAT:
                    object(node, path, Set.of("intervalMillis", "lastSeq", "floor"), Set.of());
                    return new Envelope.Heartbeat(nonNegativeLong(node, "intervalMillis", path),
                            nonNegativeLong(node, "lastSeq", path), nonNegativeLong(node, "floor", path));
                case STATUS:
                    object(node, path, Set.of("requestId", "status", "at"), Set.of("detail"));
                    return new Envelope.Status(messageId(node, "requestId", path), string(node, "status", path),
                            nonNegativeLong(node, "at", path), node.has("detail") ? string(node, "detail", path) : null);
                default:
                    throw CodecException.malformed("no meta codec for kind " + kind);
            }
        } catch (IllegalArgumentException e) {
            // A record constructor refused a value the JSON types allowed (a range order, a header byte).
            throw CodecException.malformed("meta of a " + kind + ": " + e.getMessage());
        }
    }

    private static void putHeaders(ObjectNode meta, List<HeaderField> headers) {
        ArrayNode array = meta.putArray("headers");
        for (HeaderField field : headers) {
            array.addArray().add(field.name()).add(field.value());
        }
    }

    private static void putRanges(ObjectNode meta, List<SeqRange> ranges) {
        ArrayNode array = meta.putArray("ranges");
        for (SeqRange range : ranges) {
            array.addArray().add(range.first()).add(range.last());
        }
    }

    private static List<HeaderField> headers(JsonNode node, String path) throws CodecException {
        JsonNode array = node.get("headers");
        if (!array.isArray()) {
            throw CodecException.malformed(path + ".headers must be an array");
        }
        List<HeaderField> fields = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            JsonNode pair = array.get(i);
            String at = path + ".headers[" + i + "]";
            if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isTextual() || !pair.get(1).isTextual()) {
                throw CodecException.malformed(at + " must be a [name, value] pair of strings");
            }
            String name = pair.get(0).asText();
            String value = pair.get(1).asText();
            StrictJson.requireLatin1(value, at);
            try {
                fields.add(new HeaderField(name, value));
            } catch (IllegalArgumentException e) {
                throw CodecException.malformed(at + ": " + e.getMessage());
            }
        }
        return fields;
    }

    private static List<SeqRange> ranges(JsonNode node, String path) throws CodecException {
        JsonNode array = node.get("ranges");
        if (!array.isArray()) {
            throw CodecException.malformed(path + ".ranges must be an array");
        }
        List<SeqRange> ranges = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            JsonNode pair = array.get(i);
            String at = path + ".ranges[" + i + "]";
            if (!pair.isArray() || pair.size() != 2 || !pair.get(0).canConvertToLong() || !pair.get(1).canConvertToLong()
                    || !pair.get(0).isIntegralNumber() || !pair.get(1).isIntegralNumber()) {
                throw CodecException.malformed(at + " must be a [first, last] pair of integers");
            }
            try {
                ranges.add(new SeqRange(pair.get(0).asLong(), pair.get(1).asLong()));
            } catch (IllegalArgumentException e) {
                throw CodecException.malformed(at + ": " + e.getMessage());
            }
        }
        return ranges;
    }

    private static MessageId messageId(JsonNode node, String key, String path) throws CodecException {
        String value = string(node, key, path);
        if (!MessageId.isValid(value)) {
            throw CodecException.malformed(path + "." + key + " is not a valid message id");
        }
        return MessageId.of(value);
    }

    /** RFC 9110 token: one or more tchar. */
    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!tchar) {
                return false;
            }
        }
        return true;
    }
}
