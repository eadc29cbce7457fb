package io.hoft.tools.spool;

import io.hoft.tools.InstantConverter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The options that say whose spool a command looks at and with which keys. */
final class NodeOptions {
    @Option(names = "--config", paramLabel = "FILE",
            description = "the node's config (front.yaml, back.yaml): its id, keys, folders and database")
    Path config;

    @Option(names = "--keys", paramLabel = "FILE",
            description = "instead of --config: this node's private key set (ID.jwks)")
    Path keys;

    @Option(names = "--trust", paramLabel = "FILE",
            description = "instead of --config: a peer's public key set or shared secret (repeat for several peers)")
    List<Path> trust = new ArrayList<>();

    @Option(names = "--at", paramLabel = "TIME", converter = InstantConverter.class,
            description = "judge expiry and key validity at this time (2026-11-22T12:00:00Z or epoch ms) instead of now")
    Instant at;

    SpoolContext load() {
        return SpoolContext.load(config, keys, trust, at);
    }
}
