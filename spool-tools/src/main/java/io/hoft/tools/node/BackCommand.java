package io.hoft.tools.node;

import io.hoft.back.BackConfig;
import io.hoft.back.BackNode;
import io.hoft.tools.Main;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hoft back}: runs the back proxy in the foreground until SIGTERM, then drains and exits 0. */
@Command(name = "back",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the back proxy in the foreground: verifies and decrypts the calls that arrive over the link, calls"
                + " each upstream once per request id, and sends the responses back.",
            "Logs go to stderr (HOFT_LOG_LEVEL=DEBUG for more). SIGTERM or Ctrl-C drains: calls in flight get"
                + " back.drainTimeout to finish, then the process exits 0."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped by SIGTERM or SIGINT after draining", "1:failed while running",
            "2:the config or its keys cannot be used"},
        footer = {"", "Example: hoft back --config setup/back.yaml"})
public final class BackCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(BackCommand.class);

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "the back's YAML config (hoft init writes one)")
    Path config;

    @Override
    public Integer call() throws Exception {
        BackConfig loaded = BackConfig.load(config, System.getenv());
        Foreground foreground = Foreground.install();
        try (BackNode node = BackNode.start(loaded)) {
            log.info("back {} running (config {})", loaded.node().id(), config);
            foreground.awaitStop();
        }
        log.info("back {} stopped", loaded.node().id());
        return Main.OK;
    }
}
