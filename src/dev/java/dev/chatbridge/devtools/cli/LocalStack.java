package dev.chatbridge.devtools.cli;

import dev.chatbridge.devtools.PortsInUse;
import dev.chatbridge.devtools.broker.EmbeddedKafkaBroker;
import dev.chatbridge.devtools.registry.EmbeddedSchemaRegistry;
import dev.chatbridge.devtools.simulator.ApiSimulator;
import dev.chatbridge.devtools.simulator.LatencyModel;
import dev.chatbridge.devtools.simulator.SimulatorConfig;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The local stand-ins of {@code demo} and {@code sandbox}, all on 127.0.0.1: an embedded Kafka broker, an embedded
 * schema registry and (optionally) the API simulator. Started by one thread, closed by the same thread, in reverse
 * order.
 */
final class LocalStack implements AutoCloseable {

    /** The API key the local simulator accepts. */
    static final String SIMULATOR_KEY = "demo-key";

    private EmbeddedKafkaBroker broker;
    private EmbeddedSchemaRegistry registry;
    private ApiSimulator simulator;

    /**
     * Starts the broker, the registry and, when {@code apiPort >= 0}, the simulator. Closes what started when a later
     * part fails.
     */
    static LocalStack start(int kafkaPort, int registryPort, int apiPort) {
        LocalStack stack = new LocalStack();
        try {
            stack.broker = onPort(
                    "Kafka",
                    kafkaPort,
                    "--kafka-port",
                    () -> EmbeddedKafkaBroker.builder()
                            .brokerPort(kafkaPort)
                            .build()
                            .start());
            stack.registry = onPort(
                    "schema registry",
                    registryPort,
                    "--registry-port",
                    () -> new EmbeddedSchemaRegistry(registryPort).start());
            if (apiPort >= 0) {
                stack.simulator = onPort(
                        "API simulator",
                        apiPort,
                        "--api-port",
                        () -> simulator(apiPort, Duration.ofMillis(150), Duration.ofMillis(900), SIMULATOR_KEY));
            }
            return stack;
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
    }

    /**
     * Starts one part; when its port is taken, the error names the command-line flag that moves it (the parts' own
     * messages name their Java builders).
     */
    private static <T> T onPort(String part, int port, String flag, Supplier<T> start) {
        try {
            return start.get();
        } catch (RuntimeException e) {
            if (PortsInUse.causedBy(e)) {
                throw new IllegalStateException(
                        "the " + part + " cannot listen on 127.0.0.1:" + port + ": the port is already in use;"
                                + " stop what uses it, or choose another port with " + flag + " (0 picks a free"
                                + " one)",
                        e);
            }
            throw e;
        }
    }

    /** A started simulator on 127.0.0.1 with log-normal latency. */
    static ApiSimulator simulator(int port, Duration p50, Duration p99, String apiKey) {
        return new ApiSimulator(SimulatorConfig.builder()
                        .host("127.0.0.1")
                        .port(port)
                        .apiKeys(apiKey)
                        .latency(LatencyModel.logNormal(p50, p99))
                        .seed(System.nanoTime())
                        .build())
                .start();
    }

    String bootstrapServers() {
        return broker.bootstrapServers();
    }

    String registryUrl() {
        return registry.url();
    }

    /** The simulator's base URL, or null when none runs. */
    String apiUrl() {
        return simulator == null ? null : simulator.baseUrl();
    }

    /** Prints where everything listens. */
    void printAddresses(PrintWriter out) {
        out.println("  Kafka bootstrap servers: " + bootstrapServers());
        out.println("  Schema registry:         " + registryUrl());
        if (simulator != null) {
            out.println("  API simulator:           " + apiUrl() + "  (API key: " + SIMULATOR_KEY + ")");
        }
        out.flush();
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (AutoCloseable part : new AutoCloseable[] {simulator, registry, broker}) {
            if (part == null) {
                continue;
            }
            try {
                part.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("could not stop the local stack cleanly", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
