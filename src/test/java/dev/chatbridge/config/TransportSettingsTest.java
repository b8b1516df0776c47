package dev.chatbridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.registry.RegistryClientConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The transport settings as run reads them: cleartext refusals and mutual TLS, one problem line each. */
@Timeout(10)
class TransportSettingsTest {

    private static final String SECRET = "sk-transport-settings-secret";

    @TempDir
    Path dir;

    private static Map<String, String> env(String apiUrl, String registryUrl) {
        Map<String, String> env = new HashMap<>();
        env.put("CHAT_BRIDGE_API_URL", apiUrl);
        env.put("CHAT_BRIDGE_API_KEY", SECRET);
        env.put("KAFKA_BOOTSTRAP_SERVERS", "broker:9092");
        env.put("KAFKA_SCHEMA_REGISTRY_URL", registryUrl);
        return env;
    }

    private static ChatBridgeConfig config(Map<String, String> env) {
        return ConfigLoader.load(Map.of(), env, null).parse();
    }

    @Test
    void shouldDefaultToRefusingCleartext() {
        ChatBridgeConfig config = config(env("https://api.example.com", "https://registry:8081"));

        assertThat(config.bool(ChatBridgeConfig.API_ALLOW_CLEARTEXT)).isFalse();
        assertThat(config.bool(ChatBridgeConfig.REGISTRY_ALLOW_CLEARTEXT)).isFalse();
        assertThat(ServiceSettings.serdeConfigs(config)).containsEntry(RegistryClientConfig.ALLOW_CLEARTEXT, false);
    }

    @Test
    void shouldRefuseEachRemoteCleartextEndpointWithOneLineThatNamesItsOwnSetting() {
        assertThatThrownBy(() -> ServiceSettings.forRun(config(env("http://api.example.com", "https://registry:8081"))))
                .isInstanceOfSatisfying(
                        InvalidConfigurationException.class,
                        e -> assertThat(e.problems())
                                .singleElement()
                                .asString()
                                .contains(
                                        "chat.api",
                                        "http://api.example.com",
                                        "not loopback",
                                        "chat.api.allow.cleartext=true",
                                        "CHAT_BRIDGE_API_ALLOW_CLEARTEXT")
                                .doesNotContain(SECRET));
        assertThatThrownBy(() -> ServiceSettings.forRun(config(env("https://api.example.com", "http://registry:8081"))))
                .isInstanceOfSatisfying(
                        InvalidConfigurationException.class,
                        e -> assertThat(e.problems())
                                .singleElement()
                                .asString()
                                .contains(
                                        "schema.registry.url",
                                        "http://registry:8081",
                                        "not loopback",
                                        "chat.registry.allow.cleartext=true",
                                        "CHAT_BRIDGE_REGISTRY_ALLOW_CLEARTEXT"));
    }

    @Test
    void shouldAllowEachEndpointOnItsOwn() {
        // Given: a registry on a trusted in-cluster network, the API over https
        Map<String, String> env = env("https://api.example.com", "http://registry:8081");
        env.put("CHAT_BRIDGE_REGISTRY_ALLOW_CLEARTEXT", "true");
        ChatBridgeApp.Settings settings = ServiceSettings.forRun(config(env));
        assertThat(settings.serdeConfigs().get(RegistryClientConfig.ALLOW_CLEARTEXT))
                .isEqualTo(true);
        assertThat(settings.client().allowCleartext()).isFalse();

        // Allowing the registry does not allow the API
        env.put("CHAT_BRIDGE_API_URL", "http://api.internal:8080");
        assertThatThrownBy(() -> ServiceSettings.forRun(config(env))).hasMessageContaining("chat.api.allow.cleartext");

        env.put("CHAT_BRIDGE_API_ALLOW_CLEARTEXT", "true");
        assertThat(ServiceSettings.forRun(config(env)).client().allowCleartext())
                .isTrue();
    }

    @Test
    void shouldAcceptLoopbackCleartextWithoutAnySetting() {
        ChatBridgeApp.Settings settings =
                ServiceSettings.forRun(config(env("http://127.0.0.1:8080", "http://localhost:8081")));

        assertThat(settings.client().baseUrl()).hasToString("http://127.0.0.1:8080");
    }

    @Test
    void shouldRefuseHalfAClientCertificate() {
        Map<String, String> env = env("https://api.example.com", "https://registry:8081");
        env.put(
                "CHAT_BRIDGE_API_TLS_CLIENT_CERTIFICATE_FILE",
                dir.resolve("client.crt").toString());

        assertThatThrownBy(() -> ServiceSettings.forRun(config(env)))
                .isInstanceOfSatisfying(
                        InvalidConfigurationException.class,
                        e -> assertThat(e.problems())
                                .singleElement()
                                .asString()
                                .contains(
                                        ChatBridgeConfig.API_TLS_CLIENT_CERTIFICATE_FILE,
                                        ChatBridgeConfig.API_TLS_CLIENT_KEY_FILE,
                                        "set the other one too"));
    }

    @Test
    void shouldRefuseAnUnreadableClientCertificateAtStartWithoutShowingTheKeyPassword() {
        Map<String, String> env = env("https://api.example.com", "https://registry:8081");
        env.put(
                "CHAT_BRIDGE_API_TLS_CLIENT_CERTIFICATE_FILE",
                dir.resolve("client.crt").toString());
        env.put("CHAT_BRIDGE_API_TLS_CLIENT_KEY_FILE", dir.resolve("client.key").toString());
        env.put("CHAT_BRIDGE_API_TLS_CLIENT_KEY_PASSWORD", "key-password-secret");

        assertThatThrownBy(() -> ServiceSettings.forRun(config(env)))
                .isInstanceOfSatisfying(
                        InvalidConfigurationException.class,
                        e -> assertThat(e.problems())
                                .singleElement()
                                .asString()
                                .contains("client certificate file " + dir.resolve("client.crt"), "check the path")
                                .doesNotContain("key-password-secret"));
        assertThat(Redaction.effectiveConfiguration(config(env)))
                .contains("chat.api.tls.client.key.password = [redacted]")
                .contains("chat.api.tls.client.key.file = " + dir.resolve("client.key"))
                .doesNotContain("key-password-secret");
    }
}
