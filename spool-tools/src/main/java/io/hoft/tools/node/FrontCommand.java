package io.hoft.tools.node;

import io.hoft.front.FrontConfig;
import io.hoft.front.FrontNode;
import io.hoft.tools.Main;
import io.hoft.transport.config.ConfigLoader;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hoft front}: runs the front proxy in the foreground until SIGTERM, then drains and exits 0. */
@Command(name = "front",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the front proxy in the foreground: takes HTTP calls, stores each one durably, carries it to the back"
                + " over the link, and answers the caller (sync, 202 with a callback, or poll).",
            "Logs go to stderr (HOFT_LOG_LEVEL=DEBUG for more). SIGTERM or Ctrl-C drains: new calls get 503, calls"
                + " being taken in are stored and answered, then the process exits 0."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped by SIGTERM or SIGINT after draining", "1:failed while running (port in use, disk)",
            "2:the config or its keys cannot be used"},
        footer = {"", "Example: hoft front --config setup/front.yaml"})
public final class FrontCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(FrontCommand.class);

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "the front's YAML config (hoft init writes one)")
    Path config;

    @Override
    public Integer call() throws Exception {
        FrontConfig loaded = ConfigLoader.load(config, FrontConfig.class, System.getenv());
        Foreground foreground = Foreground.install();
        try (FrontNode node = FrontNode.open(loaded, Clock.systemUTC())) {
            node.start();
            log.info("front {} listening on http://{}:{} (config {})", loaded.node().id(),
                    node.address().getAddress().getHostAddress(), node.address().getPort(), config);
            foreground.awaitStop();
        }
        log.info("front {} stopped", loaded.node().id());
        return Main.OK;
    }
}
