package io.hoft.transport.spool;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Iterator;
import java.util.Set;

/**
 * Reading the format's JSON without leniency: a byte order mark or an encoding other than
 * UTF-8, duplicate keys, unknown keys, missing keys, wrong types, fractions, out-of-range
 * numbers and anything after the document are all errors that name the field.
 */
public final class StrictJson {
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            // Without this, readTree stops after the first value and ignores whatever follows it.
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(16)
                .maxNumberLength(20)
                .build());
    }

    private StrictJson() {}

    public static JsonNode parse(byte[] json, String what) throws CodecException {
        // Jackson would skip a byte order mark and take NULs among the first bytes for UTF-16 or UTF-32.
        if (json.length >= 3 && (json[0] & 0xff) == 0xef && (json[1] & 0xff) == 0xbb && (json[2] & 0xff) == 0xbf) {
            throw CodecException.malformed(what + " starts with a byte order mark");
        }
        for (int i = 0; i < Math.min(4, json.length); i++) {
            if (json[i] == 0) {
                throw CodecException.malformed(what + " is not UTF-8 JSON: a NUL byte at " + i);
            }
        }
        try {
            JsonNode node = MAPPER.readTree(json);
            if (node == null || node.isMissingNode()) {
                throw CodecException.malformed(what + " is empty");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw CodecException.malformed(what + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw CodecException.malformed(what + " cannot be read: " + e.getMessage());
        }
    }

    public static byte[] write(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize JSON", e);
        }
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** Checks {@code node} is an object with all of {@code required} and nothing outside {@code required + optional}. */
    public static JsonNode object(JsonNode node, String path, Set<String> required, Set<String> optional)
            throws CodecException {
        if (node == null || !node.isObject()) {
            throw CodecException.malformed(path + " must be an object");
        }
        for (String key : required) {
            if (!node.has(key)) {
                throw CodecException.malformed(path + "." + key + " is missing");
            }
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!required.contains(key) && !optional.contains(key)) {
                throw CodecException.malformed(path + " has unknown field \"" + printable(key) + "\"");
            }
        }
        return node;
    }

    public static long nonNegativeLong(JsonNode parent, String key, String path) throws CodecException {
        JsonNode node = parent.get(key);
        if (node == null || !node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() < 0) {
            throw CodecException.malformed(path + "." + key + " must be a non-negative integer");
        }
        return node.asLong();
    }

    public static int intInRange(JsonNode parent, String key, String path, int min, int max) throws CodecException {
        JsonNode node = parent.get(key);
        if (node == null || !node.isIntegralNumber() || !node.canConvertToLong()
                || node.asLong() < min || node.asLong() > max) {
            throw CodecException.malformed(path + "." + key + " must be an integer in [" + min + ", " + max + "]");
        }
        return (int) node.asLong();
    }

    public static String string(JsonNode parent, String key, String path) throws CodecException {
        JsonNode node = parent.get(key);
        if (node == null || !node.isTextual()) {
            throw CodecException.malformed(path + "." + key + " must be a string");
        }
        return node.asText();
    }

    /** A string of ISO-8859-1 characters only (each one a byte on the HTTP wire). */
    static String latin1(JsonNode parent, String key, String path) throws CodecException {
        String value = string(parent, key, path);
        requireLatin1(value, path + "." + key);
        return value;
    }

    static void requireLatin1(String value, String path) throws CodecException {
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) > 0xff) {
                throw CodecException.malformed(path + " has a character above U+00FF at " + i);
            }
        }
    }

    public static String printable(String s) {
        String cut = s.length() > 40 ? s.substring(0, 40) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
