package dev.chatbridge.cli;

import dev.chatbridge.config.ChatBridgeConfig;
import dev.chatbridge.config.ServiceSettings;
import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.ChatResponse;
import dev.chatbridge.serde.AvroDeserializer;
import dev.chatbridge.serde.AvroSerializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Kafka clients of the commands that publish requests and read outcomes, from the loaded configuration. */
public final class KafkaIo {

    private KafkaIo() {}

    /**
     * A producer of requests (Avro values, thread-key string keys); the caller closes it.
     *
     * <p>Idempotent, with one produce request in flight per broker unless the configuration says otherwise: right after
     * a topic is created (by {@code run} or the demo) the broker can still answer NOT_LEADER_OR_FOLLOWER for a
     * partition it describes as led. The producer retries that batch, but with several requests in flight a later batch
     * of the same partition lands first, and the broker then refuses the retried first one as out of order until the
     * delivery timeout. With one in flight, the retry goes before anything that follows it.
     */
    public static KafkaProducer<String, ChatRequest> requestProducer(ChatBridgeConfig config) {
        Map<String, Object> props = ServiceSettings.clientProperties(config);
        props.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        props.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.putIfAbsent(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        props.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000);
        AvroSerializer<ChatRequest> values = new AvroSerializer<>();
        values.configure(ServiceSettings.serdeConfigs(config), false);
        return new KafkaProducer<>(props, new StringSerializer(), values);
    }

    /** One decoded outcome: a {@link ChatResponse} or a {@link ChatDeadLetter}. */
    public record Outcome(String topic, int partition, long offset, String key, SpecificRecord value) {}

    /**
     * Reads the responses and dead-letter topics, committed records only, without a consumer group (partitions are
     * assigned directly). Used by one thread at a time.
     */
    public static final class OutcomeReader implements AutoCloseable {
        private final KafkaConsumer<String, byte[]> consumer;
        private final AvroDeserializer<ChatResponse> responses = new AvroDeserializer<>(ChatResponse.class);
        private final AvroDeserializer<ChatDeadLetter> deadLetters = new AvroDeserializer<>(ChatDeadLetter.class);
        private final String responsesTopic;
        private final Map<TopicPartition, Long> endAtStart;

        public OutcomeReader(ChatBridgeConfig config, boolean fromBeginning) {
            Map<String, Object> props = ServiceSettings.clientProperties(config);
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            props.remove(ConsumerConfig.GROUP_ID_CONFIG);
            props.remove("application.id");
            this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
            responses.configure(ServiceSettings.serdeConfigs(config), false);
            deadLetters.configure(ServiceSettings.serdeConfigs(config), false);
            this.responsesTopic = config.engine().responsesTopic();
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(responsesTopic, config.engine().deadLettersTopic())) {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
                if (infos == null || infos.isEmpty()) {
                    throw new IllegalStateException("topic " + topic + " does not exist");
                }
                infos.forEach(info -> partitions.add(new TopicPartition(info.topic(), info.partition())));
            }
            consumer.assign(partitions);
            if (fromBeginning) {
                consumer.seekToBeginning(partitions);
            } else {
                consumer.seekToEnd(partitions);
            }
            this.endAtStart = new HashMap<>(consumer.endOffsets(partitions, Duration.ofSeconds(30)));
        }

        /** The next outcomes, waiting at most {@code timeout}. */
        public List<Outcome> poll(Duration timeout) {
            List<Outcome> read = new ArrayList<>();
            for (ConsumerRecord<String, byte[]> r : consumer.poll(timeout)) {
                SpecificRecord value = r.topic().equals(responsesTopic)
                        ? responses.deserialize(r.topic(), r.value())
                        : deadLetters.deserialize(r.topic(), r.value());
                read.add(new Outcome(r.topic(), r.partition(), r.offset(), r.key(), value));
            }
            return read;
        }

        /** Whether every partition has been read up to where it ended when this reader started. */
        boolean caughtUpWithStart() {
            for (Map.Entry<TopicPartition, Long> end : endAtStart.entrySet()) {
                if (consumer.position(end.getKey(), Duration.ofSeconds(30)) < end.getValue()) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public void close() {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
            responses.close();
            deadLetters.close();
        }
    }
}
