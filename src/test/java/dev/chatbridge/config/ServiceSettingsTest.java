package dev.chatbridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chatbridge.api.ApiKey;
import dev.chatbridge.app.ChatBridgeApp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class ServiceSettingsTest {

    private static final String SECRET = "sk-very-secret-value";

    @TempDir
    Path dir;

    private static Map<String, String> complete() {
        Map<String, String> env = new HashMap<>();
        env.put("CHAT_BRIDGE_API_URL", "https://api.example.com");
        env.put("CHAT_BRIDGE_API_KEY", SECRET);
        env.put("KAFKA_BOOTSTRAP_SERVERS", "broker:9092");
        env.put("KAFKA_SCHEMA_REGISTRY_URL", "https://registry:8081");
        return env;
    }

    private static ChatBridgeConfig config(Map<String, String> env) {
        return ConfigLoader.load(Map.of(), env, null).parse();
    }

    @Test
    void shouldBuildTheServiceSettingsFromACompleteConfiguration() {
        // When
        ChatBridgeApp.Settings settings = ServiceSettings.forRun(config(complete()));

        // Then
        assertThat(settings.streams())
                .containsEntry("application.id", "chat-bridge")
                .containsEntry("bootstrap.servers", "broker:9092")
                .containsEntry("processing.guarantee", "exactly_once_v2")
                .doesNotContainKey("schema.registry.url");
        assertThat(settings.serdeConfigs().get("schema.registry.url")).isEqualTo("https://registry:8081");
        assertThat(settings.client().baseUrl()).hasToString("https://api.example.com");
        assertThat(settings.client().maxInFlight()).isEqualTo(settings.engine().maxInFlight());
        assertThat(settings.drainTimeout().toMillis()).isEqualTo(30_000);
    }

    @Test
    void shouldTurnOffTaskIdlingUnlessTheOperatorSetsIt() {
        // Given the defaults, and an operator's own value
        Map<String, String> overridden = complete();
        overridden.put("KAFKA_MAX_TASK_IDLE_MS", "250");

        // When
        ChatBridgeApp.Settings defaults = ServiceSettings.forRun(config(complete()));
        ChatBridgeApp.Settings operators = ServiceSettings.forRun(config(overridden));

        // Then: every task reads one partition, so there is nothing to idle for (see StreamsProperties)
        assertThat(defaults.streams()).containsEntry("max.task.idle.ms", "-1");
        assertThat(operators.streams()).containsEntry("max.task.idle.ms", "250");
    }

    @Test
    void shouldNameEachMissingSettingWithItsEnvironmentVariable() {
        // Given nothing at all
        // When / Then
        assertThatThrownBy(() -> ServiceSettings.forRun(config(Map.of())))
                .isInstanceOfSatisfying(
                        InvalidConfigurationException.class,
                        e -> assertThat(e.problems())
                                .hasSize(4)
                                .anySatisfy(p -> assertThat(p)
                                        .startsWith("chat.api.url is not set")
                                        .contains("CHAT_BRIDGE_API_URL"))
                                .anySatisfy(p -> assertThat(p)
                                        .startsWith("no API key")
                                        .contains(
                                                "chat.api.key.file", "CHAT_BRIDGE_API_KEY_FILE", "CHAT_BRIDGE_API_KEY"))
                                .anySatisfy(p -> assertThat(p).contains("bootstrap.servers", "KAFKA_BOOTSTRAP_SERVERS"))
                                .anySatisfy(p ->
                                        assertThat(p).contains("schema.registry.url", "KAFKA_SCHEMA_REGISTRY_URL")));
    }

    @Test
    void shouldReadTheKeyFromAFileAndRefuseBothSources() throws IOException {
        Path keyFile = Files.writeString(dir.resolve("key"), SECRET + "\n");
        Map<String, String> env = complete();
        env.remove("CHAT_BRIDGE_API_KEY");
        env.put("CHAT_BRIDGE_API_KEY_FILE", keyFile.toString());
        assertThat(ServiceSettings.forRun(config(env)).client().apiKey()).isEqualTo(ApiKey.of(SECRET));

        env.put("CHAT_BRIDGE_API_KEY", SECRET);
        assertThatThrownBy(() -> ServiceSettings.forRun(config(env)))
                .hasMessageContaining("both chat.api.key.file and chat.api.key are set")
                .hasMessageNotContaining(SECRET);
    }

    @Test
    void shouldRefuseClashingTimeoutsNamingKeysAndFix() {
        Map<String, String> env = complete();
        env.put("CHAT_BRIDGE_API_FIRST_BYTE_TIMEOUT_MS", "400000");
        env.put("CHAT_BRIDGE_CALL_TIMEOUT_MS", "1000");
        env.put("CHAT_BRIDGE_BACKPRESSURE_MAX_WAIT_MS", "200000");

        assertThatThrownBy(() -> ServiceSettings.forRun(config(env)))
                .isInstanceOfSatisfying(
                        InvalidConfigurationException.class,
                        e -> assertThat(e.problems())
                                .anySatisfy(p -> assertThat(p)
                                        .contains("chat.api.first.byte.timeout.ms (400000) must not exceed "
                                                + "chat.api.attempt.timeout.ms"))
                                .anySatisfy(p -> assertThat(p).contains("chat.call.timeout.ms (1000) must be at least"))
                                .anySatisfy(p -> assertThat(p)
                                        .contains("chat.backpressure.max.wait.ms (200000)", "max.poll.interval.ms")));
    }

    @Test
    void shouldRedactEverySecretInTheEffectiveConfiguration() {
        // Given secrets under chat-bridge's, Kafka's and the registry's keys
        Map<String, String> env = complete();
        env.put("KAFKA_SASL_JAAS_CONFIG", "PlainLoginModule required username=\"u\" password=\"jaas-secret\";");
        env.put("KAFKA_SSL_KEY_PASSWORD", "ssl-secret");
        env.put("KAFKA_BASIC_AUTH_USER_INFO", "user:basic-secret");
        env.put("KAFKA_BEARER_AUTH_TOKEN", "bearer-secret");
        env.put("KAFKA_SCHEMA_REGISTRY_URL", "https://user:url-secret@registry:8081");
        env.put("CHAT_BRIDGE_API_TRUSTSTORE_PASSWORD", "store-secret");

        // When
        String logged = Redaction.effectiveConfiguration(config(env));

        // Then
        assertThat(logged)
                .doesNotContain(
                        SECRET,
                        "jaas-secret",
                        "ssl-secret",
                        "basic-secret",
                        "bearer-secret",
                        "url-secret",
                        "store-secret")
                .contains(
                        "chat.api.key = [redacted]",
                        "sasl.jaas.config = [redacted]",
                        "schema.registry.url = https://[redacted]@registry:8081",
                        "chat.api.url = https://api.example.com",
                        "chat.max.in.flight = 64");
    }

    @Test
    void shouldRefuseAProcessingGuaranteeGivenAsAKafkaSetting() {
        Map<String, String> env = complete();
        env.put("KAFKA_PROCESSING_GUARANTEE", "at_least_once");
        assertThatThrownBy(() -> ServiceSettings.forRun(config(env)))
                .hasMessageContaining("chat.processing.guarantee")
                .hasMessageContaining("CHAT_BRIDGE_PROCESSING_GUARANTEE");

        env.remove("KAFKA_PROCESSING_GUARANTEE");
        env.put("CHAT_BRIDGE_PROCESSING_GUARANTEE", "at_least_once");
        assertThat(ServiceSettings.forRun(config(env)).streams())
                .containsEntry("processing.guarantee", "at_least_once");
    }
}
