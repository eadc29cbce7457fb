package io.hoft.tools.spool;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.tools.Json;
import io.hoft.transport.spool.FrameDescriptor;
import io.hoft.transport.spool.SpoolFileHeader;
import io.hoft.transport.spool.SpoolFileName;

/** The JSON shapes the spool commands share. */
final class Render {
    private Render() {}

    /** A file as {@code ls} and {@code verify} list it. */
    static ObjectNode inspection(Inspection inspection) {
        ObjectNode node = Json.object();
        node.put("path", inspection.path().toString());
        SpoolFileName name = inspection.name();
        node.put("name", name == null ? inspection.path().getFileName().toString() : name.toString());
        node.put("ok", inspection.passed());
        node.put("problem", inspection.problem());
        node.put("detail", inspection.detail());
        node.put("check", inspection.checked().wireName());
        node.put("verified", inspection.verified());
        if (name != null) {
            node.put("sender", name.sender().value());
            node.put("recipient", name.recipient().value());
            node.put("kind", name.kind());
            node.put("epoch", name.epoch());
            node.put("seq", name.seq());
            if (name.isFragment()) {
                node.put("part", name.part());
                node.put("parts", name.parts());
            }
        }
        if (inspection.header() != null) {
            node.put("frames", inspection.header().frames().size());
            node.put("dataFrames", inspection.header().frames().stream().filter(f -> !f.kind().isControl()).count());
            node.put("mode", inspection.header().mode().wireName());
            Json.putMs(node, "expiresMs", inspection.header().expires());
        }
        node.put("size", inspection.size());
        Json.putMs(node, "modifiedMs", inspection.modified());
        if (inspection.entry().isQuarantined()) {
            Json.putMs(node, "quarantinedMs", inspection.entry().quarantinedAt());
            node.put("quarantineReason", inspection.entry().quarantineReason());
        }
        return node;
    }

    /** Every claim of a header. */
    static ObjectNode header(SpoolFileHeader header) {
        ObjectNode node = Json.object();
        node.put("version", header.version());
        node.put("mode", header.mode().wireName());
        node.put("sender", header.sender().value());
        node.put("recipient", header.recipient().value());
        node.put("epoch", header.epoch());
        node.put("seq", header.seq());
        Json.putMs(node, "createdMs", header.created());
        Json.putMs(node, "expiresMs", header.expires());
        node.put("fileName", header.fileName().toString());
        ObjectNode signature = node.putObject("signature");
        signature.put("alg", header.signingAlgorithm());
        signature.put("kid", header.signingKid());
        signature.put("session", Inspector.isSession(header)); // the kid is the session's id (format versions 2 and 4)
        ObjectNode payload = node.putObject("payload");
        payload.put("length", header.payloadLength());
        payload.put("sha256", header.payloadSha256());
        payload.put("compression", "zstd");
        if (header.mode().isEncrypted()) {
            ObjectNode encryption = node.putObject("encryption");
            encryption.put("algorithm", "A256GCM-STREAM");
            encryption.put("segmentSize", header.segmentSize());
            ContentKey.describe(header.contentKey()).ifPresent(key -> {
                encryption.put("keyAlg", key.alg());
                encryption.put("keyKid", key.kid());
            });
        }
        ArrayNode frames = node.putArray("frames");
        for (int i = 0; i < header.frames().size(); i++) {
            frames.add(frame(i, header.frames().get(i)));
        }
        return node;
    }

    static ObjectNode frame(int index, FrameDescriptor frame) {
        ObjectNode node = Json.object();
        node.put("index", index);
        node.put("id", frame.id().value());
        node.put("kind", frame.kind().wireName());
        Json.putMs(node, "createdMs", frame.created());
        Json.putMs(node, "expiresMs", frame.expires());
        node.put("metaLength", frame.metaLength());
        node.put("bodyLength", frame.bodyLength());
        if (frame.sha256() != null) {
            node.put("sha256", frame.sha256()); // format versions 1 and 2 only
        }
        if (frame.isFragment()) {
            ObjectNode fragment = node.putObject("fragment");
            fragment.put("index", frame.fragment().index());
            fragment.put("count", frame.fragment().count());
            fragment.put("offset", frame.fragment().offset());
            fragment.put("totalLength", frame.fragment().totalLength());
        }
        return node;
    }
}
