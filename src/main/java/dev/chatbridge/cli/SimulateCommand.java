package dev.chatbridge.cli;

import dev.chatbridge.simulator.ApiSimulator;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code chat-bridge simulate}: the /chats/v2 API simulator alone. */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = {"Runs the /chats/v2 API simulator on 127.0.0.1 until Ctrl-C.",
            "Fault markers in the last message's text (#fault:400, #fault:429, #fault:500x2, #tools, ...)",
            "choose the answer; see the simulator's package documentation."})
final class SimulateCommand implements Callable<Integer> {

    private final CliContext context;

    @Option(names = "--port", defaultValue = "8090", description = "Port (0 = free; default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--latency-p50", paramLabel = "MS", defaultValue = "150",
            description = "Median time to the first byte, ms (default ${DEFAULT-VALUE}).")
    long p50;

    @Option(names = "--latency-p99", paramLabel = "MS", defaultValue = "900",
            description = "99th percentile time to the first byte, ms (default ${DEFAULT-VALUE}).")
    long p99;

    @Option(names = "--api-key", defaultValue = LocalStack.SIMULATOR_KEY,
            description = "The API key the simulator accepts (default ${DEFAULT-VALUE}).")
    String apiKey;

    SimulateCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        if (p50 <= 0 || p99 < p50) {
            context.err().println("error: --latency-p50 must be positive and --latency-p99 at least --latency-p50");
            return 2;
        }
        Lifecycle lifecycle = new Lifecycle(context, Duration.ofSeconds(10));
        try (ApiSimulator simulator = LocalStack.simulator(port, Duration.ofMillis(p50), Duration.ofMillis(p99), apiKey)) {
            context.out().println("API simulator listening at " + simulator.baseUrl() + "/chats/v2; Ctrl-C stops it");
            context.out().flush();
            lifecycle.awaitStopOrFailure(() -> null);
        }
        return lifecycle.finished(0);
    }
}
