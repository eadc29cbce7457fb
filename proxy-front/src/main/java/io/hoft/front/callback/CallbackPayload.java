package io.hoft.front.callback;

import io.hoft.front.CallbackFormat;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.store.BodyFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;

/**
 * The bytes one job POSTs, rendered on demand so a body file of any size streams: once into
 * the signer (which also counts the length), once onto the connection.
 *
 * <p>The JSON shapes (compact, keys in this order):
 *
 * <pre>
 * result   {"id":"…","status":"responded","response":{"status":200,"headers":[["Name","value"],…],"body":"…","bodyEncoding":"utf-8"}}
 * failure  {"id":"…","status":"failed","error":"…"}           (or "expired")
 * status   {"id":"…","status":"transferred","at":"2026-11-22T12:00:00.123Z"}
 * </pre>
 *
 * Header values are the ISO-8859-1 reading of the field's bytes (a receiver gets the bytes
 * back by encoding the string as ISO-8859-1). The body is the JSON string of its text when
 * the body is well-formed UTF-8 ({@code "bodyEncoding":"utf-8"}), else its base64 with padding
 * ({@code "base64"}); an empty body is {@code ""} and {@code utf-8}. The raw format is the body
 * itself, with the callee's Content-Type.
 */
final class CallbackPayload {
    static final String JSON_CONTENT_TYPE = "application/json";
    static final String UTF8 = "utf-8";
    static final String BASE64 = "base64";

    /** Where the body comes from; opened once per pass. */
    @FunctionalInterface
    interface BodySource {
        InputStream open() throws IOException;
    }

    private enum BodyForm {
        NONE,
        JSON_UTF8,
        JSON_BASE64,
        RAW
    }

    private final String contentType;
    private final byte[] prefix;
    private final BodySource body;
    private final BodyForm form;
    private final byte[] suffix;

    private CallbackPayload(String contentType, byte[] prefix, BodySource body, BodyForm form, byte[] suffix) {
        this.contentType = contentType;
        this.prefix = prefix;
        this.body = body;
        this.form = form;
        this.suffix = suffix;
    }

    /** The payload of {@code job}; a result in JSON must already know its body encoding. */
    static CallbackPayload of(CallbackJob job, BodyFiles bodies) {
        StringBuilder json = new StringBuilder(256).append("{\"id\":");
        JsonText.appendString(json, job.requestId()).append(",\"status\":");
        JsonText.appendString(json, job.event().status());
        switch (job.kind()) {
            case FAILURE -> {
                JsonText.appendString(json.append(",\"error\":"), job.event().error()).append('}');
                return whole(json);
            }
            case STATUS -> {
                JsonText.appendString(json.append(",\"at\":"), JsonText.timestamp(job.event().atMs())).append('}');
                return whole(json);
            }
            default -> {
                if (job.format() == CallbackFormat.RAW) {
                    return new CallbackPayload(job.response().contentType(), new byte[0], body(job, bodies), BodyForm.RAW, new byte[0]);
                }
                if (job.response().bodyEncoding() == null) {
                    throw new IllegalStateException("body encoding of job " + job.id() + " not decided yet");
                }
                json.append(",\"response\":{\"status\":").append(job.response().httpStatus())
                        .append(",\"headers\":").append(job.response().headersJson()).append(",\"body\":\"");
                String suffix = "\",\"bodyEncoding\":\"" + job.response().bodyEncoding() + "\"}}";
                BodyForm form = job.response().bodyEncoding().equals(UTF8) ? BodyForm.JSON_UTF8 : BodyForm.JSON_BASE64;
                return new CallbackPayload(JSON_CONTENT_TYPE, utf8(json), body(job, bodies), form,
                        suffix.getBytes(StandardCharsets.US_ASCII));
            }
        }
    }

    /** {@link #UTF8} if the job's body is well-formed UTF-8, else {@link #BASE64}; reads the whole body. */
    static String detectEncoding(CallbackJob job, BodyFiles bodies) throws IOException {
        try (InputStream in = body(job, bodies).open()) {
            return JsonText.isUtf8(in) ? UTF8 : BASE64;
        }
    }

    /** The Content-Type to send, or null for none (a raw body whose callee sent none). */
    String contentType() {
        return contentType;
    }

    void writeTo(OutputStream out) throws IOException {
        out.write(prefix);
        if (form != BodyForm.NONE) {
            try (InputStream in = body.open()) {
                switch (form) {
                    case JSON_UTF8 -> JsonText.copyEscapedUtf8(in, out);
                    case JSON_BASE64 -> JsonText.copyBase64(in, out);
                    default -> in.transferTo(out);
                }
            }
        }
        out.write(suffix);
    }

    private static CallbackPayload whole(StringBuilder json) {
        return new CallbackPayload(JSON_CONTENT_TYPE, utf8(json), null, BodyForm.NONE, new byte[0]);
    }

    private static BodySource body(CallbackJob job, BodyFiles bodies) {
        if (job.hasBodyFile()) {
            return () -> Files.newInputStream(bodies.path(job.response().bodyName()));
        }
        byte[] inline = job.response().inlineBody() == null ? new byte[0] : job.response().inlineBody();
        return () -> new ByteArrayInputStream(inline);
    }

    private static byte[] utf8(StringBuilder json) {
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The headers of a response as the JSON array the result envelope carries. */
    static String headersJson(List<HeaderField> headers) {
        StringBuilder json = new StringBuilder(64 + headers.size() * 48).append('[');
        for (int i = 0; i < headers.size(); i++) {
            if (i > 0) {
                json.append(',');
            }
            json.append('[');
            JsonText.appendString(json, headers.get(i).name()).append(',');
            JsonText.appendString(json, headers.get(i).value()).append(']');
        }
        return json.append(']').toString();
    }
}
