package io.hoft.transport.spool.internal;

import static io.hoft.transport.spool.StrictJson.intInRange;
import static io.hoft.transport.spool.StrictJson.nonNegativeLong;
import static io.hoft.transport.spool.StrictJson.object;
import static io.hoft.transport.spool.StrictJson.string;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.message.MessageKind;
import io.hoft.transport.spool.CodecException;
import io.hoft.transport.spool.Digests;
import io.hoft.transport.spool.FileMode;
import io.hoft.transport.spool.FragmentInfo;
import io.hoft.transport.spool.FrameDescriptor;
import io.hoft.transport.spool.SpoolFileHeader;
import io.hoft.transport.spool.SpoolLimits;
import io.hoft.transport.spool.StrictJson;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The header claims: the JSON that is the JWS payload of a spool file's header. Field names,
 * order and rules are in SPEC.md ("Header claims"); this class is their only implementation.
 */
public final class HeaderClaimsCodec {
    static final String COMPRESSION = "zstd";
    static final String ENCRYPTION_ALGORITHM = "A256GCM-STREAM";

    private static final Set<String> TOP = Set.of(
            "hoft", "mode", "sender", "recipient", "epoch", "seq", "created", "expires", "frames", "payload");
    private static final Set<String> TOP_OPTIONAL = Set.of("encryption");
    private static final Set<String> FRAME = Set.of("id", "kind", "created", "expires", "metaLength", "bodyLength");
    private static final Set<String> FRAME_WITH_DIGEST =
            Set.of("id", "kind", "created", "expires", "metaLength", "bodyLength", "sha256");
    private static final Set<String> FRAME_OPTIONAL = Set.of("fragment");
    private static final Set<String> FRAGMENT = Set.of("index", "count", "offset", "totalLength");
    private static final Set<String> PAYLOAD = Set.of("length", "sha256", "compression");
    private static final Set<String> ENCRYPTION = Set.of("algorithm", "segmentSize", "key");

    private HeaderClaimsCodec() {}

    public static byte[] encode(SpoolFileHeader header) {
        ObjectNode claims = StrictJson.object();
        claims.put("hoft", header.version());
        claims.put("mode", header.mode().wireName());
        claims.put("sender", header.sender().value());
        claims.put("recipient", header.recipient().value());
        claims.put("epoch", header.epoch());
        claims.put("seq", header.seq());
        claims.put("created", header.created().toEpochMilli());
        claims.put("expires", header.expires().toEpochMilli());
        ArrayNode frames = claims.putArray("frames");
        for (FrameDescriptor frame : header.frames()) {
            ObjectNode f = frames.addObject();
            f.put("id", frame.id().value());
            f.put("kind", frame.kind().wireName());
            f.put("created", frame.created().toEpochMilli());
            f.put("expires", frame.expires().toEpochMilli());
            f.put("metaLength", frame.metaLength());
            f.put("bodyLength", frame.bodyLength());
            if (frame.sha256() != null) {
                f.put("sha256", frame.sha256());
            }
            if (frame.isFragment()) {
                ObjectNode g = f.putObject("fragment");
                g.put("index", frame.fragment().index());
                g.put("count", frame.fragment().count());
                g.put("offset", frame.fragment().offset());
                g.put("totalLength", frame.fragment().totalLength());
            }
        }
        ObjectNode payload = claims.putObject("payload");
        payload.put("length", header.payloadLength());
        payload.put("sha256", header.payloadSha256());
        payload.put("compression", COMPRESSION);
        if (header.mode().isEncrypted()) {
            ObjectNode encryption = claims.putObject("encryption");
            encryption.put("algorithm", ENCRYPTION_ALGORITHM);
            encryption.put("segmentSize", header.segmentSize());
            encryption.put("key", header.contentKey());
        }
        return StrictJson.write(claims);
    }

