package dev.chatbridge.cli;

import dev.chatbridge.config.ChatBridgeConfig;
import dev.chatbridge.config.InvalidConfigurationException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code chat-bridge run}: the service against the configured Kafka, registry and API. */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the service against the configured Kafka, schema registry and API until SIGTERM/Ctrl-C,",
            "then drains calls in flight (chat.shutdown.drain.timeout.ms), closes and exits with the JVM's status",
            "for the signal (143 after SIGTERM, 130 after Ctrl-C), once every shutdown hook has run.",
            "Exit codes: 1 failed while running, 2 bad configuration, missing topics or topic",
            "and producer size limits that do not fit chat.response.max.bytes.",
            "Settings: flags > environment (CHAT_BRIDGE_*, KAFKA_*) > --config file > defaults; see docs/configuration.md."
        })
public final class RunCommand implements Callable<Integer> {

    /** Exit code for configuration problems found before starting. */
    public static final int CONFIG_ERROR = 2;

    private final CliContext context;

    @Mixin
    ConfigOptions config;

    @Mixin
    ApiOptions api;

    RunCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        ChatBridgeConfig parsed;
        RunningService service;
        try {
            parsed = config.load(context, api.flags()).parse();
            LogSetup.apply(parsed.logFormat());
            service = ServiceRunner.start(parsed);
        } catch (InvalidConfigurationException e) {
            e.problems().forEach(p -> context.err().println("error: " + p));
            return CONFIG_ERROR;
        } catch (IllegalStateException | UncheckedIOException e) {
            context.err().println("error: " + e.getMessage());
            return CONFIG_ERROR;
        }
        Lifecycle lifecycle = new Lifecycle(
                context,
                Duration.ofMillis(parsed.longValue(ChatBridgeConfig.SHUTDOWN_DRAIN_TIMEOUT))
                        .plusSeconds(60));
        context.err()
                .println("chat-bridge running; metrics and health on " + service.opsUrl()
                        + "; SIGTERM or Ctrl-C stops it gracefully");
        // Each state change of Kafka Streams (ERROR, NOT_RUNNING, ...) wakes the wait below to look again.
        service.app().onStateChange((now, before) -> lifecycle.recheck());
        String failure = lifecycle.awaitStopOrFailure(() -> ServiceRunner.failure(service.app()));
        service.close();
        if (failure != null) {
            context.err().println("error: " + failure);
            return lifecycle.finished(1);
        }
        context.err().println("chat-bridge stopped");
        return lifecycle.finished(0);
    }
}
