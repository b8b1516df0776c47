package dev.chatbridge.cli;

import dev.chatbridge.engine.PendingChangelog;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Counts the accepted requests in the pending table of a stopped chat-bridge application by reading the table's
 * changelog from the beginning to the end offsets taken at the start, with a {@code read_committed} consumer that joins
 * no group (so aborted writes of a crashed instance are not counted, and the application's group is not touched).
 * Values are not copied, only whether they are null.
 */
final class PendingRequests {

    private static final Duration POLL = Duration.ofMillis(200);

    /**
     * What the changelog holds.
     *
     * @param topic the changelog topic
     * @param total accepted requests without an outcome
     * @param perPartition those requests per changelog partition (the task's input partition)
     */
    record Count(String topic, int total, SortedMap<Integer, Integer> perPartition) {
        /** "partition 0: 4, partition 2: 1". */
        String partitions() {
            List<String> parts = new ArrayList<>();
            perPartition.forEach((p, n) -> parts.add("partition " + p + ": " + n));
            return String.join(", ", parts);
        }
    }

    private PendingRequests() {}

    /**
     * Reads {@code topic} to its end.
     *
     * @param clientSettings bootstrap.servers and the client (security) settings
     * @param timeout longest time for the whole read
     * @throws TimeoutException when the end is not reached in time (the count would be incomplete)
     */
    static Count count(Map<String, Object> clientSettings, String topic, Duration timeout) {
        Map<String, Object> props = new HashMap<>(clientSettings);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "chat-bridge-reset-pending-check");
        long deadline = System.nanoTime() + timeout.toNanos();
        PendingChangelog.Tally tally = new PendingChangelog.Tally();
        try (KafkaConsumer<byte[], Boolean> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new Presence())) {
            List<TopicPartition> partitions = new ArrayList<>();
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos != null) {
                infos.forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // Under read_committed these are the last stable offsets: where committed data ends.
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            while (!reached(consumer, end, timeout)) {
                if (System.nanoTime() - deadline > 0) {
                    throw new TimeoutException(
                            "could not read " + topic + " to its end within " + timeout.toSeconds() + " s");
                }
                for (ConsumerRecord<byte[], Boolean> r : consumer.poll(POLL)) {
                    tally.record(r.partition(), r.key(), r.value() == null);
                }
            }
        }
        return new Count(topic, tally.total(), tally.perPartition());
    }

    private static boolean reached(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end, Duration timeout) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey(), timeout) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Deserializes a value to whether it is there (TRUE) or a tombstone (null), without copying it. */
    static final class Presence implements Deserializer<Boolean> {
        @Override
        public Boolean deserialize(String topic, byte[] data) {
            return data == null ? null : Boolean.TRUE;
        }

        @Override
        public Boolean deserialize(String topic, Headers headers, byte[] data) {
            return deserialize(topic, data);
        }

        @Override
        public Boolean deserialize(String topic, Headers headers, ByteBuffer data) {
            return data == null ? null : Boolean.TRUE;
        }
    }
}
