package io.hoft.transport.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/** A node config file as any text: it loads or fails only with ConfigException, naming the key. */
public class ConfigLoaderFuzzTest {
    @FuzzTest
    void parseFailsOnlyWithConfigException(byte[] input) {
        parse(input);
    }

    /** One input, for this test and for the short run over every parser. */
    public static void parse(byte[] input) {
        try {
            ConfigLoader.parse(new String(input, StandardCharsets.UTF_8), Path.of("/etc/hoft"), "fuzz.yaml", NodeConfig.class,
                    Map.of());
        } catch (ConfigException expected) {
            // hoft prints it and exits 2
        }
    }
}
