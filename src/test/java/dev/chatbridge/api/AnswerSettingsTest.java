package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chatbridge.config.ConfigLoader;
import dev.chatbridge.config.ServiceSettings;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The answer settings (chat.api.max.answer.bytes, chat.api.answer.memory.bytes) reach the client's config. */
@Timeout(10)
class AnswerSettingsTest {

    private static ChatClientConfig client(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(Map.of(
                "CHAT_BRIDGE_API_URL", "https://api.example.com",
                "CHAT_BRIDGE_API_KEY", "sk-settings-test",
                "KAFKA_BOOTSTRAP_SERVERS", "broker:9092",
                "KAFKA_SCHEMA_REGISTRY_URL", "https://registry:8081"));
        env.putAll(extra);
        return ServiceSettings.forRun(ConfigLoader.load(Map.of(), env, null).parse())
                .client();
    }

    @Test
    void shouldDefaultToTheLargestPublishableAnswerAndAQuarterOfTheHeap() {
        ChatClientConfig config = client(Map.of());

        assertThat(config.maxAnswerBytes()).isEqualTo(1_000_000);
        assertThat(config.answerMemoryBytes()).isEqualTo(Runtime.getRuntime().maxMemory() / 4);
        assertThat(config.answerCaps()).isEqualTo(AnswerCaps.DEFAULT);
    }

    @Test
    void shouldPassTheAnswerSettingsToTheClient() {
        ChatClientConfig config = client(Map.of(
                "CHAT_BRIDGE_API_MAX_ANSWER_BYTES", "200000", "CHAT_BRIDGE_API_ANSWER_MEMORY_BYTES", "50000000"));

        assertThat(config.maxAnswerBytes()).isEqualTo(200_000);
        assertThat(config.maxEventBytes()).isEqualTo(200_000);
        assertThat(config.answerMemoryBytes()).isEqualTo(50_000_000L);
    }

    @Test
    void shouldRefuseABudgetTooSmallForOneAnswerNamingBothSettings() {
        assertThatThrownBy(() -> client(Map.of("CHAT_BRIDGE_API_ANSWER_MEMORY_BYTES", "1000000")))
                .hasMessageContaining("answerMemoryBytes (1000000)")
                .hasMessageContaining("maxAnswerBytes 1000000")
                .hasMessageContaining("chat.api.answer.memory.bytes")
                .hasMessageContaining("chat.api.max.answer.bytes");
    }
}
