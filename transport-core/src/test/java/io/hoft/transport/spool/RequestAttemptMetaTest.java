package io.hoft.transport.spool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.message.MessageKind;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The optional {@code requestId} and {@code attempt} of a REQUEST meta (SPEC.md 9.1 and 9.1.1). */
class RequestAttemptMetaTest {
    private static final MessageId REQUEST = MessageId.of("01JD4X8Y9Z0000000000000000");

    private static Envelope decode(String json) throws CodecException {
        return MetaCodec.decode(MessageKind.REQUEST, json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aFirstAttemptCarriesNeitherMemberAndIsItsOwnRequest() throws Exception {
        Envelope.Request first = new Envelope.Request("POST", "/x", "api", List.of(new HeaderField("A", "b")));
        String json = new String(MetaCodec.encode(first), StandardCharsets.UTF_8);
        assertFalse(json.contains("requestId") || json.contains("attempt"), json);
        Envelope.Request decoded = (Envelope.Request) decode(json);
        assertEquals(first, decoded);
        assertNull(decoded.requestId());
        assertEquals(1, decoded.attempt());
        MessageId own = MessageId.of("01JD4X8Y9Z0000000000000001");
        assertEquals(own, decoded.requestIdOr(own));
    }

    @Test
    void aLaterAttemptNamesItsRequestAndNumber() throws Exception {
        Envelope.Request later = new Envelope.Request("POST", "/x", "api", List.of(), REQUEST, 3);
        String json = new String(MetaCodec.encode(later), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"requestId\":\"" + REQUEST.value() + "\"") && json.contains("\"attempt\":3"), json);
        Envelope.Request decoded = (Envelope.Request) decode(json);
        assertEquals(later, decoded);
        assertEquals(REQUEST, decoded.requestIdOr(MessageId.of("01JD4X8Y9Z0000000000000002")));
    }

    @Test
    void halfAnAttemptOrAnAttemptBelowTwoIsMalformed() {
        String base = "{\"method\":\"GET\",\"target\":\"/\",\"upstream\":\"api\",\"headers\":[]";
        for (String extra : List.of(",\"requestId\":\"" + REQUEST.value() + "\"", ",\"attempt\":2",
                ",\"requestId\":\"" + REQUEST.value() + "\",\"attempt\":1",
                ",\"requestId\":\"" + REQUEST.value() + "\",\"attempt\":\"2\"",
                ",\"requestId\":\"not an id!\",\"attempt\":2")) {
            CodecException e = assertThrows(CodecException.class, () -> decode(base + extra + "}"), extra);
            assertTrue(e.getMessage().contains("requestId") || e.getMessage().contains("attempt"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new Envelope.Request("GET", "/", "api", List.of(), null, 2));
        assertThrows(IllegalArgumentException.class, () -> new Envelope.Request("GET", "/", "api", List.of(), REQUEST, 1));
    }
}
