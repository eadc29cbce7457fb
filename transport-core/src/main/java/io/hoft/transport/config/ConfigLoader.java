package io.hoft.transport.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads a YAML config file into a record type, strictly: an unknown key, a value of the wrong
 * type or a value a record refuses is an error naming the key. Relative paths resolve against
 * the config file's folder. Durations read as {@code 30s}, sizes as {@code 512MiB}.
 *
 * <p><b>Environment overrides.</b> A variable {@code HOFT_<KEY PATH>} overrides a key: the path
 * of keys in upper case, camelCase words split by underscores, list elements by index, map
 * entries by their key; for example {@code HOFT_FRONT_LISTEN=0.0.0.0:8080},
 * {@code HOFT_FRONT_REQUEST_TTL=2h}, {@code HOFT_BACK_UPSTREAMS_DEFAULT_URL=http://api:80},
 * {@code HOFT_NODE_PEERS_0_LINK_POLL=5s}. A {@code HOFT_} variable that names no key of the
 * config type is an error too (a typo must not be silently ignored), except those in
 * {@link #NOT_CONFIG}.
 */
public final class ConfigLoader {
    /** Variables with the prefix that are not config keys. */
    static final List<String> NOT_CONFIG = List.of("HOFT_LOG_LEVEL", "HOFT_HOME");
    private static final String PREFIX = "HOFT_";
    private static final String BASE_DIR = "hoft.config.baseDir";

    private ConfigLoader() {}

    /** Loads {@code file} as {@code type} with overrides from {@code environment}. */
    public static <T> T load(Path file, Class<T> type, Map<String, String> environment) {
        String yaml;
        try {
            yaml = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        return parse(yaml, file.toAbsolutePath().getParent(), file.toString(), type, environment);
    }

    /**
     * Loads one top-level section of a config file (for example {@code node} of a front's or a
     * back's config, for tools that need only the node). Other sections are not checked here;
     * environment overrides apply to keys of this section only.
     */
    public static <T> T loadSection(Path file, String section, Class<T> type, Map<String, String> environment) {
        String yaml;
        try {
            yaml = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        JsonNode tree;
        try {
            tree = mapper().readTree(yaml);
        } catch (IOException e) {
            throw new ConfigException(file + " is not valid YAML: " + e.getMessage(), e);
        }
        JsonNode part = tree == null ? null : tree.get(section);
        if (part == null || !part.isObject()) {
            throw new ConfigException(file + " has no '" + section + ":' section");
        }
        String prefix = PREFIX + String.join("_", words(section)) + "_";
        Map<String, String> sectionEnv = environment.entrySet().stream()
                .filter(e -> e.getKey().startsWith(prefix))
                .collect(Collectors.toMap(e -> PREFIX + e.getKey().substring(prefix.length()), Map.Entry::getValue));
        String sectionYaml;
        try {
            sectionYaml = mapper().writeValueAsString(part);
        } catch (IOException e) {
            throw new ConfigException(file + ": " + e.getMessage(), e);
        }
        return parse(sectionYaml, file.toAbsolutePath().getParent(), file + " (" + section + ")", type, sectionEnv);
    }

    /** Parses YAML text; {@code baseDir} anchors relative paths. */
    public static <T> T parse(String yaml, Path baseDir, String source, Class<T> type, Map<String, String> environment) {
        YAMLMapper mapper = mapper();
        JsonNode tree;
        try {
            tree = mapper.readTree(yaml);
        } catch (IOException e) {
            throw new ConfigException(source + " is not valid YAML: " + e.getMessage(), e);
        }
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            tree = mapper.createObjectNode();
        }
        if (!tree.isObject()) {
            throw new ConfigException(source + " must be a map of keys at the top level");
        }
        applyEnvironment((ObjectNode) tree, type, environment, source);
        try {
            return mapper.readerFor(type).withAttribute(BASE_DIR, baseDir).readValue(tree);
        } catch (UnrecognizedPropertyException e) {
            String known = e.getKnownPropertyIds() == null ? "" : e.getKnownPropertyIds().stream()
                    .map(Object::toString).sorted().collect(Collectors.joining(", "));
            throw new ConfigException(source + ": unknown key '" + path(e) + "'" + (known.isEmpty() ? "" : " (known here: " + known + ")"));
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new ConfigException(source + ": bad value at '" + path(e) + "': " + cause.getMessage(), e);
        } catch (JsonMappingException e) {
            throw new ConfigException(source + ": bad value at '" + path(e) + "': " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ConfigException(source + ": " + e.getMessage(), e);
        }
    }

    private static YAMLMapper mapper() {
        SimpleModule module = new SimpleModule("hoft-config");
        module.addDeserializer(Duration.class, new JsonDeserializer<>() {
            @Override
            public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                try {
                    return Durations.parse(p.getValueAsString());
                } catch (IllegalArgumentException e) {
                    throw JsonMappingException.from(p, e.getMessage());
                }
            }
        });
        module.addDeserializer(DataSize.class, new JsonDeserializer<>() {
            @Override
            public DataSize deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                try {
                    return DataSize.parse(p.getValueAsString());
                } catch (IllegalArgumentException | ArithmeticException e) {
                    throw JsonMappingException.from(p, e.getMessage());
                }
            }
        });
        module.addDeserializer(Path.class, new JsonDeserializer<>() {
            @Override
            public Path deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                Path base = (Path) ctxt.getAttribute(BASE_DIR);
                Path value = Path.of(p.getValueAsString());
                return base == null || value.isAbsolute() ? value : base.resolve(value).normalize();
            }
        });
        YAMLMapper mapper = YAMLMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
                .disable(MapperFeature.ACCEPT_CASE_INSENSITIVE_PROPERTIES)
                .build();
        mapper.registerModule(module);
        return mapper;
    }

    private static String path(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (path.length() > 0) {
                    path.append('.');
                }
                path.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.length() == 0 ? "(top)" : path.toString();
    }

    // ---------------------------------------------------------------- environment overrides

    static void applyEnvironment(ObjectNode tree, Class<?> type, Map<String, String> environment, String source) {
        for (Map.Entry<String, String> entry : environment.entrySet()) {
            String name = entry.getKey();
            if (!name.startsWith(PREFIX) || NOT_CONFIG.contains(name)) {
                continue;
            }
            List<String> tokens = List.of(name.substring(PREFIX.length()).split("_"));
            List<Object> path = new ArrayList<>();
            if (!match(type, tokens, 0, path)) {
                throw new ConfigException("environment variable " + name + " names no key of " + source);
            }
            set(tree, path, entry.getValue());
        }
    }

    /** Matches env tokens against the key paths of {@code type}; fills {@code path} with keys and indexes. */
    private static boolean match(Type type, List<String> tokens, int at, List<Object> path) {
        if (at == tokens.size()) {
            return !isStructure(type);
        }
        Class<?> raw = rawClass(type);
        if (raw.isRecord() && isStructure(raw)) {
            for (RecordComponent component : raw.getRecordComponents()) {
                List<String> words = words(component.getName());
                if (startsWith(tokens, at, words)) {
                    path.add(component.getName());
                    if (match(component.getGenericType(), tokens, at + words.size(), path)) {
                        return true;
                    }
                    path.remove(path.size() - 1);
                }
            }
            return false;
        }
        if (List.class.isAssignableFrom(raw) && tokens.get(at).matches("\\d+")) {
            path.add(Integer.parseInt(tokens.get(at)));
            if (match(typeArgument(type, 0), tokens, at + 1, path)) {
                return true;
            }
            path.remove(path.size() - 1);
            return false;
        }
        if (Map.class.isAssignableFrom(raw)) {
            path.add(tokens.get(at).toLowerCase(Locale.ROOT));
            if (match(typeArgument(type, 1), tokens, at + 1, path)) {
                return true;
            }
            path.remove(path.size() - 1);
        }
        return false;
    }

    private static boolean isStructure(Type type) {
        Class<?> raw = rawClass(type);
        return (raw.isRecord() && raw != DataSize.class) || List.class.isAssignableFrom(raw) || Map.class.isAssignableFrom(raw);
    }

    private static Class<?> rawClass(Type type) {
        if (type instanceof Class) {
            return (Class<?>) type;
        }
        if (type instanceof ParameterizedType) {
            return (Class<?>) ((ParameterizedType) type).getRawType();
        }
        return Object.class;
    }

    private static Type typeArgument(Type type, int index) {
        return type instanceof ParameterizedType ? ((ParameterizedType) type).getActualTypeArguments()[index] : Object.class;
    }

    /** {@code requestTtl} gives REQUEST, TTL. */
    static List<String> words(String camel) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        for (char c : camel.toCharArray()) {
            if (Character.isUpperCase(c) && word.length() > 0) {
                words.add(word.toString());
                word.setLength(0);
            }
            word.append(Character.toUpperCase(c));
        }
        words.add(word.toString());
        return words;
    }

    private static boolean startsWith(List<String> tokens, int at, List<String> words) {
        if (tokens.size() - at < words.size()) {
            return false;
        }
        for (int i = 0; i < words.size(); i++) {
            if (!tokens.get(at + i).equals(words.get(i))) {
                return false;
            }
        }
        return true;
    }

    private static void set(ObjectNode tree, List<Object> path, String value) {
        JsonNode node = tree;
        for (int i = 0; i < path.size() - 1; i++) {
            Object key = path.get(i);
            Object next = path.get(i + 1);
            JsonNode child = key instanceof Integer ? ((ArrayNode) node).get((Integer) key) : node.get((String) key);
            if (child == null || child.isNull()) {
                if (key instanceof Integer) {
                    throw new ConfigException("environment override of list element " + key + " that the config does not have");
                }
                child = next instanceof Integer ? ((ObjectNode) node).putArray((String) key) : ((ObjectNode) node).putObject((String) key);
            }
            node = child;
        }
        Object last = path.get(path.size() - 1);
        if (last instanceof Integer) {
            ((ArrayNode) node).set((Integer) last, TextNode.valueOf(value));
        } else {
            ((ObjectNode) node).put((String) last, value);
        }
    }
}
