package dev.chatbridge.cli;

import dev.chatbridge.config.ChatBridgeConfig;
import dev.chatbridge.config.ConfigLoader;
import dev.chatbridge.config.InvalidConfigurationException;
import dev.chatbridge.config.ServiceSettings;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options every command that reads configuration shares; flags beat environment beats file. */
public final class ConfigOptions {

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with chat.* and Kafka settings.")
    Path file;

    @Option(
            names = {"-s", "--set"},
            paramLabel = "KEY=VALUE",
            description =
                    "A setting (repeatable), for example --set chat.max.in.flight=16; beats environment and file.")
    Map<String, String> set = new LinkedHashMap<>();

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "Kafka brokers (bootstrap.servers).")
    String bootstrapServers;

    @Option(names = "--registry-url", paramLabel = "URL", description = "Schema registry (schema.registry.url).")
    String registryUrl;

    /** The command-line settings, named flags last (they win over --set). */
    Map<String, String> flags() {
        Map<String, String> flags = new LinkedHashMap<>(set);
        if (bootstrapServers != null) {
            flags.put("bootstrap.servers", bootstrapServers);
        }
        if (registryUrl != null) {
            flags.put("schema.registry.url", registryUrl);
        }
        return flags;
    }

    /** Loads the settings from the flags, the context's environment and the file. */
    public ConfigLoader.Loaded load(CliContext context, Map<String, String> extraFlags) {
        ConfigLoader.Loaded loaded = loadQuietly(context, extraFlags);
        loaded.warnings().forEach(w -> context.err().println("warning: " + w));
        return loaded;
    }

    /**
     * Loads what a command that only talks to Kafka and the registry needs ({@code send}, {@code tail}): prints each
     * problem as one {@code error:} line and returns null when the configuration cannot serve.
     */
    ChatBridgeConfig loadForKafkaClient(CliContext context) {
        try {
            ChatBridgeConfig parsed = load(context, Map.of()).parse();
            List<String> problems = new ArrayList<>();
            ServiceSettings.requireKafkaFor(parsed, problems);
            if (!problems.isEmpty()) {
                throw new InvalidConfigurationException(problems);
            }
            return parsed;
        } catch (InvalidConfigurationException e) {
            e.problems().forEach(p -> context.err().println("error: " + p));
            return null;
        } catch (UncheckedIOException e) {
            context.err().println("error: " + e.getMessage());
            return null;
        }
    }

    /** Like {@link #load} without printing the warnings (for a second load of the same sources). */
    public ConfigLoader.Loaded loadQuietly(CliContext context, Map<String, String> extraFlags) {
        Map<String, String> flags = flags();
        flags.putAll(extraFlags);
        return ConfigLoader.load(flags, context.environment(), file);
    }
}
