package dev.chatbridge.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;

/** String producers and consumers for integration tests, with bounded timeouts. */
public final class TestClients {

    private TestClients() {}

    /** A plain idempotent String producer; the caller closes it. */
    public static KafkaProducer<String, String> producer(KafkaCluster kafka) {
        return new KafkaProducer<>(
                Map.<String, Object>of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                        ProducerConfig.ACKS_CONFIG, "all",
                        ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000,
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000,
                        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000),
                new StringSerializer(),
                new StringSerializer());
    }

    /** A transactional String producer with {@code transactionalId}; the caller closes it. */
    public static KafkaProducer<String, String> transactionalProducer(KafkaCluster kafka, String transactionalId) {
        return new KafkaProducer<>(
                Map.<String, Object>of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                        ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
                        ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000,
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000,
                        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000),
                new StringSerializer(),
                new StringSerializer());
    }

    /**
     * Properties of a one-thread Kafka Streams app with {@code exactly_once_v2} on the test cluster, a unique
     * application id starting with {@code appPrefix}, its state in {@code stateDir} and a 100 ms commit interval; the
     * caller adds the rest.
     */
    public static Properties exactlyOnceStreams(KafkaCluster kafka, String appPrefix, Path stateDir) {
        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, kafka.uniqueName(appPrefix));
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        config.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        config.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        config.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        return config;
    }

    /**
     * Reads {@code topic} from the beginning with a fresh group, as {@code read_committed}, until {@code done} accepts
     * what was read or {@code timeout} passes; returns what was read.
     */
    public static List<ConsumerRecord<String, String>> readCommitted(
            KafkaCluster kafka, String topic, Predicate<List<ConsumerRecord<String, String>>> done, Duration timeout) {
        return readCommitted(kafka, topic, new StringDeserializer(), new StringDeserializer(), done, timeout);
    }

    /**
     * Reads {@code topic} from the beginning with a fresh group and the given deserializers, as {@code read_committed},
     * until {@code done} accepts what was read or {@code timeout} passes; returns what was read. The deserializers are
     * closed with the consumer.
     */
    public static <K, V> List<ConsumerRecord<K, V>> readCommitted(
            KafkaCluster kafka,
            String topic,
            Deserializer<K> keys,
            Deserializer<V> values,
            Predicate<List<ConsumerRecord<K, V>>> done,
            Duration timeout) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG,
                kafka.uniqueName("reader"),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false);
        List<ConsumerRecord<K, V>> read = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<K, V> consumer = new KafkaConsumer<>(config, keys, values)) {
            consumer.subscribe(List.of(topic));
            while (!done.test(read) && System.nanoTime() - deadline < 0) {
                consumer.poll(Duration.ofMillis(200)).forEach(read::add);
            }
        }
        return read;
    }
}
