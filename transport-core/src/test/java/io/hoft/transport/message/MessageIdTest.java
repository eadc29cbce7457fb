package io.hoft.transport.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Message ids: a safe alphabet, and generated ids that sort by creation time. */
class MessageIdTest {
    private static final String CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    @Test
    void acceptsOneTo64CharactersOfLettersDigitsHyphenAndUnderscore() {
        for (String valid : List.of("a", "Z", "0", "-", "_", "01JD0000000000000000000000", "req_1-a", "x".repeat(64))) {
            assertTrue(MessageId.isValid(valid), valid);
            assertEquals(valid, MessageId.of(valid).value());
            assertEquals(valid, MessageId.of(valid).toString());
        }
    }

    @Test
    void rejectsEverythingElse() {
        for (String invalid : List.of("", "x".repeat(65), "a b", "a/b", "..", "a.b", "caf\u00e9", "a\nb", "a:b", "%41", "\u0661")) {
            assertFalse(MessageId.isValid(invalid), invalid);
            assertThrows(IllegalArgumentException.class, () -> MessageId.of(invalid), invalid);
        }
        assertFalse(MessageId.isValid(null));
        assertThrows(NullPointerException.class, () -> MessageId.of(null));
    }

    @Test
    void generatedIdsAre26CrockfordCharactersStartingWithTheTime() {
        Instant at = Instant.parse("2026-11-22T12:00:00.123Z");
        MessageId id = MessageId.generate(new MutableClock(at));
        assertEquals(26, id.value().length());
        long millis = 0;
        for (char c : id.value().toCharArray()) {
            assertTrue(CROCKFORD.indexOf(c) >= 0, id.value());
        }
        for (int i = 0; i < 10; i++) {
            millis = millis * 32 + CROCKFORD.indexOf(id.value().charAt(i));
        }
        assertEquals(at.toEpochMilli(), millis);
    }

    @Test
    void generatedIdsSortByCreationTimeAndDoNotRepeat() {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-22T12:00:00Z"));
        List<MessageId> ids = new ArrayList<>();
        Set<MessageId> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            MessageId id = MessageId.generate(clock);
            ids.add(id);
            assertTrue(seen.add(id), "repeated " + id);
            clock.advance(Duration.ofMillis(1 + (i % 3) * 1000L));
        }
        List<MessageId> sorted = new ArrayList<>(ids);
        sorted.sort(null);
        assertEquals(ids, sorted);
    }

    @Test
    void idsAreEqualByValueAndOrderedLikeTheirText() {
        assertEquals(MessageId.of("abc"), MessageId.of("abc"));
        assertEquals(MessageId.of("abc").hashCode(), MessageId.of("abc").hashCode());
        assertNotEquals(MessageId.of("abc"), MessageId.of("ABC"));
        assertEquals(0, MessageId.of("abc").compareTo(MessageId.of("abc")));
        assertTrue(MessageId.of("A").compareTo(MessageId.of("B")) < 0);
        assertTrue(MessageId.of("01").compareTo(MessageId.of("1")) < 0);
    }
}