    /** Parses and checks the claims; the signing fields come from the JWS protected header. */
    public static SpoolFileHeader decode(byte[] json, String signingAlgorithm, String signingKid, SpoolLimits limits)
            throws CodecException {
        JsonNode claims = object(StrictJson.parse(json, "header claims"), "claims", TOP, TOP_OPTIONAL);
        int version = intInRange(claims, "hoft", "claims", 0, Integer.MAX_VALUE);
        FileMode mode = FileMode.fromWireName(string(claims, "mode", "claims"))
                .orElseThrow(() -> CodecException.malformed("claims.mode is not a known mode"));
        NodeId sender = nodeId(claims, "sender");
        NodeId recipient = nodeId(claims, "recipient");
        long epoch = nonNegativeLong(claims, "epoch", "claims");
        long seq = nonNegativeLong(claims, "seq", "claims");
        Instant created = Instant.ofEpochMilli(nonNegativeLong(claims, "created", "claims"));
        Instant expires = Instant.ofEpochMilli(nonNegativeLong(claims, "expires", "claims"));

        JsonNode framesNode = claims.get("frames");
        if (!framesNode.isArray() || framesNode.isEmpty()) {
            throw CodecException.malformed("claims.frames must be a non-empty array");
        }
        if (framesNode.size() > limits.maxFrames()) {
            throw CodecException.limit("file has " + framesNode.size() + " frames, more than the cap of " + limits.maxFrames());
        }
        List<FrameDescriptor> frames = new ArrayList<>(framesNode.size());
        Set<MessageId> ids = new HashSet<>();
        long plainTotal = 0;
        Instant latest = Instant.EPOCH;
        boolean sawFragment = false;
        for (int i = 0; i < framesNode.size(); i++) {
            FrameDescriptor frame = frame(framesNode.get(i), "claims.frames[" + i + "]", Preamble.hasFrameDigests(version),
                    limits);
            if (!ids.add(frame.id())) {
                throw CodecException.malformed("claims.frames[" + i + "].id repeats an earlier frame's id");
            }
            if (frame.isFragment()) {
                if (sawFragment) {
                    throw CodecException.malformed("claims.frames[" + i + "] is a second fragment; a file carries at most one");
                }
                sawFragment = true;
            }
            plainTotal += frame.plainLength();
            if (plainTotal > limits.maxPlainBytes()) {
                throw CodecException.limit("frames declare more than the cap of " + limits.maxPlainBytes() + " decompressed bytes");
            }
            latest = frame.expires().isAfter(latest) ? frame.expires() : latest;
            frames.add(frame);
        }
        if (seq < 1 && frames.stream().anyMatch(f -> !f.kind().isControl())) {
            throw CodecException.malformed("claims.seq must be at least 1 in a file with data frames");
        }
        if (created.isAfter(expires)) {
            throw CodecException.malformed("claims.created is after claims.expires");
        }
        if (!expires.equals(latest)) {
            throw CodecException.malformed("claims.expires must equal the latest expires of its frames");
        }

        JsonNode payload = object(claims.get("payload"), "claims.payload", PAYLOAD, Set.of());
        long payloadLength = nonNegativeLong(payload, "length", "claims.payload");
        if (payloadLength > limits.maxFileBytes()) {
            throw CodecException.limit("payload of " + payloadLength + " bytes is over the cap of " + limits.maxFileBytes());
        }
        String payloadSha256 = sha256(payload, "claims.payload");
        if (!COMPRESSION.equals(string(payload, "compression", "claims.payload"))) {
            throw CodecException.malformed("claims.payload.compression must be \"zstd\"");
        }

        int segmentSize = 0;
        String contentKey = null;
        JsonNode encryption = claims.get("encryption");
        if (mode.isEncrypted() != (encryption != null)) {
            throw CodecException.malformed("claims.encryption must be present exactly when mode is \"encrypted\"");
        }
        if (encryption != null) {
            object(encryption, "claims.encryption", ENCRYPTION, Set.of());
            if (!ENCRYPTION_ALGORITHM.equals(string(encryption, "algorithm", "claims.encryption"))) {
                throw CodecException.malformed("claims.encryption.algorithm must be \"" + ENCRYPTION_ALGORITHM + "\"");
            }
            segmentSize = intInRange(encryption, "segmentSize", "claims.encryption",
                    SegmentCipher.MIN_SEGMENT_SIZE, SegmentCipher.MAX_SEGMENT_SIZE);
            if (!SegmentCipher.isValidSegmentSize(segmentSize)) {
                throw CodecException.malformed("claims.encryption.segmentSize must be a power of two");
            }
            contentKey = string(encryption, "key", "claims.encryption");
            if (contentKey.isEmpty()) {
                throw CodecException.malformed("claims.encryption.key is empty");
            }
        }
        return new SpoolFileHeader(version, mode, sender, recipient, epoch, seq, created, expires, frames,
                payloadLength, payloadSha256, segmentSize, contentKey, signingAlgorithm, signingKid);
    }

