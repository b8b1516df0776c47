package dev.chatbridge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.cli.ServiceRunner;
import dev.chatbridge.devtools.simulator.LatencyModel;
import dev.chatbridge.devtools.simulator.SimulatorConfig;
import dev.chatbridge.testing.KafkaCluster;
import dev.chatbridge.testing.WithKafka;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * When Kafka Streams shuts an instance down, {@code run} says why: the exception that stopped it, not only "see the log
 * above".
 */
@WithKafka
class StreamThreadFailureIT {

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldNameTheExceptionThatStoppedTheInstance(KafkaCluster kafka) throws Exception {
        // Given a running instance
        SimulatorConfig.Builder sim = SimulatorConfig.builder().latency(LatencyModel.fixed(Duration.ofMillis(5)));
        try (ItFixture fx = ItFixture.start(kafka, sim, 2)) {
            ChatBridgeApp app = fx.startApp(fx.engine().build());
            await("RUNNING")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> app.streams().state() == KafkaStreams.State.RUNNING);
            assertThat(ServiceRunner.failure(app)).isNull();

            // When its input topic is deleted (Kafka Streams stops the client: a source topic is missing)
            kafka.adminClient().deleteTopics(List.of(fx.requests)).all().get(30, TimeUnit.SECONDS);
            await("instance stopped").atMost(Duration.ofSeconds(120)).until(() -> !app.isLive());

            // Then the failure names the exception and what it says
            assertThat(app.failure()).isPresent();
            assertThat(ServiceRunner.failure(app))
                    .startsWith("Kafka Streams stopped unexpectedly (state ")
                    .contains("MissingSourceTopicException")
                    .doesNotContain("the log above says why");
        }
    }
}
