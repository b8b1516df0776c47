package dev.chatbridge.devtools.cli;

import dev.chatbridge.cli.CliContext;
import dev.chatbridge.cli.Lifecycle;
import dev.chatbridge.config.ChatBridgeConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code chat-bridge sandbox}: broker, registry and simulator, without the service or traffic. */
@Command(
        name = "sandbox",
        mixinStandardHelpOptions = true,
        description = {
            "Starts an embedded Kafka broker, schema registry and API simulator on 127.0.0.1 (no service,",
            "no traffic) and prints how to point run, send and tail at them. Runs until Ctrl-C.",
            "Log lines go to a file named at start (errors are also printed); --verbose prints them instead."
        })
final class SandboxCommand implements Callable<Integer> {

    private final CliContext context;

    @Mixin
    LocalStackPorts ports;

    @Mixin
    LocalLogs logs;

    SandboxCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws IOException {
        Lifecycle lifecycle = new Lifecycle(context, Duration.ofSeconds(60));
        try (LocalLogs.Redirect logFile = logs.start("chatbridge-sandbox-", ChatBridgeConfig.LogFormat.HUMAN);
                LocalStack stack = ports.start(true)) {
            context.out().println("chat-bridge sandbox is up:");
            stack.printAddresses(context.out());
            if (logFile.notice() != null) {
                context.out().println(logFile.notice());
            }
            context.out().println();
            context.out().println("Run the service against it:");
            context.out()
                    .println("  export KAFKA_BOOTSTRAP_SERVERS=" + stack.bootstrapServers()
                            + " KAFKA_SCHEMA_REGISTRY_URL=" + stack.registryUrl());
            context.out()
                    .println("  export CHAT_BRIDGE_API_URL=" + stack.apiUrl() + " CHAT_BRIDGE_API_KEY="
                            + LocalStack.SIMULATOR_KEY);
            context.out()
                    .println("  java -jar target/chat-bridge.jar run --set chat.topics.create=true "
                            + "--set chat.topics.replication.factor=1 --set chat.metrics.port=0");
            context.out()
                    .println("  java -jar target/chat-bridge.jar send < requests.jsonl; java -jar "
                            + "target/chat-bridge.jar tail --follow");
            context.out().println("Ctrl-C stops the sandbox.");
            context.out().flush();
            lifecycle.awaitStopOrFailure(() -> null);
        } catch (IllegalStateException e) {
            context.err().println("error: " + e.getMessage());
            return lifecycle.finished(1);
        }
        return lifecycle.finished(0);
    }
}
