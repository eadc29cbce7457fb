package io.hoft.tools.spool;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.tools.Human;
import io.hoft.tools.Json;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.SeqRange;
import io.hoft.transport.spool.FrameDescriptor;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One decoded frame as {@code hoft spool show} prints it: the request line or status line, the
 * header fields byte for byte (anything not printable ASCII as {@code \xNN}), and a preview of
 * the body, as text when it is printable UTF-8 and as a hex dump otherwise.
 */
record MessageView(int index, FrameDescriptor descriptor, Envelope envelope, byte[] preview) {

    List<HeaderField> headers() {
        if (envelope instanceof Envelope.Request) {
            return ((Envelope.Request) envelope).headers();
        }
        if (envelope instanceof Envelope.Response) {
            return ((Envelope.Response) envelope).headers();
        }
        return List.of();
    }

    String contentType() {
        return headers().stream().filter(h -> h.hasName("Content-Type")).map(HeaderField::value).findFirst().orElse(null);
    }

    boolean previewCut() {
        return preview.length < descriptor.bodyLength();
    }

    void print(PrintWriter out) {
        out.println("#" + index + " " + descriptor.kind() + " " + descriptor.id());
        String indent = "   ";
        if (envelope instanceof Envelope.Request) {
            Envelope.Request r = (Envelope.Request) envelope;
            out.println(indent + Human.escapeBytes(r.method()) + " " + Human.escapeBytes(r.target()) + "  (upstream " + r.upstream() + ")");
        } else if (envelope instanceof Envelope.Response) {
            Envelope.Response r = (Envelope.Response) envelope;
            out.println(indent + r.status() + " " + Human.escapeBytes(r.reason()) + "  (answers " + r.requestId()
                    + (r.error() == null ? "" : "; made by the back: " + r.error()) + ")");
        } else if (envelope instanceof Envelope.Ack) {
            Envelope.Ack a = (Envelope.Ack) envelope;
            out.println(indent + "ack of epoch " + a.epoch() + ": received up to " + a.upTo()
                    + (a.ranges().isEmpty() ? "" : ", and " + ranges(a.ranges())));
        } else if (envelope instanceof Envelope.Nack) {
            Envelope.Nack n = (Envelope.Nack) envelope;
            out.println(indent + "nack of epoch " + n.epoch() + ": resend " + ranges(n.ranges()) + " (" + n.reason() + ")");
        } else if (envelope instanceof Envelope.Heartbeat) {
            Envelope.Heartbeat h = (Envelope.Heartbeat) envelope;
            out.println(indent + "heartbeat: next within " + Human.duration(Duration.ofMillis(h.intervalMillis())) + ", last seq "
                    + h.lastSeq() + ", floor " + h.floor());
        } else if (envelope instanceof Envelope.Status) {
            Envelope.Status s = (Envelope.Status) envelope;
            out.println(indent + "status of " + s.requestId() + ": " + s.status() + " at " + Human.instant(Instant.ofEpochMilli(s.atMillis()))
                    + (s.detail() == null ? "" : " (" + s.detail() + ")"));
        }
        for (HeaderField field : headers()) {
            out.println(indent + field.name() + ": " + Human.escapeBytes(field.value()));
        }
        if (descriptor.bodyLength() == 0 && !descriptor.isFragment()) {
            return;
        }
        String length = descriptor.isFragment()
                ? "fragment " + (descriptor.fragment().index() + 1) + " of " + descriptor.fragment().count() + ": bytes "
                        + descriptor.fragment().offset() + "-" + (descriptor.fragment().offset() + descriptor.bodyLength() - 1)
                        + " of a " + Human.size(descriptor.fragment().totalLength()) + " body"
                : descriptor.bodyLength() + " bytes";
        String text = Human.printableUtf8(preview, previewCut());
        out.println(indent + "body: " + length + (contentType() == null ? "" : ", " + Human.escapeBytes(contentType()))
                + (preview.length == 0 ? "" : previewCut() ? "; first " + preview.length + " bytes" : "")
                + (preview.length == 0 ? "" : text != null ? ", as text:" : ", in hex:"));
        String shown = text != null ? text : Human.hexDump(preview);
        if (shown.endsWith("\n")) {
            shown = shown.substring(0, shown.length() - 1); // a last line break ends the last line, it opens none
        }
        for (String line : shown.split("\n", -1)) {
            if (!shown.isEmpty()) {
                // printable UTF-8 has no controls but tab and line breaks; a CR is shown, not obeyed
                out.println(indent + "  " + (text != null ? line.replace("\r", "\\x0d") : line));
            }
        }
        if (previewCut()) {
            out.println(indent + "  ... (" + (descriptor.bodyLength() - preview.length) + " more bytes; --body-out FILE --frame "
                    + index + " writes them all)");
        }
    }

    ObjectNode toJson() {
        ObjectNode node = Json.object();
        node.put("index", index);
        node.put("id", descriptor.id().value());
        node.put("kind", descriptor.kind().wireName());
        if (envelope instanceof Envelope.Request) {
            Envelope.Request r = (Envelope.Request) envelope;
            node.put("method", r.method());
            node.put("target", r.target());
            node.put("upstream", r.upstream());
        } else if (envelope instanceof Envelope.Response) {
            Envelope.Response r = (Envelope.Response) envelope;
            node.put("requestId", r.requestId().value());
            node.put("status", r.status());
            node.put("reason", r.reason());
            node.put("error", r.error());
        } else if (envelope instanceof Envelope.Ack) {
            Envelope.Ack a = (Envelope.Ack) envelope;
            node.put("epoch", a.epoch());
            node.put("upTo", a.upTo());
            node.set("ranges", rangesJson(a.ranges()));
        } else if (envelope instanceof Envelope.Nack) {
            Envelope.Nack n = (Envelope.Nack) envelope;
            node.put("epoch", n.epoch());
            node.set("ranges", rangesJson(n.ranges()));
            node.put("reason", n.reason());
        } else if (envelope instanceof Envelope.Heartbeat) {
            Envelope.Heartbeat h = (Envelope.Heartbeat) envelope;
            node.put("intervalMillis", h.intervalMillis());
            node.put("lastSeq", h.lastSeq());
            node.put("floor", h.floor());
        } else if (envelope instanceof Envelope.Status) {
            Envelope.Status s = (Envelope.Status) envelope;
            node.put("requestId", s.requestId().value());
            node.put("status", s.status());
            node.put("atMs", s.atMillis());
            node.put("detail", s.detail());
        }
        if (envelope instanceof Envelope.Request || envelope instanceof Envelope.Response) {
            // Each character of a name or value is one byte (ISO-8859-1), as in the spool file's meta.
            ArrayNode headers = node.putArray("headers");
            headers().forEach(h -> headers.addArray().add(h.name()).add(h.value()));
            ObjectNode body = node.putObject("body");
            body.put("length", descriptor.bodyLength());
            body.put("contentType", contentType());
            String text = Human.printableUtf8(preview, previewCut());
            body.put("previewEncoding", text != null ? "utf-8" : "hex");
            body.put("preview", text != null ? text : HexFormat.of().formatHex(preview));
            body.put("previewComplete", !previewCut());
        }
        return node;
    }

    private static String ranges(List<SeqRange> ranges) {
        return ranges.stream().map(r -> r.first() == r.last() ? Long.toString(r.first()) : r.first() + "-" + r.last())
                .collect(Collectors.joining(", "));
    }

    private static ArrayNode rangesJson(List<SeqRange> ranges) {
        ArrayNode array = Json.array();
        ranges.forEach(r -> array.addArray().add(r.first()).add(r.last()));
        return array;
    }
}
