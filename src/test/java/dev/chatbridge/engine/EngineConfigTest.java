package dev.chatbridge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class EngineConfigTest {

    @Test
    void shouldHaveTheDocumentedDefaults() {
        EngineConfig c = EngineConfig.builder().build();
        assertThat(c.requestsTopic()).isEqualTo("chat-requests");
        assertThat(c.responsesTopic()).isEqualTo("chat-responses");
        assertThat(c.deadLettersTopic()).isEqualTo("chat-dead-letters");
        assertThat(c.inputKeying()).isEqualTo(EngineConfig.InputKeying.TRUST_INPUT_KEY);
        assertThat(c.maxInFlight()).isEqualTo(64);
        assertThat(c.maxPending()).isEqualTo(1000);
        assertThat(c.drainInterval()).isEqualTo(Duration.ofMillis(10));
        assertThat(c.maxMessages()).isEqualTo(100);
        assertThat(c.maxTextBytes()).isEqualTo(100 * 1024);
    }

    @Test
    void shouldNameEveryBadSettingInOneMessage() {
        assertThatThrownBy(() -> EngineConfig.builder()
                        .maxInFlight(0)
                        .requestsTopic("bad topic!")
                        .drainInterval(Duration.ZERO)
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(EngineConfig.KEY_MAX_IN_FLIGHT + " must be at least 1, was 0")
                .hasMessageContaining(EngineConfig.KEY_REQUESTS_TOPIC + " must be a legal topic name")
                .hasMessageContaining(EngineConfig.KEY_DRAIN_INTERVAL + " must be a positive duration");
    }

    @Test
    void shouldReadFlowControlSettingsAndKeepThemOffByDefault() {
        EngineConfig defaults = EngineConfig.builder().build();
        EngineConfig set = EngineConfig.fromProperties(Map.of(
                EngineConfig.KEY_ADAPTIVE_ENABLED, "true",
                EngineConfig.KEY_ADAPTIVE_ALGORITHM, " aimd ",
                EngineConfig.KEY_QUOTA_REQUESTS_PER_SECOND, "7.5",
                EngineConfig.KEY_QUOTA_MAX_IN_FLIGHT, "40"));

        assertThat(defaults.adaptive()).isFalse();
        assertThat(defaults.adaptiveAlgorithm()).isEqualTo(AdaptiveLimit.Algorithm.PROBE);
        assertThat(defaults.quotaRequestsPerSecond()).isZero();
        assertThat(defaults.quotaMaxInFlight()).isZero();
        assertThat(set.adaptive()).isTrue();
        assertThat(set.adaptiveAlgorithm()).isEqualTo(AdaptiveLimit.Algorithm.AIMD);
        assertThat(set.quotaRequestsPerSecond()).isEqualTo(7.5);
        assertThat(set.quotaMaxInFlight()).isEqualTo(40);
    }

    @Test
    void shouldRefuseNegativeOrInfiniteQuotas() {
        assertThatThrownBy(() -> EngineConfig.builder()
                        .quotaRequestsPerSecond(Double.POSITIVE_INFINITY)
                        .quotaMaxInFlight(-1)
                        .build())
                .hasMessageContaining(EngineConfig.KEY_QUOTA_REQUESTS_PER_SECOND + " must be a finite number")
                .hasMessageContaining(EngineConfig.KEY_QUOTA_MAX_IN_FLIGHT + " must be at least 0, was -1");
        assertThatThrownBy(() -> EngineConfig.fromProperties(Map.of(EngineConfig.KEY_QUOTA_REQUESTS_PER_SECOND, "-1")))
                .hasMessageContaining(EngineConfig.KEY_QUOTA_REQUESTS_PER_SECOND);
        assertThatThrownBy(() -> EngineConfig.fromProperties(Map.of(EngineConfig.KEY_ADAPTIVE_ALGORITHM, "cubic")))
                .hasMessageContaining(EngineConfig.KEY_ADAPTIVE_ALGORITHM);
    }

    @Test
    void shouldRefuseAPendingBoundBelowTheInFlightLimit() {
        assertThatThrownBy(() ->
                        EngineConfig.builder().maxInFlight(10).maxPending(5).build())
                .hasMessageContaining(
                        EngineConfig.KEY_MAX_PENDING + " (5) must be at least " + EngineConfig.KEY_MAX_IN_FLIGHT);
    }

    @Test
    void shouldAcceptTheDefaultsWithTheStreamsDefaults() {
        Properties props = StreamsProperties.defaults("app", "127.0.0.1:9092", true);
        assertThat(props.getProperty(StreamsConfig.PROCESSING_GUARANTEE_CONFIG))
                .isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
        assertThatCode(() -> EngineConfig.builder().build().validateAgainst(props))
                .doesNotThrowAnyException();
    }

    @Test
    void shouldRefuseAWaitThatCouldOutlastTheMaxPollInterval() {
        Properties props = StreamsProperties.defaults("app", "127.0.0.1:9092", false);
        props.put("max.poll.interval.ms", "60000");
        EngineConfig c = EngineConfig.builder()
                .backpressureMaxWait(Duration.ofSeconds(30))
                .build();

        assertThatThrownBy(() -> c.validateAgainst(props))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(EngineConfig.KEY_BACKPRESSURE_MAX_WAIT + " (30000)")
                .hasMessageContaining("max.poll.interval.ms (60000)")
                .hasMessageContaining("raise max.poll.interval.ms above 60002");
        assertThatCode(() -> EngineConfig.builder()
                        .backpressureMaxWait(Duration.ofSeconds(29))
                        .build()
                        .validateAgainst(props))
                .doesNotThrowAnyException();
    }

    @Test
    void shouldRefuseAWaitThatCouldOutlastTheTransactionTimeoutUnderExactlyOnce() {
        // Kafka Streams' own exactly-once default for the transaction timeout is 10 s
        Map<String, String> props = Map.of(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        EngineConfig c = EngineConfig.builder()
                .backpressureMaxWait(Duration.ofSeconds(10))
                .build();

        assertThatThrownBy(() -> c.validateAgainst(props))
                .hasMessageContaining("transaction.timeout.ms (10000)")
                .hasMessageContaining("commit.interval.ms (100)")
                .hasMessageContaining("set producer.transaction.timeout.ms above 10100");
        assertThatCode(() -> c.validateAgainst(
                        Map.of(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE)))
                .as("no transaction under at-least-once")
                .doesNotThrowAnyException();
    }

    @Test
    void shouldReadTheProducerPrefixedTransactionTimeout() {
        Map<String, String> props = Map.of(
                StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
                StreamsConfig.EXACTLY_ONCE_V2,
                "producer.transaction.timeout.ms",
                "12000");
        assertThatCode(() -> EngineConfig.builder()
                        .backpressureMaxWait(Duration.ofSeconds(10))
                        .build()
                        .validateAgainst(props))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> EngineConfig.builder().build().validateAgainst(Map.of("max.poll.interval.ms", "soon")))
                .hasMessageContaining("max.poll.interval.ms must be a number, was 'soon'");
    }

    @Test
    void shouldReadDottedKeysAndNameTheKeyOfABadValue() {
        EngineConfig c = EngineConfig.fromProperties(Map.of(
                EngineConfig.KEY_MAX_IN_FLIGHT,
                "8",
                EngineConfig.KEY_INPUT_KEYING,
                "rekey",
                EngineConfig.KEY_DRAIN_INTERVAL,
                15,
                "bootstrap.servers",
                "ignored:9092"));
        assertThat(c.maxInFlight()).isEqualTo(8);
        assertThat(c.inputKeying()).isEqualTo(EngineConfig.InputKeying.REKEY);
        assertThat(c.drainInterval()).isEqualTo(Duration.ofMillis(15));
        assertThat(c.maxPending()).isEqualTo(1000);

        assertThatThrownBy(() -> EngineConfig.fromProperties(Map.of(EngineConfig.KEY_MAX_PENDING, "lots")))
                .hasMessageContaining("lots for configuration " + EngineConfig.KEY_MAX_PENDING + ": Not a number");
        assertThatThrownBy(() -> EngineConfig.fromProperties(Map.of(EngineConfig.KEY_INPUT_KEYING, "sometimes")))
                .hasMessageContaining("sometimes for configuration " + EngineConfig.KEY_INPUT_KEYING)
                .hasMessageContaining("TRUST_INPUT_KEY")
                .hasMessageContaining("REKEY");
    }
}
