package io.hoft.front.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.hoft.transport.message.HeaderField;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** JSON as the front writes it: answers to callers, and header lists in the request table. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    /**
     * Header fields as {@code [["Name","value"], ...]}, order and repeats kept. Each character
     * stands for one byte (ISO-8859-1), so obs-text survives as U+0080..U+00FF.
     */
    static String headers(List<HeaderField> fields) {
        ArrayNode array = MAPPER.createArrayNode();
        for (HeaderField field : fields) {
            array.addArray().add(field.name()).add(field.value());
        }
        return new String(bytes(array), StandardCharsets.UTF_8);
    }

    static List<HeaderField> headers(String json) {
        try {
            JsonNode array = MAPPER.readTree(json);
            List<HeaderField> fields = new ArrayList<>(array.size());
            for (JsonNode pair : array) {
                fields.add(new HeaderField(pair.get(0).asText(), pair.get(1).asText()));
            }
            return fields;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored header list is not JSON", e);
        }
    }

    static String time(long ms) {
        return Instant.ofEpochMilli(ms).toString();
    }
}
