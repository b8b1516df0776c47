package dev.chatbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.devtools.registry.EmbeddedSchemaRegistry;
import dev.chatbridge.testing.KafkaCluster;
import dev.chatbridge.testing.WithKafka;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code send} right after its topic was created (as {@code run --set chat.topics.create=true} or the demo do): the
 * first produce requests can meet NOT_LEADER_OR_FOLLOWER while the broker takes up the new partitions' leadership;
 * every line must still be sent, well within the delivery timeout.
 */
@WithKafka
@Timeout(240)
class SendAfterTopicCreationIT {

    // The race showed in the first round of every run before the fix; five rounds keep the test near 12 s.
    private static final int ROUNDS = 5;
    private static final int PARTITIONS = 24;
    private static final int LINES = 600;

    private static EmbeddedSchemaRegistry registry;

    @BeforeAll
    static void startRegistry() {
        registry = new EmbeddedSchemaRegistry(0).start();
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    @Test
    void shouldSendEveryLineToATopicCreatedAMomentBefore(KafkaCluster kafka) {
        Map<String, String> env = Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                "KAFKA_SCHEMA_REGISTRY_URL", registry.url());
        // Many threads, so that the lines spread over every partition, several produce requests per partition.
        String lines = IntStream.range(0, LINES)
                .mapToObj(i -> "{\"requestId\":\"r" + i + "\",\"threadId\":\"t" + i
                        + "\",\"messages\":[{\"role\":\"User\",\"text\":\"Hello " + i + "\"}]}")
                .collect(Collectors.joining("\n"));
        for (int round = 0; round < ROUNDS; round++) {
            // Given a topic that was just created (the way run creates its topics: every partition described with a
            // leader)
            String topic = kafka.createUniqueTopic("requests", PARTITIONS);

            // When the lines are sent to it at once, with a delivery timeout that a stuck retry would exceed
            CliRun send = new CliRun(env, lines);
            int code = send.execute(
                    "send",
                    "--topic",
                    topic,
                    "--set",
                    "linger.ms=0",
                    "--set",
                    "request.timeout.ms=4000",
                    "--set",
                    "delivery.timeout.ms=8000");

            // Then every line is sent
            assertThat(code).as("round %d; stderr:%n%s", round, send.err()).isZero();
            assertThat(send.err()).contains("sent " + LINES + " request(s) to " + topic);
        }
    }
}
