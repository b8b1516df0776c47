package dev.chatbridge.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class OutputBudgetTest {

    private static final int DEFAULT_RESPONSE_MAX = 1_000_000;
    private static final int BROKER_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

    @Test
    void shouldAcceptTheDefaultsOfChatBridgeTheProducerAndTheBroker() {
        Map<String, Integer> topics =
                Map.of("responses", BROKER_DEFAULT_MAX_MESSAGE_BYTES, "dead-letters", BROKER_DEFAULT_MAX_MESSAGE_BYTES);

        assertThat(OutputBudget.problems(DEFAULT_RESPONSE_MAX, new Properties(), topics))
                .isEmpty();
        assertThat(OutputBudget.of(new Properties(), topics)).isEqualTo(OutputBudget.DEFAULT_MAX_REQUEST_SIZE);
    }

    @Test
    void shouldNameTheProducerKeyInUseItsValueAndBothFixesWhenTheProducerLimitIsTooSmall() {
        Properties streams = new Properties();
        streams.put("max.request.size", "2000000");
        streams.put("producer.max.request.size", 900_000);

        assertThat(OutputBudget.producerMaxRequestSize(streams)).isEqualTo(900_000);
        assertThat(OutputBudget.problems(DEFAULT_RESPONSE_MAX, streams, Map.of()))
                .singleElement()
                .asString()
                .contains(
                        "chat.response.max.bytes=1000000",
                        "8192",
                        "producer.max.request.size=900000",
                        "lower chat.response.max.bytes (CHAT_BRIDGE_RESPONSE_MAX_BYTES) to at most 891808",
                        "raise producer.max.request.size (KAFKA_PRODUCER_MAX_REQUEST_SIZE) to at least 1008192");
    }

    @Test
    void shouldReportOneLinePerTopicWhoseMaxMessageBytesIsTooSmallAndTakeTheSmallestLimitAsBudget() {
        Map<String, Integer> topics = new LinkedHashMap<>();
        topics.put("responses", 500_000);
        topics.put("dead-letters", 1_008_192);
        topics.put("other", 1_008_191);

        assertThat(OutputBudget.problems(DEFAULT_RESPONSE_MAX, new Properties(), topics))
                .hasSize(2)
                .anySatisfy(line -> assertThat(line)
                        .contains(
                                "max.message.bytes=500000 of topic responses",
                                "to at most 491808",
                                "--entity-name responses --add-config max.message.bytes=1008192"))
                .anySatisfy(line -> assertThat(line).contains("of topic other"));
        assertThat(OutputBudget.of(new Properties(), topics)).isEqualTo(500_000);
    }

    @Test
    void shouldCarryTheTopicLimitsInTheStreamsPropertiesAndUseThemForTheBudget() {
        Properties streams = new Properties();
        streams.put("max.request.size", "700000");
        Properties carried = OutputBudget.withTopicLimits(streams, Map.of("responses", 600_000));

        assertThat(OutputBudget.topicLimits(carried)).isEqualTo(Map.of("responses", 600_000));
        assertThat(OutputBudget.of(carried)).isEqualTo(600_000);
        assertThat(OutputBudget.of(streams)).isEqualTo(700_000);
        assertThat(streams).doesNotContainKey(OutputBudget.TOPIC_LIMITS_CONFIG);
    }

    @Test
    void shouldRefuseARequestBudgetThatThePendingTablesChangelogCannotCarry() {
        Properties streams = new Properties();
        streams.put("max.request.size", "200000");

        assertThat(OutputBudget.requestProblems(256 * 1024, streams))
                .singleElement()
                .asString()
                .contains(
                        "chat.request.max.bytes=262144",
                        "max.request.size=200000",
                        "to at most " + (200_000 - OutputBudget.PENDING_ENTRY_MARGIN),
                        "CHAT_BRIDGE_REQUEST_MAX_BYTES");
        assertThat(OutputBudget.requestProblems(256 * 1024, new Properties()))
                .as("defaults fit")
                .isEmpty();
    }
}
