package dev.chatbridge.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatbridge.config.ChatBridgeConfig;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code chat-bridge tail}: responses and dead letters as JSON lines. */
@Command(
        name = "tail",
        mixinStandardHelpOptions = true,
        description = {
            "Prints responses and dead letters (committed ones) as JSON lines:",
            "  {\"topic\":...,\"partition\":...,\"offset\":...,\"key\":...,\"value\":{...}}",
            "Without --follow it stops once it has read what the topics held when it started (or at --timeout)."
        })
final class TailCommand implements Callable<Integer> {

    private static final Duration POLL = Duration.ofMillis(200);

    private final CliContext context;

    @Mixin
    ConfigOptions config;

    @Option(names = "--from-beginning", description = "Start at the oldest record instead of the newest.")
    boolean fromBeginning;

    @Option(names = "--follow", description = "Keep printing new outcomes until Ctrl-C.")
    boolean follow;

    @Option(
            names = "--timeout",
            paramLabel = "SECONDS",
            defaultValue = "30",
            description = "Without --follow, stop after this long at most (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    TailCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        ChatBridgeConfig parsed = config.loadForKafkaClient(context);
        if (parsed == null) {
            return RunCommand.CONFIG_ERROR;
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
        Lifecycle lifecycle = follow ? new Lifecycle(context, Duration.ofSeconds(10)) : null;
        int code = tail(parsed, deadline);
        return lifecycle == null ? code : lifecycle.finished(code);
    }

    private int tail(ChatBridgeConfig parsed, long deadline) {
        try (KafkaIo.OutcomeReader reader = new KafkaIo.OutcomeReader(parsed, fromBeginning)) {
            while (!context.stopRequested()) {
                for (KafkaIo.Outcome o : reader.poll(POLL)) {
                    ObjectNode line = AvroJson.MAPPER.createObjectNode();
                    line.put("topic", o.topic())
                            .put("partition", o.partition())
                            .put("offset", o.offset())
                            .put("key", o.key());
                    line.set("value", AvroJson.toJson(o.value()));
                    context.out().println(line);
                }
                context.out().flush();
                if (!follow && (reader.caughtUpWithStart() || System.nanoTime() - deadline > 0)) {
                    break;
                }
            }
        } catch (IllegalStateException | KafkaException e) {
            context.err().println("error: " + e.getMessage());
            return 1;
        }
        return 0;
    }
}
