package io.hoft.transport.message;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A message's stable identity, kept for the whole life of a call across resends.
 *
 * <p>Ids are 1 to 64 characters from {@code [A-Za-z0-9_-]}, so they are safe in file names,
 * URLs and logs. Generated ids are 26 characters of Crockford base32 over 48 bits of
 * milliseconds and 80 random bits (the ULID layout), so they sort by creation time.
 */
public final class MessageId implements Comparable<MessageId> {
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final char[] CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String value;

    private MessageId(String value) {
        this.value = value;
    }

    /** Parses an id, rejecting anything outside the allowed alphabet and length. */
    public static MessageId of(String value) {
        Objects.requireNonNull(value, "value");
        if (!VALID.matcher(value).matches()) {
            throw new IllegalArgumentException("invalid message id (want 1-64 of [A-Za-z0-9_-])");
        }
        return new MessageId(value);
    }

    public static boolean isValid(String value) {
        return value != null && VALID.matcher(value).matches();
    }

    /** A new time-ordered random id. */
    public static MessageId generate(Clock clock) {
        long millis = clock.millis();
        byte[] random = new byte[10];
        RANDOM.nextBytes(random);
        char[] out = new char[26];
        // 48-bit time in the first 10 characters (50 bits, top two zero).
        for (int i = 9; i >= 0; i--) {
            out[i] = CROCKFORD[(int) (millis & 31)];
            millis >>>= 5;
        }
        // 80 random bits in the last 16 characters.
        long hi = 0;
        for (int i = 0; i < 5; i++) {
            hi = (hi << 8) | (random[i] & 0xff);
        }
        long lo = 0;
        for (int i = 5; i < 10; i++) {
            lo = (lo << 8) | (random[i] & 0xff);
        }
        for (int i = 17; i >= 10; i--) {
            out[i] = CROCKFORD[(int) (hi & 31)];
            hi >>>= 5;
        }
        for (int i = 25; i >= 18; i--) {
            out[i] = CROCKFORD[(int) (lo & 31)];
            lo >>>= 5;
        }
        return new MessageId(new String(out));
    }

    public String value() {
        return value;
    }

    @Override
    public int compareTo(MessageId other) {
        return value.compareTo(other.value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MessageId && ((MessageId) o).value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return value;
    }
}
