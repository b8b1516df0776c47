package dev.chatbridge.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chatbridge.config.InvalidConfigurationException;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Cleartext http is accepted only to loopback registries unless explicitly allowed; URLs in errors are scrubbed. */
@Timeout(10)
class RegistryCleartextTest {

    private static Map<String, Object> withUrl(String url) {
        Map<String, Object> configs = new HashMap<>();
        configs.put(RegistryClientConfig.SCHEMA_REGISTRY_URL, url);
        return configs;
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "http://127.0.0.1:8081",
                "http://localhost:8081",
                "http://[::1]:8081",
                "http://127.3.2.1",
                "https://registry.example.com:8081",
                "HTTPS://registry.example.com"
            })
    void shouldAcceptLoopbackCleartextAndAnyHttps(String url) {
        assertThat(RegistryClientConfig.from(withUrl(url)).urls()).hasSize(1);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "http://registry.example.com:8081",
                "http://10.0.0.5:8081",
                "HTTP://registry:8081",
                "https://ok.example.com,http://registry:8081",
                "http://localhost.example.com:8081"
            })
    void shouldRefuseCleartextToAnyOtherHost(String url) {
        assertThatThrownBy(() -> RegistryClientConfig.from(withUrl(url)))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining(RegistryClientConfig.SCHEMA_REGISTRY_URL)
                .hasMessageContaining("not loopback")
                .hasMessageContaining("https://")
                .hasMessageContaining(RegistryClientConfig.ALLOW_CLEARTEXT + "=true");
    }

    @Test
    void shouldAcceptCleartextToAnyHostWhenAllowed() {
        for (Object allowed : new Object[] {true, "true", " TRUE "}) {
            Map<String, Object> configs = withUrl("http://registry.example.com:8081");
            configs.put(RegistryClientConfig.ALLOW_CLEARTEXT, allowed);

            RegistryClientConfig config = RegistryClientConfig.from(configs);

            assertThat(config.urls()).containsExactly(URI.create("http://registry.example.com:8081"));
            assertThat(config.allowCleartext()).isTrue();
        }
    }

    @Test
    void shouldRefuseAnAllowValueThatIsNotABoolean() {
        Map<String, Object> configs = withUrl("https://registry.example.com");
        configs.put(RegistryClientConfig.ALLOW_CLEARTEXT, "yes");

        assertThatThrownBy(() -> RegistryClientConfig.from(configs))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining(RegistryClientConfig.ALLOW_CLEARTEXT)
                .hasMessageContaining("true or false");
    }

    @Test
    void shouldNotShowCredentialsOrQueryValuesWhenRefusingCleartext() {
        assertThatThrownBy(() -> RegistryClientConfig.from(withUrl("http://svc:basic-secret@registry:8081/x")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("http://registry:8081/x")
                .hasMessageNotContaining("basic-secret")
                .hasMessageNotContaining("svc");
    }

    @Test
    void shouldRefuseAQueryOrFragmentWithoutShowingItsValues() {
        // Request paths are appended to the base URL, so a query could never have worked
        assertThatThrownBy(() -> RegistryClientConfig.from(withUrl("https://registry:8081/?api_key=k3y-secret")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("api_key=[redacted]")
                .hasMessageContaining(RegistryClientConfig.BEARER_AUTH_TOKEN)
                .hasMessageNotContaining("k3y-secret");
        assertThatThrownBy(() -> RegistryClientConfig.from(withUrl("https://registry:8081/#frag-secret")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageNotContaining("frag-secret");
        assertThatThrownBy(() -> RegistryClientConfig.from(withUrl("https://u:p@registry:8081 /x?token=bad url")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageNotContaining("u:p")
                .hasMessageNotContaining("bad url");
    }

    @Test
    void shouldNotShowQueryValuesInToString() {
        Map<String, Object> configs = withUrl("https://svc:pw-secret@registry:8081/base");
        assertThat(RegistryClientConfig.from(configs).toString())
                .contains("https://registry:8081/base")
                .doesNotContain("pw-secret");
    }
}
