package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The API's base URL: cleartext only to loopback unless allowed, and URLs in errors never show secrets. */
@Timeout(10)
class ChatClientCleartextTest {

    private static final String KEY = "sk-CLEARTEXT-TEST-DISTINCTIVE";

    private static ChatClientConfig.Builder with(String url) {
        return ChatClientConfig.builder().baseUrl(url).apiKey(ApiKey.of(KEY));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "http://127.0.0.1:8080",
                "http://localhost:8080/v1",
                "http://[::1]:8080",
                "http://127.9.9.9",
                "https://api.example.com",
                "HTTPS://API.EXAMPLE.COM/v1"
            })
    void shouldAcceptLoopbackCleartextAndAnyHttps(String url) {
        ChatClientConfig config = with(url).build();

        assertThat(config.allowCleartext()).isFalse();
        assertThat(config.clientCertificate()).isNull();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "http://api.example.com",
                "http://10.1.2.3:8080/v1",
                "HTTP://api.example.com",
                "http://localhost.example.com",
                "http://0.0.0.0:8080",
                "http://[::2]:8080"
            })
    void shouldRefuseCleartextToAnyOtherHostNamingTheRuleAndTheFix(String url) {
        assertThatThrownBy(() -> with(url).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("baseUrl")
                .hasMessageContaining("not loopback")
                .hasMessageContaining("https://")
                .hasMessageContaining("chat.api.allow.cleartext=true")
                .message()
                .doesNotContain(KEY);
    }

    @Test
    void shouldAcceptCleartextToAnyHostWhenAllowed() {
        ChatClientConfig config =
                with("http://api.internal:8080").allowCleartext(true).build();

        assertThat(config.baseUrl()).hasToString("http://api.internal:8080");
        assertThat(config.allowCleartext()).isTrue();
        assertThat(config.toString()).contains("allowCleartext=true");
    }

    @Test
    void shouldNotShowQueryValuesOrUserInfoInUrlErrors() {
        assertThatThrownBy(() -> with("https://api.example.com/v1?api_key=k3y-secret&sig=s1g")
                        .build())
                .hasMessageContaining("api_key=[redacted]")
                .hasMessageContaining("sig=[redacted]")
                .message()
                .doesNotContain("k3y-secret", "s1g");
        assertThatThrownBy(() ->
                        with("https://api.example.com/v1#access_token=t0k").build())
                .message()
                .doesNotContain("t0k");
        assertThatThrownBy(() -> with("https://user:hunter2@api.example.com/ bad?token=t0k")
                        .build())
                .hasMessageContaining("baseUrl")
                .message()
                .doesNotContain("hunter2", "t0k");
    }

    @Test
    void shouldRefuseAClientCertificateWithoutHttps() {
        ChatClientConfig.ClientCertificate certificate =
                new ChatClientConfig.ClientCertificate(Path.of("client.crt"), Path.of("client.key"), "key-pw-secret");

        assertThatThrownBy(() -> with("http://127.0.0.1:8080")
                        .clientCertificate(certificate)
                        .build())
                .hasMessageContaining("clientCertificate")
                .hasMessageContaining("https");
        assertThat(certificate.toString()).doesNotContain("key-pw-secret").contains("redacted");
    }
}
