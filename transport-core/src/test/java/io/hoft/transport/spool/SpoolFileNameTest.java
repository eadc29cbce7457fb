package io.hoft.transport.spool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.message.MessageKind;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one strict pattern of spool file names: canonical, parsed exactly, derived from the header. */
class SpoolFileNameTest {
    private static final NodeId FRONT = NodeId.of("front");
    private static final NodeId BACK = NodeId.of("back");
    private static final Instant AT = Instant.parse("2026-11-22T12:00:00Z");

    @Test
    void formatsTheCanonicalName() {
        assertEquals("front_back_1763779200000_000000000042_req.hoft",
                new SpoolFileName(FRONT, BACK, 1763779200000L, 42, "req", 0, 0).toString());
        assertEquals("back_front_1763779200000_000000000007_res-p2of5.hoft",
                new SpoolFileName(BACK, FRONT, 1763779200000L, 7, "res", 2, 5).toString());
        assertEquals("a_b_0000000000000_000000000001_ctl.hoft", new SpoolFileName(NodeId.of("a"), NodeId.of("b"), 0, 1, "ctl", 0, 0).toString());
    }

    @Test
    void parsesWhatItFormats() {
        List<SpoolFileName> names = List.of(
                new SpoolFileName(FRONT, BACK, 1763779200000L, 42, "req", 0, 0),
                new SpoolFileName(BACK, FRONT, 1763779200000L, 7, "res", 2, 5),
                new SpoolFileName(NodeId.of("site-7"), NodeId.of("hq"), 0, 1, "sts", 0, 0),
                new SpoolFileName(FRONT, BACK, 1, 999_999_999_999L, "mix", 0, 0),
                new SpoolFileName(FRONT, BACK, Long.MAX_VALUE, Long.MAX_VALUE, "ctl", 0, 0),
                new SpoolFileName(FRONT, BACK, 1763779200000L, 1, "req", 65536, 65536));
        for (SpoolFileName name : names) {
            assertEquals(name, SpoolFileName.parse(name.toString()).orElseThrow(), name.toString());
        }
    }

    @Test
    void rejectsNearMisses() {
        String good = "front_back_1763779200000_000000000042_req.hoft";
        assertTrue(SpoolFileName.parse(good).isPresent());
        List<String> nearMisses = List.of(
                "",
                good + ".tmp",
                "." + good + ".tmp",
                good.toUpperCase(),
                "front_back_1763779200000_000000000042_req.HOFT",
                "front_back_1763779200000_000000000042_req",
                "front_back_176377920000_000000000042_req.hoft", // epoch of 12 digits
                "front_back_01763779200000_000000000042_req.hoft", // epoch zero-padded past 13 digits
                "front_back_1763779200000_00000000042_req.hoft", // seq of 11 digits
                "front_back_1763779200000_0000000000042_req.hoft", // seq zero-padded past 12 digits
                "front_back_1763779200000_000000000000_req.hoft", // seq 0
                "front_back_1763779200000_99999999999999999999_req.hoft", // seq beyond a long
                "front_back_1763779200000_000000000042_ack.hoft",
                "front_back_1763779200000_000000000042_request.hoft",
                "front_back_1763779200000_000000000042_req-p0of5.hoft",
                "front_back_1763779200000_000000000042_req-p6of5.hoft",
                "front_back_1763779200000_000000000042_req-p02of5.hoft",
                "front_back_1763779200000_000000000042_req-p1of1.hoft", // a message of one fragment is not fragmented
                "front_back_1763779200000_000000000042_req-p1of0.hoft",
                "front_back_1763779200000_000000000042_req-p2.hoft",
                "-front_back_1763779200000_000000000042_req.hoft",
                "Front_back_1763779200000_000000000042_req.hoft",
                "front_back_1763779200000_000000000042_req.hoft ",
                "front__back_1763779200000_000000000042_req.hoft",
                "front_back_1763779200000_000000000042_req\u0000.hoft",
                "../front_back_1763779200000_000000000042_req.hoft",
                "front_back_\u0661763779200000_000000000042_req.hoft"); // a non-ASCII digit
        for (String name : nearMisses) {
            assertFalse(SpoolFileName.parse(name).isPresent(), "parsed: " + name);
        }
    }

