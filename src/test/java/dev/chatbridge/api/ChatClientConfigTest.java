package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class ChatClientConfigTest {

    private static final String KEY = "sk-CONFIG-TEST-5b2e-DISTINCTIVE";

    private static ChatClientConfig.Builder valid() {
        return ChatClientConfig.builder().baseUrl("https://api.example.com/v1/").apiKey(ApiKey.of(KEY));
    }

    @Test
    void shouldApplyTheDocumentedDefaults() {
        // When
        ChatClientConfig config = valid().build();

        // Then
        assertThat(config.baseUrl()).hasToString("https://api.example.com/v1");
        assertThat(config.endpoint()).hasToString("https://api.example.com/v1/chats/v2");
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.firstByteTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.idleTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.attemptTimeout()).isEqualTo(Duration.ofSeconds(300));
        assertThat(config.maxInFlight()).isEqualTo(64);
        assertThat(config.maxPendingAcquires()).isEqualTo(128);
        assertThat(config.pendingAcquireTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.maxIdleTime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.maxEventBytes())
                .as("1 MiB, but at most maxAnswerBytes")
                .isEqualTo(1_000_000);
        assertThat(config.maxAnswerBytes()).isEqualTo(1_000_000);
        assertThat(config.answerMemoryBytes()).isEqualTo(Runtime.getRuntime().maxMemory() / 4);
        assertThat(config.answerCaps()).isEqualTo(AnswerCaps.DEFAULT);
        assertThat(config.excerptBytes()).isEqualTo(2048);
        assertThat(config.retryBrokenStreams()).isTrue();
        assertThat(config.trustStore()).isNull();
        assertThat(config.userAgent()).isEqualTo("chat-bridge/" + dev.chatbridge.Version.get());
    }

    @Test
    void shouldNameTheSettingWhenAValueIsInvalid() {
        assertThatThrownBy(() -> valid().baseUrl(null).build()).hasMessageContaining("baseUrl");
        assertThatThrownBy(() -> valid().baseUrl("ftp://x").build()).hasMessageContaining("baseUrl");
        assertThatThrownBy(() -> valid().baseUrl("https://x/?a=1").build()).hasMessageContaining("baseUrl");
        assertThatThrownBy(() -> valid().apiKey(null).build()).hasMessageContaining("apiKey");
        assertThatThrownBy(() -> valid().connectTimeout(Duration.ZERO).build()).hasMessageContaining("connectTimeout");
        assertThatThrownBy(() -> valid().idleTimeout(Duration.ofSeconds(-1)).build())
                .hasMessageContaining("idleTimeout");
        assertThatThrownBy(() -> valid().maxInFlight(0).build()).hasMessageContaining("maxInFlight");
        assertThatThrownBy(() -> valid().maxPendingAcquires(0).build()).hasMessageContaining("maxPendingAcquires");
        assertThatThrownBy(() -> valid().excerptBytes(1).build()).hasMessageContaining("excerptBytes");
    }

    @Test
    void shouldNameBothSettingsWhenTheyContradictEachOther() {
        assertThatThrownBy(
                        () -> valid().firstByteTimeout(Duration.ofMinutes(10)).build())
                .hasMessageContaining("firstByteTimeout")
                .hasMessageContaining("attemptTimeout");
        assertThatThrownBy(() -> valid().maxEventBytes(1000).maxAnswerBytes(500).build())
                .hasMessageContaining("maxEventBytes")
                .hasMessageContaining("maxAnswerBytes");
        assertThatThrownBy(() -> valid().baseUrl("http://api.example.com")
                        .trustStore(new ChatClientConfig.TrustStore(Path.of("ts.p12"), "pw", "PKCS12"))
                        .build())
                .hasMessageContaining("trustStore")
                .hasMessageContaining("https");
    }

    @Test
    void shouldNotEchoCredentialsInTheBaseUrl() {
        assertThatThrownBy(() ->
                        valid().baseUrl("https://user:hunter2@api.example.com").build())
                .hasMessageContaining("baseUrl")
                .message()
                .doesNotContain("hunter2");
    }

    @Test
    void shouldNeverShowSecretsInToString() {
        // When
        ChatClientConfig config = valid().trustStore(
                        new ChatClientConfig.TrustStore(Path.of("ts.p12"), "store-secret-pw", "PKCS12"))
                .build();

        // Then
        assertThat(config.toString())
                .doesNotContain(KEY)
                .doesNotContain("store-secret-pw")
                .contains("ApiKey[redacted]");
        assertThat(config.apiKey()).hasToString("ApiKey[redacted]");
    }

    @Test
    void shouldLoadTheKeyTrimmedFromAFile(@TempDir Path dir) throws Exception {
        // Given
        Path file = dir.resolve("api-key");
        Files.writeString(file, "  " + KEY + "\n", StandardCharsets.UTF_8);

        // When
        ApiKey key = ApiKey.fromFile(file);

        // Then
        assertThat(key.secret()).isEqualTo(KEY);
        assertThat(key).isEqualTo(ApiKey.of(KEY)).hasToString("ApiKey[redacted]");
    }

    @Test
    void shouldLoadTheKeyFromAnEnvironmentVariable() {
        assertThat(ApiKey.fromEnvironment("CHAT_API_KEY", Map.of("CHAT_API_KEY", KEY + " "))
                        .secret())
                .isEqualTo(KEY);
        assertThatThrownBy(() -> ApiKey.fromEnvironment("CHAT_API_KEY", Map.of()))
                .hasMessageContaining("CHAT_API_KEY")
                .hasMessageContaining("not set");
    }

    @Test
    void shouldRejectAnEmptyOrUnsendableKeyWithoutShowingIt(@TempDir Path dir) throws Exception {
        // Given
        Path empty = dir.resolve("empty");
        Files.writeString(empty, " \n");

        // When / Then
        assertThatThrownBy(() -> ApiKey.fromFile(empty))
                .hasMessageContaining("empty")
                .hasMessageContaining(empty.toString());
        assertThatThrownBy(() -> ApiKey.of("abc def-" + KEY))
                .hasMessageContaining("position 3")
                .message()
                .doesNotContain(KEY);
    }

    @Test
    void shouldRefuseAnAnswerBudgetThatCannotHoldOneAnswer() {
        assertThatThrownBy(() -> valid().maxAnswerBytes(1_000_000)
                        .answerMemoryBytes(5_000_000)
                        .build())
                .hasMessageContaining("answerMemoryBytes (5000000)")
                .hasMessageContaining("maxAnswerBytes 1000000")
                .hasMessageContaining("10262144 heap bytes");
        assertThatThrownBy(() -> valid().answerMemoryBytes(-1).build()).hasMessageContaining("answerMemoryBytes");
        assertThat(valid().maxAnswerBytes(1_000_000)
                        .answerMemoryBytes(AnswerBudget.heapFor(1_000_000))
                        .build()
                        .answerMemoryBytes())
                .isEqualTo(10_262_144L);
    }

    @Test
    void shouldKeepTheDefaultEventBoundWithinASmallerAnswerBound() {
        assertThat(valid().maxAnswerBytes(4096).build().maxEventBytes()).isEqualTo(4096);
        assertThat(valid().maxAnswerBytes(8 * 1024 * 1024).build().maxEventBytes())
                .isEqualTo(1024 * 1024);
    }
}
