package dev.chatbridge.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chatbridge.config.InvalidConfigurationException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.types.Password;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryClientConfigTest {

    private static Map<String, Object> withUrl(String url) {
        Map<String, Object> configs = new HashMap<>();
        configs.put(RegistryClientConfig.SCHEMA_REGISTRY_URL, url);
        configs.put("bootstrap.servers", "127.0.0.1:9092");
        return configs;
    }

    @Test
    void shouldUseDefaultsAndIgnoreKafkaKeys() {
        RegistryClientConfig config = RegistryClientConfig.from(withUrl("http://127.0.0.1:8081"));

        assertThat(config.urls()).containsExactly(URI.create("http://127.0.0.1:8081"));
        assertThat(config.mockScope()).isEmpty();
        assertThat(config.maxSchemasPerSubject()).isEqualTo(1000);
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.readTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.callTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.unknownIdTtl()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.unknownIdCacheSize()).isEqualTo(10_000);
        assertThat(config.idLookupsPerSecond()).isEqualTo(200);
        assertThat(config.outageBackoff()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.outageBackoffMax()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.maxRetries()).isEqualTo(3);
        assertThat(config.retryWait()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.retryMaxWait()).isEqualTo(Duration.ofSeconds(20));
        assertThat(config.hasBasicAuth()).isFalse();
        assertThat(config.hasBearerAuth()).isFalse();
        assertThat(config.authorizationHeader()).isEmpty();
    }

    @Test
    void shouldReadAListOfUrlsAsStringOrList() {
        RegistryClientConfig fromString =
                RegistryClientConfig.from(withUrl(" https://a:8081 , https://b:8082/prefix "));
        Map<String, Object> asList = withUrl("ignored");
        asList.put(RegistryClientConfig.SCHEMA_REGISTRY_URL, List.of("https://a:8081", "https://b:8082/prefix"));

        assertThat(fromString.urls())
                .containsExactly(URI.create("https://a:8081"), URI.create("https://b:8082/prefix"));
        assertThat(RegistryClientConfig.from(asList).urls()).isEqualTo(fromString.urls());
    }

    @Test
    void shouldReadNumbersGivenAsStringsOrNumbers() {
        Map<String, Object> configs = withUrl("https://a:8081");
        configs.put(RegistryClientConfig.MAX_RETRIES, "5");
        configs.put(RegistryClientConfig.HTTP_READ_TIMEOUT_MS, 1500L);

        RegistryClientConfig config = RegistryClientConfig.from(configs);

        assertThat(config.maxRetries()).isEqualTo(5);
        assertThat(config.readTimeout()).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void shouldTakeBasicCredentialsOutOfTheUrl() {
        RegistryClientConfig config = RegistryClientConfig.from(withUrl("https://svc:s3cret@registry:8081"));

        assertThat(config.urls()).containsExactly(URI.create("https://registry:8081"));
        assertThat(config.hasBasicAuth()).isTrue();
        assertThat(config.authorizationHeader()).contains("Basic c3ZjOnMzY3JldA==");
        assertThat(config.toString()).doesNotContain("s3cret");
    }

    @Test
    void shouldReadUserInfoAndKafkaPasswordsWithoutShowingThem() {
        Map<String, Object> configs = withUrl("https://a:8081");
        configs.put(RegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE, "user_info");
        configs.put(RegistryClientConfig.BASIC_AUTH_USER_INFO, new Password("svc:top-secret"));

        RegistryClientConfig config = RegistryClientConfig.from(configs);

        assertThat(config.hasBasicAuth()).isTrue();
        assertThat(config.toString())
                .doesNotContain("top-secret")
                .doesNotContain("svc:")
                .contains("basic");
    }

    @Test
    void shouldNotShowTheBearerTokenOrTruststorePassword(@TempDir Path dir) throws Exception {
        Map<String, Object> configs = withUrl("https://a:8081");
        configs.put(RegistryClientConfig.BEARER_AUTH_CREDENTIALS_SOURCE, "STATIC_TOKEN");
        configs.put(RegistryClientConfig.BEARER_AUTH_TOKEN, "tok-very-secret");
        configs.put(
                RegistryClientConfig.SSL_TRUSTSTORE_LOCATION,
                emptyTruststore(dir, "trust-pass").toString());
        configs.put(RegistryClientConfig.SSL_TRUSTSTORE_PASSWORD, "trust-pass");
        configs.put(RegistryClientConfig.SSL_TRUSTSTORE_TYPE, "pkcs12");

        RegistryClientConfig config = RegistryClientConfig.from(configs);

        assertThat(config.authorizationHeader()).contains("Bearer tok-very-secret");
        assertThat(config.truststoreType()).isEqualTo("PKCS12");
        assertThat(config.toString())
                .doesNotContain("tok-very-secret")
                .doesNotContain("trust-pass")
                .contains("[hidden]");
        new RestSchemaRegistryClient(config).close();
    }

    @Test
    void shouldNameTheTruststoreKeysWhenTheTruststoreCannotBeLoaded(@TempDir Path dir) throws Exception {
        Map<String, Object> configs = withUrl("https://a:8081");
        configs.put(
                RegistryClientConfig.SSL_TRUSTSTORE_LOCATION,
                emptyTruststore(dir, "trust-pass").toString());
        configs.put(RegistryClientConfig.SSL_TRUSTSTORE_PASSWORD, "wrong-pass");
        configs.put(RegistryClientConfig.SSL_TRUSTSTORE_TYPE, "PKCS12");
        RegistryClientConfig config = RegistryClientConfig.from(configs);

        assertThatThrownBy(() -> new RestSchemaRegistryClient(config))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining(RegistryClientConfig.SSL_TRUSTSTORE_PASSWORD)
                .hasMessageNotContaining("wrong-pass")
                .hasMessageNotContaining("trust-pass");
    }

    @Test
    void shouldReadAMockScope() {
        RegistryClientConfig config = RegistryClientConfig.from(withUrl("mock://unit-tests"));

        assertThat(config.mockScope()).contains("unit-tests");
        assertThat(config.urls()).isEmpty();
    }

    @Test
    void shouldNameTheKeyAndTheFixForEachBadValue(@TempDir Path dir) {
        assertBad(Map.of("bootstrap.servers", "x"), RegistryClientConfig.SCHEMA_REGISTRY_URL, "http://localhost:8081");
        assertBad(withUrl("ftp://a"), RegistryClientConfig.SCHEMA_REGISTRY_URL, "http(s)://host:port");
        assertBad(withUrl("mock://"), RegistryClientConfig.SCHEMA_REGISTRY_URL, "mock://<scope>");
        assertBad(withUrl("mock://a,http://b:1"), RegistryClientConfig.SCHEMA_REGISTRY_URL, "exactly one");
        assertBad(with(RegistryClientConfig.MAX_RETRIES, "many"), RegistryClientConfig.MAX_RETRIES, "many");
        assertBad(with(RegistryClientConfig.MAX_RETRIES, -1), RegistryClientConfig.MAX_RETRIES, "at least 0");
        assertBad(
                with(RegistryClientConfig.HTTP_CONNECT_TIMEOUT_MS, 0),
                RegistryClientConfig.HTTP_CONNECT_TIMEOUT_MS,
                "at least 1");
        assertBad(
                with(RegistryClientConfig.HTTP_READ_TIMEOUT_MS, "1.5"),
                RegistryClientConfig.HTTP_READ_TIMEOUT_MS,
                "1.5");
        assertBad(
                with(RegistryClientConfig.MAX_SCHEMAS_PER_SUBJECT, 0),
                RegistryClientConfig.MAX_SCHEMAS_PER_SUBJECT,
                "at least 1");
        assertBad(
                with(RegistryClientConfig.RETRIES_MAX_WAIT_MS, 10),
                RegistryClientConfig.RETRIES_MAX_WAIT_MS,
                RegistryClientConfig.RETRIES_WAIT_MS);
        assertBad(
                with(RegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE, "SASL_INHERIT"),
                RegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE,
                "USER_INFO");
        assertBad(
                with(RegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO"),
                RegistryClientConfig.BASIC_AUTH_USER_INFO,
                "user:password");
        assertBad(
                with(RegistryClientConfig.BEARER_AUTH_CREDENTIALS_SOURCE, "OAUTHBEARER"),
                RegistryClientConfig.BEARER_AUTH_CREDENTIALS_SOURCE,
                "STATIC_TOKEN");
        assertBad(
                with(RegistryClientConfig.BEARER_AUTH_CREDENTIALS_SOURCE, "STATIC_TOKEN"),
                RegistryClientConfig.BEARER_AUTH_TOKEN,
                "set the token");
        assertBad(
                with(
                        RegistryClientConfig.SSL_TRUSTSTORE_LOCATION,
                        dir.resolve("missing.jks").toString()),
                RegistryClientConfig.SSL_TRUSTSTORE_LOCATION,
                "readable file");
        assertBad(
                with(RegistryClientConfig.SSL_TRUSTSTORE_TYPE, "PEM"),
                RegistryClientConfig.SSL_TRUSTSTORE_TYPE,
                "JKS, PKCS12");
    }

    @Test
    void shouldRefuseBasicAndBearerTogetherWithoutShowingEither() {
        Map<String, Object> configs = withUrl("https://svc:basic-secret@a:8081");
        configs.put(RegistryClientConfig.BEARER_AUTH_TOKEN, "bearer-secret");

        assertThatThrownBy(() -> RegistryClientConfig.from(configs))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining(RegistryClientConfig.BEARER_AUTH_TOKEN)
                .hasMessageNotContaining("basic-secret")
                .hasMessageNotContaining("bearer-secret");
    }

    @Test
    void shouldHideUrlCredentialsInUrlErrors() {
        assertThatThrownBy(() -> RegistryClientConfig.from(withUrl("ftp://svc:url-secret@a:21")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageNotContaining("url-secret");
    }

    private static Map<String, Object> with(String key, Object value) {
        Map<String, Object> configs = withUrl("https://a:8081");
        configs.put(key, value);
        return configs;
    }

    private static void assertBad(Map<String, ?> configs, String key, String fix) {
        assertThatThrownBy(() -> RegistryClientConfig.from(configs))
                .as("configs %s", configs)
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining(key)
                .hasMessageContaining(fix);
    }

    private static Path emptyTruststore(Path dir, String password) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        Path file = dir.resolve("trust.p12");
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, password.toCharArray());
        }
        return file;
    }
}
