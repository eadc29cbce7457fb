package io.hoft.back;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.transport.message.CallError;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.MessageId;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The back's own answers ({@link CallError}): the error's status and reason, headers
 * {@code Content-Type: application/json}, {@code Content-Length} and {@code Hoft-Error}, and a
 * JSON body such as
 * {@code {"error":"upstream-unreachable","status":502,"message":"...","requestId":"...","upstream":"api"}}.
 * No {@code Via}: nothing was forwarded.
 */
final class Synthetic {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Synthetic() {}

    static RecordedResponse of(CallError error, String message, MessageId requestId, String upstream) {
        ObjectNode body = JSON.createObjectNode();
        body.put("error", error.code());
        body.put("status", error.status());
        body.put("message", message);
        body.put("requestId", requestId.value());
        body.put("upstream", upstream);
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            bytes = ("{\"error\":\"" + error.code() + "\"}").getBytes(StandardCharsets.UTF_8);
        }
        List<HeaderField> headers = List.of(
                new HeaderField("Content-Type", "application/json"),
                new HeaderField("Content-Length", Integer.toString(bytes.length)),
                new HeaderField("Hoft-Error", error.code()));
        return new RecordedResponse(error.status(), error.reason(), headers, error.code(), bytes, null, bytes.length);
    }
}
