package dev.chatbridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chatbridge.engine.EngineConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class ConfigLoaderTest {

    @TempDir
    Path dir;

    @Test
    void shouldLetFlagsBeatEnvironmentBeatFileBeatDefaults() throws IOException {
        // Given the same setting in a file, the environment and a flag, and others in fewer places
        Path file = Files.writeString(dir.resolve("chat-bridge.properties"), """
                chat.max.in.flight=4
                chat.max.pending=40
                chat.topics.requests=from-file
                """);
        Map<String, String> env = Map.of("CHAT_BRIDGE_MAX_IN_FLIGHT", "8", "CHAT_BRIDGE_MAX_PENDING", "80");
        Map<String, String> flags = Map.of("chat.max.in.flight", "16");

        // When
        ChatBridgeConfig config = ConfigLoader.load(flags, env, file).parse();

        // Then
        EngineConfig engine = config.engine();
        assertThat(engine.maxInFlight()).as("flag beats environment and file").isEqualTo(16);
        assertThat(engine.maxPending()).as("environment beats file").isEqualTo(80);
        assertThat(engine.requestsTopic()).as("file beats default").isEqualTo("from-file");
        assertThat(engine.responsesTopic()).as("default").isEqualTo("chat-responses");
    }

    @Test
    void shouldMapEnvironmentVariablesByTheDocumentedRule() {
        // Given
        Map<String, String> env = Map.of(
                "CHAT_BRIDGE_API_URL", "https://api.example.com",
                "CHAT_BRIDGE_API_KEY_FILE", "/run/secrets/key",
                "CHAT_BRIDGE_MAX_IN_FLIGHT", "12",
                "KAFKA_BOOTSTRAP_SERVERS", "broker:9092",
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.plain.PlainLoginModule required;",
                "KAFKA_SCHEMA_REGISTRY_URL", "https://registry:8081",
                "KAFKA_HEAP_OPTS", "-Xmx1g",
                "PATH", "/usr/bin");

        // When
        ConfigLoader.Loaded loaded = ConfigLoader.load(Map.of(), env, null);
        ChatBridgeConfig config = loaded.parse();

        // Then
        assertThat(config.string(ChatBridgeConfig.API_URL)).isEqualTo("https://api.example.com");
        assertThat(config.string(ChatBridgeConfig.API_KEY_FILE)).isEqualTo("/run/secrets/key");
        assertThat(config.engine().maxInFlight()).isEqualTo(12);
        assertThat(config.kafkaSettings())
                .containsOnly(
                        Map.entry("bootstrap.servers", "broker:9092"),
                        Map.entry("security.protocol", "SASL_SSL"),
                        Map.entry(
                                "sasl.jaas.config",
                                "org.apache.kafka.common.security.plain.PlainLoginModule required;"),
                        Map.entry("schema.registry.url", "https://registry:8081"));
        assertThat(loaded.warnings()).isEmpty();
    }

    @Test
    void shouldNameTheEnvironmentVariableOfEveryKey() {
        assertThat(ConfigLoader.envVarFor("chat.api.url")).isEqualTo("CHAT_BRIDGE_API_URL");
        assertThat(ConfigLoader.envVarFor("chat.api.key.file")).isEqualTo("CHAT_BRIDGE_API_KEY_FILE");
        assertThat(ConfigLoader.envVarFor(EngineConfig.KEY_MAX_IN_FLIGHT)).isEqualTo("CHAT_BRIDGE_MAX_IN_FLIGHT");
        assertThat(ConfigLoader.envVarFor("sasl.jaas.config")).isEqualTo("KAFKA_SASL_JAAS_CONFIG");
    }

    @Test
    void shouldWarnAboutUnknownChatBridgeVariablesAndKeysAndDropThem() throws IOException {
        // Given a typo in the environment and one in the file
        Path file = Files.writeString(dir.resolve("c.properties"), "chat.max.inflight=3\nlinger.ms=5\n");
        Map<String, String> env = Map.of("CHAT_BRIDGE_MAX_INFLIGHT", "9");

        // When
        ConfigLoader.Loaded loaded = ConfigLoader.load(Map.of(), env, file);

        // Then
        assertThat(loaded.warnings())
                .hasSize(2)
                .anySatisfy(w -> assertThat(w)
                        .contains("CHAT_BRIDGE_MAX_INFLIGHT", "chat.max.inflight", "not a chat-bridge setting"))
                .anySatisfy(w -> assertThat(w).contains("unknown setting chat.max.inflight"));
        assertThat(loaded.settings()).containsOnly(Map.entry("linger.ms", "5"));
    }

    @Test
    void shouldNameTheKeyAndVariableOfEveryBadValue() {
        // Given two bad values
        Map<String, String> env = Map.of("CHAT_BRIDGE_MAX_IN_FLIGHT", "many", "CHAT_BRIDGE_LOG_FORMAT", "xml");

        // When / Then: one line per problem
        assertThatThrownBy(() -> ConfigLoader.load(Map.of(), env, null).parse())
                .isInstanceOfSatisfying(
                        InvalidConfigurationException.class,
                        e -> assertThat(e.problems())
                                .hasSize(2)
                                .anySatisfy(p -> assertThat(p)
                                        .contains("chat.max.in.flight", "CHAT_BRIDGE_MAX_IN_FLIGHT", "many"))
                                .anySatisfy(p ->
                                        assertThat(p).contains("chat.log.format", "CHAT_BRIDGE_LOG_FORMAT", "xml")));
    }

    @Test
    void shouldNameTheFileThatCannotBeRead() {
        Path missing = dir.resolve("nope.properties");
        assertThatThrownBy(() -> ConfigLoader.load(Map.of(), Map.of(), missing))
                .hasMessageContaining("cannot read the configuration file " + missing);
    }
}
