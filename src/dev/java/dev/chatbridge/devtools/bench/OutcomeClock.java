package dev.chatbridge.devtools.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Watches the outcome topics with a {@code read_committed} consumer and notes when each outcome became visible (this
 * JVM's {@link System#nanoTime()} when the poll returned it). Outcomes of a thread arrive in turn order and there is
 * exactly one per request, so the k-th outcome keyed by a thread is its turn k: values are not decoded.
 *
 * <p>Each outcome is passed on to {@link RequestLoad#outcomeSeen}, which sends the thread's next turn when the load
 * runs as conversations.
 *
 * <p>Threading: one daemon thread owns the consumer; times go to an atomic array read by the benchmark's thread.
 * {@link #close()} stops the thread (bounded).
 */
final class OutcomeClock implements AutoCloseable {

    private final RequestLoad load;
    private final AtomicLongArray visible;
    private final int[] seenPerThread;
    private final LongAdder outcomes = new LongAdder();
    private final LongAdder deadLetters = new LongAdder();
    private final LongAdder foreign = new LongAdder();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * Starts watching {@code topics} from their beginning; records on {@code deadLetterTopic} are outcomes too, and
     * counted apart.
     */
    OutcomeClock(
            String bootstrapServers, List<String> topics, String deadLetterTopic, int partitions, RequestLoad load) {
        this.load = load;
        this.visible = new AtomicLongArray(load.size());
        this.seenPerThread = new int[load.threads()];
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false,
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG,
                10,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                5_000);
        KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> assigned = new ArrayList<>();
        for (String topic : topics) {
            for (int p = 0; p < partitions; p++) {
                assigned.add(new TopicPartition(topic, p));
            }
        }
        consumer.assign(assigned);
        consumer.seekToBeginning(assigned);
        this.thread = new Thread(() -> loop(consumer, deadLetterTopic), "bench-outcome-clock");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop(KafkaConsumer<String, byte[]> consumer, String deadLetterTopic) {
        try (consumer) {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(20))) {
                    long now = System.nanoTime();
                    int t = load.threadIndex(r.key());
                    if (t < 0) {
                        foreign.increment();
                        continue;
                    }
                    int turn = seenPerThread[t]++;
                    if (turn < load.turns()) {
                        visible.set(t * load.turns() + turn, now);
                        load.outcomeSeen(t, turn);
                    }
                    outcomes.increment();
                    if (r.topic().equals(deadLetterTopic)) {
                        deadLetters.increment();
                    }
                }
            }
        } catch (RuntimeException e) {
            failure.set(e);
        }
    }

    /** When the outcome of a request became visible, 0 if not yet. */
    long visibleAt(int thread, int turn) {
        return visible.get(thread * load.turns() + turn);
    }

    long outcomes() {
        requireHealthy();
        return outcomes.sum();
    }

    long deadLetters() {
        return deadLetters.sum();
    }

    private void requireHealthy() {
        if (failure.get() != null) {
            throw new BenchException("the outcome consumer failed: " + failure.get(), failure.get());
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
