package dev.chatbridge.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * The command line of Kafka's own Streams reset tool ({@code org.apache.kafka.tools.StreamsResetter}, what
 * {@code kafka-streams-application-reset.sh} runs) for one chat-bridge reset, and the client settings it is given
 * through its {@code --command-config} file. Pure functions.
 *
 * <p>The tool's {@code --force} (remove the members of the consumer group) is never produced: chat-bridge's own
 * {@code --force} only overrides its pending-request check.
 */
final class StreamsResetterArgs {

    /** Where the input offsets go; {@code value} is the tool's argument for DATETIME and DURATION. */
    record Target(Position position, String value) {
        Target {
            Objects.requireNonNull(position, "position");
            if ((position == Position.DATETIME || position == Position.DURATION) == (value == null)) {
                throw new IllegalArgumentException(position + (value == null ? " needs a value" : " takes no value"));
            }
        }

        static final Target EARLIEST = new Target(Position.EARLIEST, null);
    }

    /** The tool's reset positions that chat-bridge offers. */
    enum Position {
        EARLIEST("--to-earliest"),
        LATEST("--to-latest"),
        DATETIME("--to-datetime"),
        DURATION("--by-duration");

        private final String flag;

        Position(String flag) {
            this.flag = flag;
        }

        String flag() {
            return flag;
        }
    }

    private StreamsResetterArgs() {}

    /**
     * The tool's arguments.
     *
     * @param bootstrapServers {@code bootstrap.servers}
     * @param applicationId the application (and consumer group) to reset
     * @param inputTopic chat-bridge's input topic ({@code chat.topics.requests})
     * @param target where the input offsets go
     * @param dryRun only show what would be done
     * @param internalTopics the internal topics to delete, or empty to let the tool find them
     *     ({@code <application.id>-*-changelog}, {@code -repartition}, ...)
     * @param commandConfig the properties file with the client settings, or null for none
     */
    static List<String> of(
            String bootstrapServers,
            String applicationId,
            String inputTopic,
            Target target,
            boolean dryRun,
            List<String> internalTopics,
            Path commandConfig) {
        List<String> args = new ArrayList<>(List.of(
                "--bootstrap-server",
                bootstrapServers,
                "--application-id",
                applicationId,
                "--input-topics",
                inputTopic,
                target.position().flag()));
        if (target.value() != null) {
            args.add(target.value());
        }
        if (!internalTopics.isEmpty()) {
            args.add("--internal-topics");
            args.add(String.join(",", internalTopics));
        }
        if (commandConfig != null) {
            args.add("--command-config");
            args.add(commandConfig.toString());
        }
        if (dryRun) {
            args.add("--dry-run");
        }
        return List.copyOf(args);
    }

    /**
     * The settings the tool's admin client and consumer get from the configuration: the admin client's own keys
     * (security.protocol, sasl.*, ssl.*, timeouts, client.dns.lookup, ...) and config providers, without
     * bootstrap.servers (a flag of its own). Streams, producer, serde and chat-bridge settings are left out: the tool's
     * clients do not use them.
     */
    static Map<String, String> clientSettings(Map<String, String> kafkaSettings) {
        Map<String, String> settings = new TreeMap<>();
        kafkaSettings.forEach((key, value) -> {
            boolean client = AdminClientConfig.configNames().contains(key)
                    || key.startsWith("ssl.")
                    || key.startsWith("sasl.")
                    || key.startsWith("config.providers");
            if (client
                    && !key.equals(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)
                    && !key.equals(AdminClientConfig.BOOTSTRAP_CONTROLLERS_CONFIG)) {
                settings.put(key, value);
            }
        });
        return settings;
    }
}
