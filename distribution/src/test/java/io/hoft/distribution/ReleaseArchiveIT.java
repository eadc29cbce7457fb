package io.hoft.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.back.BackConfig;
import io.hoft.front.FrontConfig;
import io.hoft.transport.config.ConfigLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release archive, unpacked into a temporary folder and run from there with the build out
 * of reach ({@link Release}): {@code bin/hoft --version}, {@code hoft demo}, and what the
 * archive holds for operators (README, example configs that load, systemd units that
 * {@code systemd-analyze verify} accepts, logback configs).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReleaseArchiveIT {
    Release release;

    @BeforeAll
    void unpack(@TempDir Path dir) throws Exception {
        release = Release.unpack(dir);
    }

    @Test
    void binHoftVersionNamesTheRelease() throws Exception {
        String out = release.ok("--version");
        assertEquals("hoft " + Release.VERSION, out.trim());
    }

    @Test
    void theDemoRunsFromTheUnpackedArchiveAndEveryCheckPasses() throws Exception {
        Release.Result demo = release.run(Duration.ofMinutes(3), "demo", "--large", "1MiB");
        assertEquals(0, demo.exit(), demo.output());
        assertTrue(demo.output().contains("checks passed"), demo.output());
        assertFalse(demo.output().contains("building"), "a release builds nothing: " + demo.output());
    }

    @Test
    void theArchiveHoldsTheLauncherLibrariesAndTheOperatorsFilesAndNoSourceOrBuildTool() throws Exception {
        Path home = release.home;
        assertTrue(Files.isExecutable(home.resolve("bin/hoft")));
        for (String file : List.of("README.md", "config/front.example.yaml", "config/back.example.yaml",
                "config/logback-journal.xml", "config/logback-file.xml", "systemd/hoft-front.service",
                "systemd/hoft-back.service", "systemd/hoft.sysusers.conf")) {
            assertTrue(Files.isRegularFile(home.resolve(file)), file);
        }
        try (Stream<Path> all = Files.walk(home)) {
            List<String> names = all.map(p -> home.relativize(p).toString()).toList();
            assertTrue(names.stream().anyMatch(n -> n.matches("lib/spool-tools-.*\\.jar")), names.toString());
            assertFalse(names.stream().anyMatch(n -> n.endsWith("pom.xml") || n.contains("mvnw") || n.endsWith(".java")
                    || n.contains("selenium") || n.contains("junit")), "no build files, sources or test libraries: " + names);
        }
        String readme = Files.readString(home.resolve("README.md"));
        for (String section : List.of("## Two sites over a transfer service", "## A dial-out site with TLS",
                "## Running as a service", "## Backups", "## Upgrades", "## Key rotation")) {
            assertTrue(readme.contains(section), section);
        }
    }

    @Test
    void theExampleConfigsLoad() {
        Path config = release.home.resolve("config");
        FrontConfig front = ConfigLoader.load(config.resolve("front.example.yaml"), FrontConfig.class, Map.of());
        assertEquals("apikey", front.front().auth().mode());
        assertFalse(front.front().callbacks().allowPrivateNetworks());
        BackConfig back = BackConfig.load(config.resolve("back.example.yaml"), Map.of());
        assertTrue(back.node().peers().get(0).link().dials());
    }

    @Test
    void theSystemdUnitsAreHardenedAndSystemdAcceptsThem() throws Exception {
        for (String role : List.of("front", "back")) {
            String unit = Files.readString(release.home.resolve("systemd/hoft-" + role + ".service"));
            for (String line : List.of("User=hoft", "StateDirectory=hoft/" + role, "Restart=on-failure", "NoNewPrivileges=yes",
                    "ProtectSystem=strict", "PrivateTmp=yes", "CapabilityBoundingSet=",
                    "ExecStart=/opt/hoft/bin/hoft " + role + " --config /var/lib/hoft/" + role + "/" + role + ".yaml")) {
                assertTrue(unit.lines().anyMatch(l -> l.equals(line)), role + ": " + line);
            }
            Path analyze = Path.of("/usr/bin/systemd-analyze");
            if (!Files.isExecutable(analyze)) {
                continue; // the content checks above still hold
            }
            // The paths of this unpacked copy, so the checks of ExecStart find a real file.
            Path copy = release.home.resolveSibling("hoft-" + role + ".service");
            Files.writeString(copy, unit.replace("/opt/hoft", release.home.toString()));
            Process verify = new ProcessBuilder(analyze.toString(), "verify", "--man=no", copy.toString())
                    .redirectErrorStream(true).start();
            String out = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, verify.waitFor(), out);
            assertEquals("", out.trim(), "systemd-analyze verify has no complaint about hoft-" + role + ".service");
        }
    }
}
