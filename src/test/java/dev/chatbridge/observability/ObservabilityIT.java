package dev.chatbridge.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chatbridge.api.ApiKey;
import dev.chatbridge.api.ChatClientConfig;
import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.devtools.registry.EmbeddedSchemaRegistry;
import dev.chatbridge.devtools.simulator.ApiSimulator;
import dev.chatbridge.devtools.simulator.SimulatorConfig;
import dev.chatbridge.engine.EngineConfig;
import dev.chatbridge.engine.StreamsProperties;
import dev.chatbridge.events.ChatMessage;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.MessageRole;
import dev.chatbridge.serde.AvroSerializer;
import dev.chatbridge.testing.KafkaCluster;
import dev.chatbridge.testing.WithKafka;
import io.micrometer.core.instrument.Counter;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import reactor.netty.http.client.HttpClient;

/**
 * A whole instance with its registry and ops server, on a real broker, the embedded schema registry and the API
 * simulator: what {@code run} and {@code demo} expose.
 */
@WithKafka
@Timeout(240)
class ObservabilityIT {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final Duration HTTP_WAIT = Duration.ofSeconds(10);

    private static EmbeddedSchemaRegistry schemaRegistry;
    private static ApiSimulator simulator;

    private record Reply(int status, String contentType, String body) {}

    @BeforeAll
    static void startServers() {
        schemaRegistry = new EmbeddedSchemaRegistry(0).start();
        simulator = new ApiSimulator(SimulatorConfig.builder()
                        .chunks(3)
                        .chunkInterval(Duration.ofMillis(5))
                        .build())
                .start();
    }

    @AfterAll
    static void stopServers() {
        simulator.close();
        schemaRegistry.close();
    }

    @Test
    void shouldExposeEveryMeterAndFollowReadinessThroughAnOperatorFailureEpisode(
            KafkaCluster kafka, @TempDir Path stateDir) throws Exception {
        // Given an instance built with the service registry, and its ops server
        String requests = kafka.createUniqueTopic("requests", 2);
        String responses = kafka.createUniqueTopic("responses", 2);
        String deadLetters = kafka.createUniqueTopic("dead-letters", 2);
        try (ServiceRegistry metrics = ServiceRegistry.create();
                ChatBridgeApp app = ChatBridgeApp.create(
                        settings(kafka, stateDir, requests, responses, deadLetters), metrics.registry());
                OpsServer ops = OpsServer.start(
                        "127.0.0.1",
                        0,
                        metrics.registry(),
                        Health.of(
                                app.streams(),
                                app.resources().pause(),
                                app.resources().registryWait()));
                KafkaProducer<String, ChatRequest> producer = producer(kafka)) {

            // Then before start it is live but not ready
            assertThat(get(ops, "/health/ready").status())
                    .as("ready before start")
                    .isEqualTo(503);
            assertThat(get(ops, "/health/live").status())
                    .as("live before start")
                    .isEqualTo(200);

            // When it starts, it turns ready once Kafka Streams runs
            app.start();
            await().atMost(WAIT).until(() -> get(ops, "/health/ready").status() == 200);

            // When traffic flows: answers, one retried 503, one dead-lettered 400
            for (int i = 0; i < 10; i++) {
                send(producer, requests, "r-" + i, "thread-" + (i % 4), "Hello " + i);
            }
            send(producer, requests, "r-retry", "thread-retry", "Please #fault:503");
            send(producer, requests, "r-bad", "thread-bad", "Please #fault:400");
            await().atMost(WAIT).until(() -> finished(metrics) >= 12);

            // Then /metrics shows every catalogued meter, the JVM, Kafka Streams and Reactor Netty pool meters
            Reply scrape = get(ops, "/metrics");
            assertThat(scrape.status()).isEqualTo(200);
            assertThat(scrape.contentType()).isEqualTo(OpsServer.PROMETHEUS_CONTENT_TYPE);
            Set<String> samples = sampleNames(scrape.body());
            for (ChatBridgeMeters meter : ChatBridgeMeters.values()) {
                assertThat(samples)
                        .as("Prometheus sample of %s", meter.meterName())
                        .contains(meter.prometheusName());
            }
            assertThat(samples).as("JVM meters").contains("jvm_memory_used_bytes", "jvm_threads_live_threads");
            assertThat(samples).as("Kafka Streams meters").anyMatch(name -> name.startsWith("kafka_stream_"));
            assertThat(scrape.body().lines())
                    .as("Reactor Netty pool meters of the API client")
                    .anyMatch(line -> line.startsWith("reactor_netty_connection_provider_")
                            && line.contains("name=\"chat-api\""));
            assertThat(scrape.body())
                    .contains("chat_bridge_requests_total{outcome=\"dead_letter\",reason=\"bad_request\"} 1.0")
                    .contains("chat_bridge_retries_total{reason=\"5xx\"} 1.0")
                    .contains("chat_bridge_ready 1.0");
            assertThat(value(scrape.body(), "chat_bridge_api_calls_total"))
                    .as("calls: 12 requests, one retried")
                    .isEqualTo(13.0);
            assertThat(value(scrape.body(), "chat_bridge_call_first_event_seconds_count"))
                    .as("first events")
                    .isGreaterThanOrEqualTo(10.0);
            assertThat(value(scrape.body(), "chat_bridge_request_queue_wait_seconds_count"))
                    .as("queue waits")
                    .isEqualTo(12.0);

            // When the API rejects the key while requests flow
            simulator.rejectAllKeys(true);
            for (int i = 0; i < 4; i++) {
                send(producer, requests, "r-401-" + i, "thread-" + i, "During the episode " + i);
            }

            // Then the instance is not ready, says why, stays live, and counts one episode
            await().atMost(WAIT).until(() -> get(ops, "/health/ready").status() == 503);
            assertThat(get(ops, "/health/ready").body()).contains("operator failure");
            assertThat(get(ops, "/health/live").status()).isEqualTo(200);
            String during = get(ops, "/metrics").body();
            assertThat(value(during, "chat_bridge_ready")).isEqualTo(0.0);
            assertThat(value(during, "chat_bridge_operator_failure_episodes_total"))
                    .isEqualTo(1.0);
            assertThat(value(during, "chat_bridge_pending_requests"))
                    .as("requests held during the episode")
                    .isGreaterThanOrEqualTo(1.0);

            // When the API accepts the key again, it turns ready and answers what waited
            simulator.rejectAllKeys(false);
            await().atMost(WAIT).until(() -> get(ops, "/health/ready").status() == 200);
            await().atMost(WAIT).until(() -> finished(metrics) >= 16);
            String after = get(ops, "/metrics").body();
            assertThat(value(after, "chat_bridge_ready")).isEqualTo(1.0);
            assertThat(value(after, "chat_bridge_pending_requests")).isEqualTo(0.0);
            assertThat(value(after, "chat_bridge_in_flight_calls")).isEqualTo(0.0);
        }
    }

