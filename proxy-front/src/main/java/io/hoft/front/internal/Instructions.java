package io.hoft.front.internal;

import io.hoft.front.CallbackFormat;
import io.hoft.front.FrontConfig;
import io.hoft.transport.config.Durations;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * What a caller asks of the front, from the request's {@code Hoft-*} fields and its
 * {@code Prefer} field (RFC 7240; the preferences acted on here are not forwarded, the others are:
 * {@link Preferences}):
 *
 * <ul>
 *   <li>{@code Hoft-Callback: URL}: answer 202 at once, POST the response there;
 *   <li>{@code Hoft-Callback-Format: json|raw} (default json);
 *   <li>{@code Hoft-Status-Callback: URL}: status events there;
 *   <li>{@code Prefer: respond-async}: answer 202 at once (poll for the result);
 *   <li>{@code Prefer: wait=N}: a sync call waits N seconds (at most {@code sync.maxWait});
 *   <li>{@code Hoft-Ttl: N} (seconds, or a duration such as {@code 90s}, {@code 5m}): the call
 *       expires sooner than {@code requestTtl}; a longer value is cut to {@code requestTtl}.
 * </ul>
 *
 * An unknown {@code Hoft-} field is refused (a misspelt {@code Hoft-Callback} must not turn
 * an async call into a sync one silently).
 */
record Instructions(URI callback, CallbackFormat format, URI statusCallback, boolean async, long waitMs, long ttlMs) {
    static final String CALLBACK = "Hoft-Callback";
    static final String CALLBACK_FORMAT = "Hoft-Callback-Format";
    static final String STATUS_CALLBACK = "Hoft-Status-Callback";
    static final String TTL = "Hoft-Ttl";
    private static final Set<String> KNOWN = Set.of("hoft-callback", "hoft-callback-format", "hoft-status-callback", "hoft-ttl",
            "hoft-authorization");

    /**
     * Reads the instructions.
     *
     * @throws HttpError 400 for a malformed or unknown instruction
     */
    static Instructions parse(HeaderMap headers, FrontConfig.Front config) {
        for (HeaderValues values : headers) {
            String name = values.getHeaderName().toString().toLowerCase(Locale.ROOT);
            if (name.startsWith("hoft-") && !KNOWN.contains(name)) {
                throw bad("unknown instruction " + values.getHeaderName() + " (known: Hoft-Callback, Hoft-Callback-Format,"
                        + " Hoft-Status-Callback, Hoft-Ttl, Hoft-Authorization)");
            }
        }
        URI callback = url(headers, CALLBACK);
        URI statusCallback = url(headers, STATUS_CALLBACK);
        CallbackFormat format = null;
        String formatValue = single(headers, CALLBACK_FORMAT);
        if (formatValue != null) {
            if (callback == null) {
                throw bad(CALLBACK_FORMAT + " without " + CALLBACK);
            }
            format = CallbackFormat.fromHeader(formatValue)
                    .orElseThrow(() -> bad(CALLBACK_FORMAT + " must be json or raw, not '" + formatValue + "'"));
        } else if (callback != null) {
            format = CallbackFormat.JSON;
        }
        long ttlMs = config.requestTtl().toMillis();
        String ttlValue = single(headers, TTL);
        if (ttlValue != null) {
            long asked;
            try {
                asked = ttlValue.matches("\\d{1,12}") ? Long.parseLong(ttlValue) * 1000 : Durations.parse(ttlValue).toMillis();
            } catch (IllegalArgumentException e) {
                throw bad(TTL + " must be seconds or a duration like 90s or 5m, not '" + ttlValue + "'");
            }
            if (asked <= 0) {
                throw bad(TTL + " must be positive");
            }
            ttlMs = Math.min(ttlMs, asked);
        }
        boolean respondAsync = false;
        Long waitSeconds = null;
        HeaderValues prefer = headers.get("Prefer");
        if (prefer != null) {
            for (String value : prefer) {
                for (String preference : Preferences.split(value)) {
                    String name = Preferences.name(preference);
                    String seconds = Preferences.value(preference);
                    if (name.equals("respond-async")) {
                        respondAsync = true;
                    } else if (name.equals("wait") && seconds != null && waitSeconds == null && seconds.matches("\\d{1,9}")) {
                        waitSeconds = Long.parseLong(seconds); // RFC 7240: a preference not understood is ignored
                    }
                }
            }
        }
        Duration wait = waitSeconds == null ? config.sync().defaultWait() : Duration.ofSeconds(waitSeconds);
        long waitMs = Math.min(wait.toMillis(), config.sync().maxWait().toMillis()); // past the TTL, expiry ends the wait
        return new Instructions(callback, format, statusCallback, respondAsync || callback != null, waitMs, ttlMs);
    }

    private static URI url(HeaderMap headers, String name) {
        String value = single(headers, name);
        if (value == null) {
            return null;
        }
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw bad(name + " is not a URL: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null || uri.getRawUserInfo() != null) {
            throw bad(name + " must be an absolute http or https URL without user info");
        }
        return uri;
    }

    private static String single(HeaderMap headers, String name) {
        HeaderValues values = headers.get(name);
        if (values == null || values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw bad(name + " appears more than once");
        }
        return values.getFirst().trim();
    }

    private static HttpError bad(String message) {
        return HttpError.early(400, "bad-request", message);
    }
}