    /** {@code withDigest}: versions 1 and 2 require the frame's {@code sha256}, later versions refuse it. */
    private static FrameDescriptor frame(JsonNode node, String path, boolean withDigest, SpoolLimits limits)
            throws CodecException {
        object(node, path, withDigest ? FRAME_WITH_DIGEST : FRAME, FRAME_OPTIONAL);
        String id = string(node, "id", path);
        if (!MessageId.isValid(id)) {
            throw CodecException.malformed(path + ".id is not a valid message id");
        }
        MessageKind kind = MessageKind.fromWireName(string(node, "kind", path))
                .orElseThrow(() -> CodecException.malformed(path + ".kind is not a known message kind"));
        Instant created = Instant.ofEpochMilli(nonNegativeLong(node, "created", path));
        Instant expires = Instant.ofEpochMilli(nonNegativeLong(node, "expires", path));
        if (created.isAfter(expires)) {
            throw CodecException.malformed(path + ".created is after its expires");
        }
        long metaLength = nonNegativeLong(node, "metaLength", path);
        if (metaLength > limits.maxMetaBytes()) {
            throw CodecException.limit(path + " has " + metaLength + " bytes of meta, over the cap of " + limits.maxMetaBytes());
        }
        long bodyLength = nonNegativeLong(node, "bodyLength", path);
        if (bodyLength > limits.maxBodyBytes()) {
            throw CodecException.limit(path + " has a body of " + bodyLength + " bytes, over the cap of " + limits.maxBodyBytes());
        }
        String sha256 = withDigest ? sha256(node, path) : null;
        FragmentInfo fragment = null;
        if (node.has("fragment")) {
            String fpath = path + ".fragment";
            JsonNode f = object(node.get("fragment"), fpath, FRAGMENT, Set.of());
            int count = intInRange(f, "count", fpath, 2, Integer.MAX_VALUE);
            if (count > limits.maxFragments()) {
                throw CodecException.limit(fpath + ".count " + count + " is over the cap of " + limits.maxFragments());
            }
            int index = intInRange(f, "index", fpath, 0, count - 1);
            long offset = nonNegativeLong(f, "offset", fpath);
            long total = nonNegativeLong(f, "totalLength", fpath);
            if (total > limits.maxBodyBytes()) {
                throw CodecException.limit(fpath + ".totalLength " + total + " is over the cap of " + limits.maxBodyBytes());
            }
            if (offset > total || bodyLength > total - offset) {
                throw CodecException.malformed(fpath + " covers bytes beyond totalLength");
            }
            if (kind != MessageKind.REQUEST && kind != MessageKind.RESPONSE) {
                throw CodecException.malformed(path + " is a fragment of a " + kind + "; only bodies are fragmented");
            }
            checkFragmentLayout(fpath, index, count, offset, total, bodyLength);
            fragment = new FragmentInfo(index, count, offset, total);
        }
        if (kind.isControl() && bodyLength != 0) {
            throw CodecException.malformed(path + " is a " + kind + " with a body; control messages have none");
        }
        return new FrameDescriptor(MessageId.of(id), kind, created, expires, metaLength, bodyLength, sha256, fragment);
    }

    /**
     * Fragments of a body all have one size S except the last, which holds the remaining 1..S
     * bytes: fragment i covers {@code [i*S, i*S + length)}. So every fragment proves its own
     * place, and fragments that overlap or leave holes cannot all verify.
     */
    private static void checkFragmentLayout(String path, int index, int count, long offset, long total, long length)
            throws CodecException {
        boolean last = index == count - 1;
        long size = last ? offset / index : length; // a last fragment has index >= 1 since count >= 2
        boolean consistent = size > 0 && length > 0
                && offset == (long) index * size
                && (last ? offset + length == total && length <= size : length == size)
                && total > (count - 1) * size && total <= count * size;
        if (!consistent) {
            throw CodecException.malformed(path + " does not fit one fragment size: fragment " + index + " of " + count
                    + " covers " + length + " bytes at " + offset + " of " + total);
        }
    }

    private static NodeId nodeId(JsonNode claims, String key) throws CodecException {
        String value = string(claims, key, "claims");
        if (!NodeId.isValid(value)) {
            throw CodecException.malformed("claims." + key + " is not a valid node id");
        }
        return NodeId.of(value);
    }

    private static String sha256(JsonNode node, String path) throws CodecException {
        String value = string(node, "sha256", path);
        if (!Digests.isSha256Hex(value)) {
            throw CodecException.malformed(path + ".sha256 must be 64 lowercase hex digits");
        }
        return value;
    }
}
