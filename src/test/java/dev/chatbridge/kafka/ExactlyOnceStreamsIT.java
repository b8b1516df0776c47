package dev.chatbridge.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chatbridge.devtools.Directories;
import dev.chatbridge.testing.KafkaCluster;
import dev.chatbridge.testing.TestClients;
import dev.chatbridge.testing.WithKafka;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A Kafka Streams app with {@code exactly_once_v2} and a state store runs on the test run's broker. */
@WithKafka
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ExactlyOnceStreamsIT {

    private static final Logger LOG = LoggerFactory.getLogger(ExactlyOnceStreamsIT.class);
    private static final String STORE = "counts";

    private Path stateDir;

    @BeforeEach
    void createStateDir() throws IOException {
        stateDir = Files.createTempDirectory("chatbridge-streams-it-");
    }

    @AfterEach
    void deleteStateDir() throws IOException {
        Directories.deleteRecursively(stateDir);
    }

    @Test
    void shouldCountPerKeyExactlyOnceWhenRunningWithExactlyOnceV2(KafkaCluster kafka) throws Exception {
        // Given input and output topics and a counting app with exactly_once_v2
        String input = kafka.createUniqueTopic("words", 2);
        String output = kafka.createUniqueTopic("counts", 2);
        AtomicLong runningAt = new AtomicLong();
        long createdAt = System.nanoTime();
        try (KafkaStreams streams = new KafkaStreams(countingTopology(input, output), streamsConfig(kafka))) {
            streams.setStateListener((newState, oldState) -> {
                if (newState == KafkaStreams.State.RUNNING) {
                    runningAt.compareAndSet(0, System.nanoTime());
                }
            });
            streams.start();
            await("streams app RUNNING").atMost(Duration.ofSeconds(60)).until(() -> runningAt.get() != 0);
            LOG.info(
                    "Kafka Streams (exactly_once_v2) reached RUNNING {} ms after start",
                    TimeUnit.NANOSECONDS.toMillis(runningAt.get() - createdAt));

            // When words arrive
            try (KafkaProducer<String, String> producer = TestClients.producer(kafka)) {
                for (String word : List.of("a", "b", "a", "c", "a", "b")) {
                    producer.send(new ProducerRecord<>(input, word, word)).get(30, TimeUnit.SECONDS);
                }
            }

            // Then committed output holds the final count per key
            Map<String, String> expected = Map.of("a", "3", "b", "2", "c", "1");
            List<ConsumerRecord<String, String>> read = TestClients.readCommitted(
                    kafka, output, records -> latestByKey(records).equals(expected), Duration.ofSeconds(60));
            assertThat(latestByKey(read)).as("latest committed count per word").isEqualTo(expected);

            // and the state store answers the same
            ReadOnlyKeyValueStore<String, Long> store = streams.store(
                    StoreQueryParameters.fromNameAndType(STORE, QueryableStoreTypes.<String, Long>keyValueStore()));
            assertThat(store.get("a")).isEqualTo(3L);
            assertThat(store.get("c")).isEqualTo(1L);
            streams.close(Duration.ofSeconds(30));
        }
    }

    private static Topology countingTopology(String input, String output) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
                .groupByKey()
                .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as(STORE)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(Serdes.Long()))
                .toStream()
                .mapValues(count -> Long.toString(count))
                .to(output, Produced.with(Serdes.String(), Serdes.String()));
        return builder.build();
    }

    private Properties streamsConfig(KafkaCluster kafka) {
        Properties config = TestClients.exactlyOnceStreams(kafka, "eos-app", stateDir);
        config.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        return config;
    }

    private static Map<String, String> latestByKey(List<ConsumerRecord<String, String>> records) {
        Map<String, String> latest = new HashMap<>();
        records.forEach(record -> latest.put(record.key(), record.value()));
        return latest;
    }
}
