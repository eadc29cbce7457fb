package io.hoft.front.callback;

import java.time.Duration;
import java.time.Instant;
import org.apache.hc.client5.http.utils.DateUtils;

/** {@code Retry-After} (RFC 9110 section 10.2.3): delay-seconds, or an HTTP-date. */
final class RetryAfter {

    private RetryAfter() {}

    /**
     * The delay {@code value} asks for, measured from {@code now}, in milliseconds (0 for a
     * date in the past); null if the value is neither form.
     */
    static Long parseDelayMs(String value, Instant now) {
        String text = value.trim();
        if (!text.isEmpty() && text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            if (text.length() > 9) {
                return Duration.ofSeconds(999_999_999L).toMillis();
            }
            return Long.parseLong(text) * 1000;
        }
        Instant date = DateUtils.parseStandardDate(text);
        if (date == null) {
            return null;
        }
        return Math.max(0, Duration.between(now, date).toMillis());
    }
}
