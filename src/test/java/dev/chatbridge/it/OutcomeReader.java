package dev.chatbridge.it;

import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatResponse;
import dev.chatbridge.serde.AvroDeserializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads the committed output of the engine ({@code read_committed}, from the beginning, a fresh group): responses and
 * dead letters decoded with our Avro deserializer, kept in the order read per partition. One long-lived consumer, so
 * that a test can first await all outcomes and later, after stopping the app, read on to the end and see any duplicate.
 *
 * <p>Threading: used by the test thread only.
 */
final class OutcomeReader implements AutoCloseable {

    /** One committed outcome: a response or a dead letter. */
    record Outcome(
            String topic,
            int partition,
            long offset,
            long timestamp,
            String key,
            String requestId,
            ChatResponse response,
            ChatDeadLetter deadLetter) {
        boolean isResponse() {
            return response != null;
        }
    }

    private final ItFixture fixture;
    private final KafkaConsumer<String, byte[]> consumer;
    private final AvroDeserializer<ChatResponse> responses;
    private final AvroDeserializer<ChatDeadLetter> deadLetters;
    private final List<Outcome> read = new ArrayList<>();
    private final Set<String> seen = new HashSet<>();

    OutcomeReader(ItFixture fixture) {
        this.fixture = fixture;
        this.consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        fixture.kafka.bootstrapServers(),
                        ConsumerConfig.GROUP_ID_CONFIG,
                        fixture.kafka.uniqueName("outcome-reader"),
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false),
                new StringDeserializer(),
                new ByteArrayDeserializer());
        this.responses = new AvroDeserializer<>(ChatResponse.class, fixture.registryClient());
        this.deadLetters = new AvroDeserializer<>(ChatDeadLetter.class, fixture.registryClient());
        consumer.subscribe(List.of(fixture.responses, fixture.deadLetters));
    }

    /** Polls until every id has an outcome or the timeout passes; returns whether all arrived. */
    boolean awaitAll(Collection<String> requestIds, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!seen.containsAll(requestIds) && System.nanoTime() - deadline < 0) {
            pollOnce();
        }
        return seen.containsAll(requestIds);
    }

    /** Polls until the consumer's position reaches the last stable offset of every partition. */
    void readToEnd(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - deadline < 0) {
            pollOnce();
            Set<TopicPartition> assigned = consumer.assignment();
            if (assigned.size() < 2 * fixture.partitions) {
                continue;
            }
            Map<TopicPartition, Long> ends = consumer.endOffsets(assigned, Duration.ofSeconds(10));
            if (ends.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
                return;
            }
        }
        throw new IllegalStateException("did not reach the end of the output topics within " + timeout);
    }

    /** Every outcome read so far. */
    List<Outcome> outcomes() {
        return List.copyOf(read);
    }

    /** How many distinct request ids have an outcome. */
    int distinctSeen() {
        return seen.size();
    }

    void pollOnce() {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            Outcome o;
            if (r.topic().equals(fixture.responses)) {
                ChatResponse resp = responses.deserialize(r.topic(), r.value());
                o = new Outcome(
                        r.topic(), r.partition(), r.offset(), r.timestamp(), r.key(), resp.getRequestId(), resp, null);
            } else {
                ChatDeadLetter dl = deadLetters.deserialize(r.topic(), r.value());
                o = new Outcome(
                        r.topic(), r.partition(), r.offset(), r.timestamp(), r.key(), dl.getRequestId(), null, dl);
            }
            read.add(o);
            seen.add(o.requestId());
        }
    }

    @Override
    public void close() {
        consumer.close();
    }
}