    private static double finished(ServiceRegistry metrics) {
        return metrics.registry().find("chat.bridge.requests").counters().stream()
                .mapToDouble(Counter::count)
                .sum();
    }

    private static ChatBridgeApp.Settings settings(
            KafkaCluster kafka, Path stateDir, String requests, String responses, String deadLetters) throws Exception {
        Properties streams = StreamsProperties.defaults(kafka.uniqueName("obs-app"), kafka.bootstrapServers(), false);
        streams.put(
                StreamsConfig.STATE_DIR_CONFIG,
                Files.createDirectories(stateDir.resolve("state")).toString());
        streams.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        streams.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        EngineConfig engine = EngineConfig.builder()
                .requestsTopic(requests)
                .responsesTopic(responses)
                .deadLettersTopic(deadLetters)
                .maxInFlight(8)
                .pauseInitialBackoff(Duration.ofMillis(200))
                .pauseMaxBackoff(Duration.ofSeconds(1))
                .build();
        ChatClientConfig client = ChatClientConfig.builder()
                .baseUrl(simulator.baseUrl())
                .apiKey(ApiKey.of("test-key"))
                .maxInFlight(8)
                .build();
        Map<String, Object> serde = Map.of("schema.registry.url", schemaRegistry.url(), "auto.register.schemas", true);
        return new ChatBridgeApp.Settings(streams, engine, client, serde, Duration.ofSeconds(5));
    }

    private static KafkaProducer<String, ChatRequest> producer(KafkaCluster kafka) {
        Map<String, Object> config = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.MAX_BLOCK_MS_CONFIG,
                30_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                30_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
                10_000,
                "schema.registry.url",
                schemaRegistry.url());
        AvroSerializer<ChatRequest> values = new AvroSerializer<>();
        values.configure(config, false);
        return new KafkaProducer<>(config, new StringSerializer(), values);
    }

    private static void send(
            KafkaProducer<String, ChatRequest> producer, String topic, String requestId, String threadId, String text)
            throws Exception {
        ChatRequest request = ChatRequest.newBuilder()
                .setRequestId(requestId)
                .setThreadId(threadId)
                .setMessages(List.of(ChatMessage.newBuilder()
                        .setRole(MessageRole.User)
                        .setText(text)
                        .build()))
                .build();
        producer.send(new ProducerRecord<>(topic, threadId, request)).get();
    }

    /** Names of the samples in a Prometheus text exposition (comments skipped). */
    private static Set<String> sampleNames(String exposition) {
        return exposition
                .lines()
                .filter(line -> !line.isBlank() && !line.startsWith("#"))
                .map(line -> line.split("[{ ]", 2)[0])
                .collect(Collectors.toSet());
    }

    /** Sum of the values of every sample named {@code name}, whatever its tags. */
    private static double value(String exposition, String name) {
        List<String> lines = exposition
                .lines()
                .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
                .toList();
        assertThat(lines).as("samples of %s", name).isNotEmpty();
        return lines.stream()
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }

    private static Reply get(OpsServer ops, String path) {
        return HttpClient.create()
                .baseUrl("http://127.0.0.1:" + ops.port())
                .get()
                .uri(path)
                .responseSingle((response, body) -> body.asString()
                        .defaultIfEmpty("")
                        .map(text -> new Reply(
                                response.status().code(),
                                response.responseHeaders().get(HttpHeaderNames.CONTENT_TYPE),
                                text)))
                .block(HTTP_WAIT);
    }
}