    @Test
    void refusesToMakeANameItWouldNotParse() {
        assertThrows(IllegalArgumentException.class, () -> new SpoolFileName(FRONT, BACK, 1, 0, "req", 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new SpoolFileName(FRONT, BACK, -1, 1, "req", 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new SpoolFileName(FRONT, BACK, 1, 1, "req", 0, 2));
        assertThrows(IllegalArgumentException.class, () -> new SpoolFileName(FRONT, BACK, 1, 1, "req", 3, 2));
        assertThrows(IllegalArgumentException.class, () -> new SpoolFileName(FRONT, BACK, 1, 1, "req", 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new SpoolFileName(FRONT, BACK, 1, 1, "req", 3, 0));
    }

    @Test
    void kindTokenSaysWhatDataTheFileCarries() {
        assertEquals("req", nameOf(MessageKind.REQUEST).kind());
        assertEquals("res", nameOf(MessageKind.RESPONSE, MessageKind.RESPONSE).kind());
        assertEquals("sts", nameOf(MessageKind.STATUS).kind());
        assertEquals("req", nameOf(MessageKind.ACK, MessageKind.REQUEST, MessageKind.HEARTBEAT).kind(), "control frames ride along unnamed");
        assertEquals("mix", nameOf(MessageKind.REQUEST, MessageKind.RESPONSE).kind());
        assertEquals("mix", nameOf(MessageKind.STATUS, MessageKind.ACK, MessageKind.RESPONSE).kind());
        assertEquals("ctl", nameOf(MessageKind.ACK, MessageKind.NACK, MessageKind.HEARTBEAT).kind());
        assertFalse(nameOf(MessageKind.REQUEST).isFragment());
    }

    @Test
    void aFragmentsNameCountsPartsFromOne() {
        SpoolFileHeader header = header(List.of(frame(0, MessageKind.RESPONSE, new FragmentInfo(1, 5, 100, 500))));
        SpoolFileName name = header.fileName();
        assertEquals("front_back_1763779200000_000000000042_res-p2of5.hoft", name.toString());
        assertTrue(name.isFragment());
    }

    @Test
    void aNameMatchesOnlyTheHeaderThatSaysTheSame() {
        SpoolFileHeader header = header(List.of(frame(0, MessageKind.REQUEST, null)));
        SpoolFileName name = SpoolFileName.parse("front_back_1763779200000_000000000042_req.hoft").orElseThrow();
        assertTrue(name.matches(header));
        assertFalse(SpoolFileName.parse("front_back_1763779200000_000000000043_req.hoft").orElseThrow().matches(header));
        assertFalse(SpoolFileName.parse("front_back_1763779200001_000000000042_req.hoft").orElseThrow().matches(header));
        assertFalse(SpoolFileName.parse("back_front_1763779200000_000000000042_req.hoft").orElseThrow().matches(header));
        assertFalse(SpoolFileName.parse("front_back_1763779200000_000000000042_res.hoft").orElseThrow().matches(header));
        assertFalse(SpoolFileName.parse("front_back_1763779200000_000000000042_req-p1of2.hoft").orElseThrow().matches(header));
    }

    private static SpoolFileName nameOf(MessageKind... kinds) {
        List<FrameDescriptor> frames = new ArrayList<>();
        for (int i = 0; i < kinds.length; i++) {
            frames.add(frame(i, kinds[i], null));
        }
        return header(frames).fileName();
    }

    private static FrameDescriptor frame(int i, MessageKind kind, FragmentInfo fragment) {
        long bodyLength = fragment == null ? 0 : 100;
        return new FrameDescriptor(MessageId.of("m" + i), kind, AT, AT.plusSeconds(60), 10, bodyLength, "0".repeat(64), fragment);
    }

    private static SpoolFileHeader header(List<FrameDescriptor> frames) {
        return new SpoolFileHeader(1, FileMode.SIGNED_ENCRYPTED, FRONT, BACK, 1763779200000L, 42, AT, AT.plusSeconds(60),
                frames, 100, "0".repeat(64), 65536, "key", "ES256", "kid");
    }
}
