package dev.chatbridge.devtools.cli;

import picocli.CommandLine.Option;

/** The ports of the embedded broker, registry and simulator, shared by {@code demo} and {@code sandbox}. */
final class LocalStackPorts {

    @Option(
            names = "--kafka-port",
            defaultValue = "9092",
            description = "Kafka port (0 = free; default ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(
            names = "--registry-port",
            defaultValue = "8081",
            description = "Registry port (0 = free; default ${DEFAULT-VALUE}).")
    int registryPort;

    @Option(
            names = "--api-port",
            defaultValue = "8090",
            description = "Simulator port (0 = free; default ${DEFAULT-VALUE}).")
    int apiPort;

    /** Starts the stack on these ports; {@code withSimulator} false leaves the simulator out. */
    LocalStack start(boolean withSimulator) {
        return LocalStack.start(kafkaPort, registryPort, withSimulator ? apiPort : -1);
    }
}
