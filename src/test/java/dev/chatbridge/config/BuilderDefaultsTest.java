package dev.chatbridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.api.ApiKey;
import dev.chatbridge.api.ChatClientConfig;
import dev.chatbridge.engine.EngineConfig;
import dev.chatbridge.engine.EngineConfigDef;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The builders of {@link EngineConfig} and {@link ChatClientConfig} start from the defaults of the one definition
 * ({@link ChatBridgeConfig#DEFINITION}): a default changed in one place only fails here.
 */
class BuilderDefaultsTest {

    private static Object definitionDefault(String key) {
        return ChatBridgeConfig.DEFINITION.configKeys().get(key).defaultValue;
    }

    private static Object plain(Object value) {
        return value instanceof Duration d ? d.toMillis() : value instanceof Enum<?> e ? e.name() : value;
    }

    @Test
    void engineBuilderDefaultsShouldBeTheDefinitionsDefaults() {
        EngineConfig built = EngineConfig.builder().build();
        Map<String, Function<EngineConfig, Object>> settings = new LinkedHashMap<>();
        settings.put(EngineConfig.KEY_REQUESTS_TOPIC, EngineConfig::requestsTopic);
        settings.put(EngineConfig.KEY_RESPONSES_TOPIC, EngineConfig::responsesTopic);
        settings.put(EngineConfig.KEY_DEAD_LETTERS_TOPIC, EngineConfig::deadLettersTopic);
        settings.put(EngineConfig.KEY_INPUT_KEYING, EngineConfig::inputKeying);
        settings.put(EngineConfig.KEY_MAX_IN_FLIGHT, EngineConfig::maxInFlight);
        settings.put(EngineConfig.KEY_MAX_PENDING, EngineConfig::maxPending);
        settings.put(EngineConfig.KEY_BACKPRESSURE_MAX_WAIT, EngineConfig::backpressureMaxWait);
        settings.put(EngineConfig.KEY_DRAIN_INTERVAL, EngineConfig::drainInterval);
        settings.put(EngineConfig.KEY_ATTEMPT_TIMEOUT, EngineConfig::attemptTimeout);
        settings.put(EngineConfig.KEY_MAX_MESSAGES, EngineConfig::maxMessages);
        settings.put(EngineConfig.KEY_MAX_TEXT_BYTES, EngineConfig::maxTextBytes);
        settings.put(EngineConfig.KEY_MAX_REQUEST_BYTES, EngineConfig::maxRequestBytes);
        settings.put(EngineConfig.KEY_MAX_ID_CHARS, EngineConfig::maxIdChars);
        settings.put(EngineConfig.KEY_MAX_METADATA_BYTES, EngineConfig::maxMetadataBytes);
        settings.put(EngineConfig.KEY_MAX_RESPONSE_BYTES, EngineConfig::maxResponseBytes);
        settings.put(EngineConfig.KEY_PAUSE_INITIAL_BACKOFF, EngineConfig::pauseInitialBackoff);
        settings.put(EngineConfig.KEY_PAUSE_MAX_BACKOFF, EngineConfig::pauseMaxBackoff);
        settings.put(
                EngineConfigDef.KEY_RETRY_MAX_ATTEMPTS, c -> c.retryPolicy().maxAttempts());
        settings.put(
                EngineConfigDef.KEY_RETRY_INITIAL_BACKOFF, c -> c.retryPolicy().initialBackoff());
        settings.put(EngineConfigDef.KEY_RETRY_MAX_BACKOFF, c -> c.retryPolicy().maxBackoff());
        settings.put(
                EngineConfigDef.KEY_RETRY_MAX_RETRY_AFTER, c -> c.retryPolicy().maxRetryAfter());
        settings.put(
                EngineConfigDef.KEY_RETRY_MAX_TOTAL_TIME, c -> c.retryPolicy().maxTotalTime());
        settings.put(EngineConfig.KEY_ADAPTIVE_ENABLED, EngineConfig::adaptive);
        settings.put(EngineConfig.KEY_ADAPTIVE_ALGORITHM, EngineConfig::adaptiveAlgorithm);
        settings.put(EngineConfig.KEY_QUOTA_REQUESTS_PER_SECOND, EngineConfig::quotaRequestsPerSecond);
        settings.put(EngineConfig.KEY_QUOTA_MAX_IN_FLIGHT, EngineConfig::quotaMaxInFlight);

        assertThat(settings.keySet())
                .containsExactlyInAnyOrderElementsOf(
                        EngineConfigDef.definition().names());
        settings.forEach((key, accessor) ->
                assertThat(plain(accessor.apply(built))).as(key).isEqualTo(plain(definitionDefault(key))));
    }

    @Test
    void clientBuilderDefaultsShouldBeTheDefinitionsDefaults() {
        ChatClientConfig built = ChatClientConfig.builder()
                .baseUrl("https://api.example.com")
                .apiKey(ApiKey.of("sk-defaults"))
                .build();
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put(ChatBridgeConfig.API_CONNECT_TIMEOUT, built.connectTimeout());
        settings.put(ChatBridgeConfig.API_FIRST_BYTE_TIMEOUT, built.firstByteTimeout());
        settings.put(ChatBridgeConfig.API_IDLE_TIMEOUT, built.idleTimeout());
        settings.put(ChatBridgeConfig.API_ATTEMPT_TIMEOUT, built.attemptTimeout());
        settings.put(EngineConfig.KEY_MAX_IN_FLIGHT, built.maxInFlight());
        settings.put(ChatBridgeConfig.API_MAX_ANSWER_BYTES, built.maxAnswerBytes());
        settings.put(ChatBridgeConfig.API_RETRY_BROKEN_STREAMS, built.retryBrokenStreams());
        settings.put(ChatBridgeConfig.API_ALLOW_CLEARTEXT, built.allowCleartext());

        settings.forEach((key, value) -> assertThat(plain(value)).as(key).isEqualTo(plain(definitionDefault(key))));
        // 0, the definition's default, stands for a quarter of the heap
        assertThat(definitionDefault(ChatBridgeConfig.API_ANSWER_MEMORY_BYTES)).isEqualTo(0L);
        assertThat(built.answerMemoryBytes()).isEqualTo(Runtime.getRuntime().maxMemory() / 4);
    }
}
