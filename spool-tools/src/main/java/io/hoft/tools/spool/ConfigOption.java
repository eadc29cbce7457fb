package io.hoft.tools.spool;

import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --config FILE} for the commands that work on one node's state (stats, gc). */
final class ConfigOption {
    @Option(names = "--config", paramLabel = "FILE", required = true,
            description = "the node's config (front.yaml, back.yaml): its id, keys, folders and database")
    Path config;

    SpoolContext load() {
        return SpoolContext.load(config, null, List.of(), null);
    }
}
