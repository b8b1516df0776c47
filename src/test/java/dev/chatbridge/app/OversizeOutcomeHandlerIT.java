package dev.chatbridge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chatbridge.devtools.Directories;
import dev.chatbridge.engine.Topic;
import dev.chatbridge.engine.Topics;
import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.ChatResponse;
import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.observability.ChatBridgeMetrics;
import dev.chatbridge.registry.SchemaRegistryClient;
import dev.chatbridge.registry.SchemaRegistryClients;
import dev.chatbridge.serde.AvroSerdeConfig;
import dev.chatbridge.serde.AvroSerdes;
import dev.chatbridge.testing.KafkaCluster;
import dev.chatbridge.testing.TestClients;
import dev.chatbridge.testing.WithKafka;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link OversizeOutcomeHandler} in a real Kafka Streams application with {@code exactly_once_v2} on the test run's
 * broker: an outcome too large for the responses topic, between two normal ones read in the same poll, when the limit
 * is the topic's or the producer's.
 */
@WithKafka
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class OversizeOutcomeHandlerIT {

    private static final Logger LOG = LoggerFactory.getLogger(OversizeOutcomeHandlerIT.class);
    private static final int LIMIT = 20_000;
    private static final int BIG_TEXT = 60_000;

    private Path stateDir;
    private SchemaRegistryClient registry;

    @BeforeEach
    void setUp() throws IOException {
        stateDir = Files.createTempDirectory("chatbridge-oversize-it-");
        registry =
                SchemaRegistryClients.create(Map.of("schema.registry.url", "mock://oversize-it-" + System.nanoTime()));
    }

    @AfterEach
    void tearDown() throws IOException {
        registry.close();
        Directories.deleteRecursively(stateDir);
    }

    @Test
    void shouldReplaceAnOutcomeOverTheTopicsMaxMessageBytesAndKeepRunning(KafkaCluster kafka) throws Exception {
        String responses = smallTopic(kafka);
        shouldReplaceTheOversizeOutcome(kafka, responses, Map.of(), Map.of(responses, LIMIT));
    }

    @Test
    void shouldReplaceAnOutcomeOverTheProducersMaxRequestSizeAndKeepRunning(KafkaCluster kafka) throws Exception {
        String responses = kafka.createUniqueTopic("responses", 1);
        shouldReplaceTheOversizeOutcome(
                kafka,
                responses,
                Map.of(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), LIMIT),
                Map.of());
    }

    @Test
    void shouldReplaceTheThreadAndThenTheOutcomeWhenTheBrokerRefusesAnOutcomeTheGuardLetThrough(KafkaCluster kafka)
            throws Exception {
        String responses = smallTopic(kafka);
        shouldReplaceTheOversizeOutcome(kafka, responses, Map.of(), Map.of());
    }

    private static String smallTopic(KafkaCluster kafka) throws Exception {
        String responses = kafka.uniqueTopic("responses");
        kafka.adminClient()
                .createTopics(List.of(new NewTopic(responses, 1, (short) 1)
                        .configs(Map.of("max.message.bytes", Integer.toString(LIMIT)))))
                .all()
                .get(30, TimeUnit.SECONDS);
        kafka.createTopics(Map.of(responses, 1));
        return responses;
    }

    private void shouldReplaceTheOversizeOutcome(
            KafkaCluster kafka, String responses, Map<String, Object> extra, Map<String, Integer> topicLimits)
            throws Exception {
        // Given a streams app that answers each input with a ChatResponse whose text is the input's size
        String input = kafka.createUniqueTopic("requests", 1);
        String deadLetters = kafka.createUniqueTopic("dead-letters", 1);
        Properties given = OutputBudget.withTopicLimits(streamsConfig(kafka, extra), topicLimits);
        OutcomeSizeGuard guard = OutcomeSizeGuard.forOutputs(given, responses, deadLetters);
        Serde<ChatResponse> responseSerde = guard.wrap(AvroSerdes.of(ChatResponse.class, registry, config(), false));
        Serde<ChatDeadLetter> deadLetterSerde =
                guard.wrap(AvroSerdes.of(ChatDeadLetter.class, registry, config(), false));
        Topics topics = new Topics(
                new Topic<>(input, Serdes.ByteArray(), AvroSerdes.of(ChatRequest.class, registry, config(), false)),
                new Topic<>(responses, Serdes.String(), responseSerde),
                new Topic<>(deadLetters, Serdes.String(), deadLetterSerde));
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
                .mapValues((key, size) -> response(key, Integer.parseInt(size)))
                .to(responses, Produced.with(Serdes.String(), responseSerde));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        Properties props = ChatBridgeApp.withOversizeHandler(
                given, topics, guard, new ChatBridgeMetrics(meters), Clock.systemUTC());

        // and three requests waiting, the middle one answered by an outcome larger than the limit
        try (KafkaProducer<String, String> producer = TestClients.producer(kafka)) {
            producer.send(new ProducerRecord<>(input, "r1", "10"));
            producer.send(new ProducerRecord<>(input, "r2", Integer.toString(BIG_TEXT)));
            producer.send(new ProducerRecord<>(input, "r3", "10")).get(30, TimeUnit.SECONDS);
        }

        List<KafkaStreams.State> states = new CopyOnWriteArrayList<>();
        String applicationId = props.getProperty(StreamsConfig.APPLICATION_ID_CONFIG);
        try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
            streams.setStateListener((newState, oldState) -> states.add(newState));
            streams.setUncaughtExceptionHandler(e -> ChatBridgeApp.onStreamThreadFailure(e, guard));
            // When the app runs
            long started = System.nanoTime();
            streams.start();

            // Then the input offset is committed past all three requests
            TopicPartition source = new TopicPartition(input, 0);
            await("input offset committed").atMost(Duration.ofSeconds(90)).until(() -> {
                Map<TopicPartition, OffsetAndMetadata> offsets = kafka.adminClient()
                        .listConsumerGroupOffsets(applicationId)
                        .partitionsToOffsetAndMetadata()
                        .get(10, TimeUnit.SECONDS);
                OffsetAndMetadata committed = offsets.get(source);
                return committed != null && committed.offset() == 3 || !isAlive(streams);
            });
            long committedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertThat(states)
                    .as("state changes")
                    .doesNotContain(KafkaStreams.State.ERROR, KafkaStreams.State.PENDING_ERROR);
            assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);

            // and the two normal outcomes of the same transaction are committed
            List<ConsumerRecord<String, ChatResponse>> answered = TestClients.readCommitted(
                    kafka,
                    responses,
                    new StringDeserializer(),
                    responseSerde.deserializer(),
                    r -> r.size() >= 2,
                    Duration.ofSeconds(30));
            assertThat(answered).extracting(r -> r.value().getRequestId()).containsExactly("r1", "r3");

            // and exactly one minimal dead letter replaces the large one
            List<ConsumerRecord<String, ChatDeadLetter>> letters = TestClients.readCommitted(
                    kafka,
                    deadLetters,
                    new StringDeserializer(),
                    deadLetterSerde.deserializer(),
                    r -> r.size() >= 1,
                    Duration.ofSeconds(30));
            assertThat(letters).hasSize(1);
            ChatDeadLetter letter = letters.get(0).value();
            assertThat(letters.get(0).key()).isEqualTo("r2");
            assertThat(letter.getRequestId()).isEqualTo("r2");
            assertThat(letter.getThreadId()).isEqualTo("thread-r2");
            assertThat(letter.getReason()).isEqualTo(DeadLetterReason.RESPONSE_TOO_LARGE);
            assertThat(letter.getRawValueSize()).isGreaterThan(BIG_TEXT);
            assertThat(letter.getRawValueSha256()).hasSize(64);
            assertThat(letter.getOmitted()).containsExactly("event");
            assertThat(letter.getSourceTopic()).isEqualTo(input);
            assertThat(letter.getSourceOffset()).isEqualTo(1L);
            assertThat(letter.getMessage()).contains("too large", "max.request.size", "max.message.bytes");
            assertThat(meters.get("chat.bridge.oversize.outcomes").counter().count())
                    .isEqualTo(1.0);
            LOG.info(
                    "IT-FIGURES oversize, producer settings {}, topic limits known to the guard {}: states {}, input "
                            + "committed {} ms after start, dead letter {} bytes for a {}-byte outcome",
                    extra,
                    topicLimits,
                    states,
                    committedAfterMs,
                    letters.get(0).serializedValueSize(),
                    letter.getRawValueSize());
            streams.close(Duration.ofSeconds(30));
        }
    }

    private static boolean isAlive(KafkaStreams streams) {
        KafkaStreams.State state = streams.state();
        return state != KafkaStreams.State.ERROR
                && state != KafkaStreams.State.NOT_RUNNING
                && state != KafkaStreams.State.PENDING_ERROR;
    }

    private static ChatResponse response(String requestId, int textSize) {
        return ChatResponse.newBuilder()
                .setRequestId(requestId)
                .setThreadId("thread-" + requestId)
                .setText("x".repeat(textSize))
                .setCompletedAt(Instant.now())
                .build();
    }

    private static AvroSerdeConfig config() {
        return AvroSerdeConfig.from(Map.of());
    }

    private Properties streamsConfig(KafkaCluster kafka, Map<String, Object> extra) {
        Properties config = TestClients.exactlyOnceStreams(kafka, "oversize-app", stateDir);
        config.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        config.putAll(extra);
        return config;
    }
}
