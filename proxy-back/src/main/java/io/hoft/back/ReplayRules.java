package io.hoft.back;

import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.HttpFields;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How header fields change on their way through the back; everything not named here passes
 * unchanged, in order, repeats kept, byte for byte.
 *
 * <p>Request (caller to callee):
 * <ul>
 *   <li>hop-by-hop fields go: the standard ones and every field a {@code Connection} field names;
 *   <li>{@code Host} becomes the upstream's authority, in the place of the caller's {@code Host}
 *       (first if there was none); with {@code preserveHost} the caller's stays (an absolute
 *       target's authority wins, as RFC 9112 section 3.2.2 says);
 *   <li>{@code Content-Length} states the body's exact length (the back holds the whole body,
 *       so a body the caller sent chunked goes with a length); it is left out only for an empty
 *       body of a request that had none and whose method does not expect one;
 *   <li>{@code Expect: 100-continue} goes: the back has the whole body and sends it at once, so
 *       waiting for a {@code 100 Continue} could only delay the call (and a callee that never
 *       answers 100 would stall it); other expectations pass so the callee can refuse them;
 *   <li>{@code Via: 1.1 PSEUDONYM} is added after the last {@code Via} field (at the end if none).
 * </ul>
 *
 * <p>Response (callee to caller): hop-by-hop fields go and {@code Via} is added the same way.
 */
final class ReplayRules {
    private static final Set<String> BODY_EXPECTED = Set.of("POST", "PUT", "PATCH");

    private ReplayRules() {}

    /** {@code host} is the Host value to send, or null to keep the caller's (see {@link #host}). */
    static List<HeaderField> request(List<HeaderField> callerFields, String method, String host, long bodyLength, String via) {
        List<HeaderField> fields = HttpFields.withoutHopByHop(callerFields);
        List<HeaderField> out = new ArrayList<>(fields.size() + 3);
        boolean hostDone = false;
        boolean lengthDone = false;
        boolean callerSentLength = false;
        for (HeaderField field : fields) {
            if (field.hasName("Host")) {
                if (!hostDone) {
                    out.add(host == null ? field : new HeaderField(field.name(), host));
                    hostDone = true;
                }
            } else if (field.hasName("Content-Length")) {
                callerSentLength = true;
                if (!lengthDone) {
                    out.add(new HeaderField(field.name(), Long.toString(bodyLength)));
                    lengthDone = true;
                }
            } else if (!(field.hasName("Expect") && field.value().trim().equalsIgnoreCase("100-continue"))) {
                out.add(field);
            }
        }
        if (!hostDone) {
            out.add(0, new HeaderField("Host", host));
        }
        if (!lengthDone && (bodyLength > 0 || callerSentLength || BODY_EXPECTED.contains(method.toUpperCase(Locale.ROOT)))) {
            out.add(new HeaderField("Content-Length", Long.toString(bodyLength)));
        }
        return withVia(out, via);
    }

    /** The Host value to send: {@code null} means "keep the caller's" (preserveHost with a Host present). */
    static String host(boolean preserveHost, String absoluteAuthority, String upstreamAuthority, List<HeaderField> callerFields) {
        if (!preserveHost) {
            return upstreamAuthority;
        }
        if (absoluteAuthority != null) {
            return absoluteAuthority;
        }
        return HttpFields.first(callerFields, "Host").isPresent() ? null : upstreamAuthority;
    }

    static List<HeaderField> response(List<HeaderField> calleeFields, String via) {
        return withVia(HttpFields.withoutHopByHop(calleeFields), via);
    }

    static List<HeaderField> withVia(List<HeaderField> fields, String via) {
        List<HeaderField> out = new ArrayList<>(fields);
        int at = out.size();
        for (int i = out.size() - 1; i >= 0; i--) {
            if (out.get(i).hasName("Via")) {
                at = i + 1;
                break;
            }
        }
        out.add(at, new HeaderField("Via", "1.1 " + via));
        return out;
    }
}
