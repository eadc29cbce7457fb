package io.hoft.back;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hoft.transport.message.HeaderField;
import java.util.ArrayList;
import java.util.List;

/**
 * Header fields as the database keeps them: JSON {@code [["Name", "value"], ...]}, in order,
 * repeats kept, each character one ISO-8859-1 byte (the format of SPEC.md section 9).
 */
final class HeaderJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<List<String>>> PAIRS = new TypeReference<>() {};

    private HeaderJson() {}

    static String encode(List<HeaderField> fields) {
        List<List<String>> pairs = new ArrayList<>(fields.size());
        for (HeaderField field : fields) {
            pairs.add(List.of(field.name(), field.value()));
        }
        try {
            return JSON.writeValueAsString(pairs);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode header fields", e);
        }
    }

    static List<HeaderField> decode(String json) {
        try {
            List<HeaderField> fields = new ArrayList<>();
            for (List<String> pair : JSON.readValue(json, PAIRS)) {
                fields.add(new HeaderField(pair.get(0), pair.get(1)));
            }
            return fields;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored header fields are not valid JSON", e);
        }
    }
}
