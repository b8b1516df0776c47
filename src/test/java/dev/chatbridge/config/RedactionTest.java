package dev.chatbridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** What the startup configuration dump hides: every Kafka password setting, the name fallback, and URL secrets. */
@Timeout(10)
class RedactionTest {

    private static final String SECRET = "s3cret-DISTINCTIVE-value";

    /** Every PASSWORD key of Kafka's own definitions, read here independently of Redaction, bare and prefixed. */
    static Stream<String> kafkaPasswordKeys() {
        return Stream.of(
                        ProducerConfig.configDef(),
                        ConsumerConfig.configDef(),
                        AdminClientConfig.configDef(),
                        StreamsConfig.configDef())
                .flatMap(definition -> definition.configKeys().values().stream())
                .filter(key -> key.type == ConfigDef.Type.PASSWORD)
                .map(key -> key.name)
                .distinct()
                .flatMap(name -> Stream.of(
                        name,
                        "producer." + name,
                        "consumer." + name,
                        "admin." + name,
                        "main.consumer." + name,
                        "restore.consumer." + name,
                        "global.consumer." + name,
                        "schema.registry." + name));
    }

    @Test
    void shouldFindKafkaPasswordKeysTheNameRuleAloneWouldMiss() {
        // The reason for reading Kafka's definitions: this one names no password, secret or token
        assertThat(kafkaPasswordKeys())
                .contains(
                        "sasl.oauthbearer.assertion.private.key.passphrase",
                        "ssl.keystore.certificate.chain",
                        "main.consumer.ssl.key.password");
        assertThat(Redaction.kafkaPasswordKeys())
                .containsAll(kafkaPasswordKeys().toList());
    }

    @ParameterizedTest
    @MethodSource("kafkaPasswordKeys")
    void shouldRedactEveryKafkaPasswordSetting(String key) {
        assertThat(Redaction.isSecret(key)).as(key).isTrue();
        assertThat(dump(Map.of("KAFKA_BOOTSTRAP_SERVERS", "broker:9092"), key, SECRET))
                .contains(key + " = [redacted]")
                .doesNotContain(SECRET);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "basic.auth.user.info",
                "bearer.auth.token",
                "schema.registry.ssl.truststore.password",
                "some.plugin.client.secret",
                "vendor.private.key",
                "x.credentials",
                "my.passphrase"
            })
    void shouldStillRedactKeysThatNameASecret(String key) {
        assertThat(Redaction.isSecret(key)).as(key).isTrue();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "bootstrap.servers",
                "basic.auth.credentials.source",
                "schema.registry.url",
                "chat.api.url",
                "chat.api.key.file",
                "chat.api.tls.client.key.file",
                "chat.api.tls.client.certificate.file"
            })
    void shouldShowSettingsThatAreNotSecret(String key) {
        assertThat(Redaction.isSecret(key)).as(key).isFalse();
    }

    @Test
    void shouldScrubUrlsInEveryShownValue() {
        Map<String, String> env = new HashMap<>();
        env.put("CHAT_BRIDGE_API_URL", "https://api.example.com/v1?api_key=q-secret-1#frag-secret");
        env.put("KAFKA_SCHEMA_REGISTRY_URL", "https://u:p-secret@r1:8081,https://r2:8081/?sig=q-secret-2");
        env.put("KAFKA_SASL_OAUTHBEARER_JWKS_ENDPOINT_URL", "https://idp.example.com/jwks?password=q-secret-3&x=1");

        String logged = dump(env, "unrelated.setting", "see http://docs.example.com/a?code=q-secret-4 for details");

        assertThat(logged)
                .doesNotContain("q-secret-1", "frag-secret", "p-secret", "q-secret-2", "q-secret-3", "q-secret-4")
                .contains(
                        "chat.api.url = https://api.example.com/v1?api_key=[redacted]#[redacted]",
                        "schema.registry.url = https://[redacted]@r1:8081,https://r2:8081/?sig=[redacted]",
                        "sasl.oauthbearer.jwks.endpoint.url = "
                                + "https://idp.example.com/jwks?password=[redacted]&x=[redacted]",
                        "unrelated.setting = see http://docs.example.com/a?code=[redacted] for details");
    }

    private static String dump(Map<String, String> env, String key, String value) {
        Map<String, String> flags = new HashMap<>();
        flags.put(key, value);
        return Redaction.effectiveConfiguration(
                ConfigLoader.load(flags, env, null).parse());
    }
}
