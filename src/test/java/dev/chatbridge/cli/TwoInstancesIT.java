package dev.chatbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.config.ChatBridgeConfig;
import dev.chatbridge.config.ConfigLoader;
import dev.chatbridge.devtools.registry.EmbeddedSchemaRegistry;
import dev.chatbridge.devtools.simulator.ApiSimulator;
import dev.chatbridge.devtools.simulator.LatencyModel;
import dev.chatbridge.devtools.simulator.SimulatorConfig;
import dev.chatbridge.events.ChatMessage;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.MessageRole;
import dev.chatbridge.testing.KafkaCluster;
import dev.chatbridge.testing.WithKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.ThreadMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Two service instances started by the {@code run} code path share one application's work. */
@WithKafka
@Timeout(300)
class TwoInstancesIT {

    private static final int REQUESTS = 40;

    @TempDir
    Path dir;

    @Test
    void shouldShareTheTasksAndAnswerEveryRequestOnce(KafkaCluster kafka) {
        try (EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(0).start();
                ApiSimulator simulator = new ApiSimulator(SimulatorConfig.builder()
                                .apiKeys("it-key")
                                .latency(LatencyModel.fixed(Duration.ofMillis(50)))
                                .build())
                        .start()) {
            // Given two instances of one application over topics with four partitions
            Map<String, String> env = new HashMap<>();
            env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
            env.put("KAFKA_SCHEMA_REGISTRY_URL", registry.url());
            env.put("KAFKA_APPLICATION_ID", kafka.uniqueName("app"));
            env.put("CHAT_BRIDGE_API_URL", simulator.baseUrl());
            env.put("CHAT_BRIDGE_API_KEY", "it-key");
            env.put("CHAT_BRIDGE_TOPICS_REQUESTS", kafka.uniqueTopic("requests"));
            env.put("CHAT_BRIDGE_TOPICS_RESPONSES", kafka.uniqueTopic("responses"));
            env.put("CHAT_BRIDGE_TOPICS_DEAD_LETTERS", kafka.uniqueTopic("dead-letters"));
            env.put("CHAT_BRIDGE_TOPICS_CREATE", "true");
            env.put("CHAT_BRIDGE_TOPICS_PARTITIONS", "4");
            env.put("CHAT_BRIDGE_TOPICS_REPLICATION_FACTOR", "1");
            env.put("CHAT_BRIDGE_METRICS_PORT", "0");
            ChatBridgeConfig first = config(env, dir.resolve("state-1"));
            ChatBridgeConfig second = config(env, dir.resolve("state-2"));

            try (RunningService one = ServiceRunner.start(first);
                    RunningService two = ServiceRunner.start(second)) {
                // Then both get tasks once the group settles
                await().atMost(Duration.ofSeconds(120))
                        .pollInterval(Duration.ofMillis(500))
                        .until(() -> hasActiveTasks(one.app()) && hasActiveTasks(two.app()));

                // When requests of many threads are published
                List<ChatRequest> requests = IntStream.rangeClosed(1, REQUESTS)
                        .mapToObj(i -> ChatRequest.newBuilder()
                                .setRequestId("r" + i)
                                .setThreadId("thread-" + (i % 20))
                                .setMessages(List.of(ChatMessage.newBuilder()
                                        .setRole(MessageRole.User)
                                        .setText("Question " + i)
                                        .build()))
                                .build())
                        .toList();
                try (KafkaProducer<String, ChatRequest> producer = KafkaIo.requestProducer(first)) {
                    requests.forEach(r -> producer.send(
                            new ProducerRecord<>(first.engine().requestsTopic(), RequestJson.threadKey(r), r)));
                    producer.flush();
                }

                // Then every request is answered exactly once
                Map<String, Integer> outcomes = new HashMap<>();
                try (KafkaIo.OutcomeReader reader = new KafkaIo.OutcomeReader(first, true)) {
                    await().atMost(Duration.ofSeconds(120)).until(() -> {
                        reader.poll(Duration.ofMillis(200))
                                .forEach(o -> outcomes.merge(
                                        o.value()
                                                .get(o.value()
                                                        .getSchema()
                                                        .getField("requestId")
                                                        .pos())
                                                .toString(),
                                        1,
                                        Integer::sum));
                        return outcomes.size() >= REQUESTS;
                    });
                    reader.poll(Duration.ofSeconds(2))
                            .forEach(o -> outcomes.merge(
                                    o.value()
                                            .get(o.value()
                                                    .getSchema()
                                                    .getField("requestId")
                                                    .pos())
                                            .toString(),
                                    1,
                                    Integer::sum));
                }
                assertThat(outcomes).hasSize(REQUESTS);
                assertThat(outcomes.values()).as("outcomes per request").containsOnly(1);
                assertThat(one.app().isLive() && two.app().isLive()).isTrue();
            }
        }
    }

    private static ChatBridgeConfig config(Map<String, String> env, Path stateDir) {
        return ConfigLoader.load(Map.of("state.dir", stateDir.toString()), env, null)
                .parse();
    }

    private static boolean hasActiveTasks(ChatBridgeApp app) {
        if (app.streams().state() != KafkaStreams.State.RUNNING) {
            return false;
        }
        return app.streams().metadataForLocalThreads().stream()
                        .mapToInt((ThreadMetadata t) -> t.activeTasks().size())
                        .sum()
                > 0;
    }
}
