package dev.chatbridge.cli;

import dev.chatbridge.config.InvalidConfigurationException;
import dev.chatbridge.engine.ChatBridgeTopology;
import dev.chatbridge.engine.EngineConfig;
import dev.chatbridge.engine.EngineResources;
import dev.chatbridge.engine.Topics;
import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.ChatResponse;
import dev.chatbridge.registry.SchemaRegistryClient;
import dev.chatbridge.registry.SchemaRegistryClients;
import dev.chatbridge.serde.AvroSerdeConfig;
import dev.chatbridge.serde.AvroSerdes;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import reactor.core.publisher.Mono;

/** {@code chat-bridge topology}: prints the Kafka Streams topology the configuration gives. */
@Command(
        name = "topology",
        mixinStandardHelpOptions = true,
        description =
                "Prints the Kafka Streams topology for the configuration (topics, input keying); connects to nothing.")
final class TopologyCommand implements Callable<Integer> {

    private final CliContext context;

    @Mixin
    ConfigOptions config;

    TopologyCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        EngineConfig engine;
        try {
            engine = config.load(context, Map.of()).parse().engine();
        } catch (InvalidConfigurationException e) {
            e.problems().forEach(p -> context.err().println("error: " + p));
            return RunCommand.CONFIG_ERROR;
        } catch (IllegalArgumentException | UncheckedIOException e) {
            context.err().println("error: " + e.getMessage());
            return RunCommand.CONFIG_ERROR;
        }
        Map<String, Object> mock = Map.of("schema.registry.url", "mock://chat-bridge-topology");
        try (SchemaRegistryClient registry = SchemaRegistryClients.create(mock)) {
            AvroSerdeConfig serde = AvroSerdeConfig.from(mock);
            Topics topics = Topics.of(
                    engine,
                    AvroSerdes.of(ChatRequest.class, registry, serde, false),
                    AvroSerdes.of(ChatResponse.class, registry, serde, false),
                    AvroSerdes.of(ChatDeadLetter.class, registry, serde, false));
            Clock clock = Clock.systemUTC();
            context.out()
                    .println(ChatBridgeTopology.build(
                                    engine, topics, request -> Mono.never(), new EngineResources(engine, clock), clock)
                            .describe());
        }
        context.out().flush();
        return 0;
    }
}
