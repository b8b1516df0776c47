package dev.chatbridge.devtools.bench;

import dev.chatbridge.events.ChatMessage;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.MessageRole;
import dev.chatbridge.registry.SchemaRegistryClient;
import dev.chatbridge.serde.AvroSerdeConfig;
import dev.chatbridge.serde.AvroSerializer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The requests of one workload: {@code threads} conversations of {@code turns} turns, thread ids {@code <prefix>-t<i>},
 * request ids {@code <prefix>-t<i>-r<j>}, one short user message each, keyed by thread id. Either all at once
 * ({@link #produce}), or as conversations ({@link #startConversations}): the first turn of every thread now, and each
 * next turn as soon as the outcome of the previous one is visible ({@link #outcomeSeen}), as users do. Each request's
 * acknowledgement time (this JVM's {@link System#nanoTime()}) is kept, as the time it became available to the bridge.
 *
 * <p>Threading: {@link #produce}, {@link #startConversations} and {@link #close} run on the benchmark's thread,
 * {@link #outcomeSeen} on the outcome clock's; the producer is thread-safe; acknowledgement times are written by the
 * producer's I/O thread (atomic array).
 */
final class RequestLoad implements AutoCloseable {

    private final String prefix;
    private final int threads;
    private final int turns;
    private final AtomicLongArray produced;
    private final LongAdder payloadBytes = new LongAdder();
    private final LongAdder acked = new LongAdder();
    private final LongAdder sent = new LongAdder();
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private volatile KafkaProducer<String, ChatRequest> conversations;
    private volatile String topic;

    RequestLoad(String prefix, int threads, int turns) {
        this.prefix = prefix;
        this.threads = threads;
        this.turns = turns;
        this.produced = new AtomicLongArray(threads * turns);
    }

    int threads() {
        return threads;
    }

    int turns() {
        return turns;
    }

    int size() {
        return threads * turns;
    }

    String threadId(int thread) {
        return prefix + "-t" + thread;
    }

    /** Acknowledgement time of a request, 0 if not (yet) acknowledged. */
    long producedAt(int thread, int turn) {
        return produced.get(thread * turns + turn);
    }

    /** Mean serialized bytes (key + value) of the requests acknowledged. */
    double meanPayloadBytes() {
        long n = acked.sum();
        return n == 0 ? Double.NaN : (double) payloadBytes.sum() / n;
    }

    /** The thread index of a thread id of this load ({@code <prefix>-t<i>}), or -1 when it is not one. */
    int threadIndex(String threadId) {
        if (threadId == null || !threadId.startsWith(prefix + "-t")) {
            return -1;
        }
        try {
            int i = Integer.parseInt(threadId.substring(prefix.length() + 2));
            return i >= 0 && i < threads ? i : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** {thread, turn} of a request id of this load ({@code <prefix>-t<i>-r<j>}), or null. */
    int[] requestIndex(String requestId) {
        if (requestId == null) {
            return null;
        }
        int r = requestId.lastIndexOf("-r");
        if (r < 0) {
            return null;
        }
        int thread = threadIndex(requestId.substring(0, r));
        try {
            int turn = Integer.parseInt(requestId.substring(r + 2));
            return thread < 0 || turn < 0 || turn >= turns ? null : new int[] {thread, turn};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * Produces the first turn of every thread and keeps the producer open for the next turns, which
     * {@link #outcomeSeen} sends; waits (at most {@code timeout}) for the first turns' acks.
     */
    void startConversations(String bootstrapServers, SchemaRegistryClient registry, String topic, Duration timeout) {
        this.topic = topic;
        this.conversations = producer(bootstrapServers, registry);
        for (int thread = 0; thread < threads; thread++) {
            send(conversations, thread, 0);
        }
        conversations.flush();
        awaitAcks(threads, timeout);
    }

    /** The outcome of {@code turn} of {@code thread} is visible: sends the next turn, if any. */
    void outcomeSeen(int thread, int turn) {
        KafkaProducer<String, ChatRequest> p = conversations;
        if (p != null && turn + 1 < turns) {
            send(p, thread, turn + 1);
        }
    }

    /** Requests sent so far. */
    long sent() {
        return sent.sum();
    }

    @Override
    public void close() {
        KafkaProducer<String, ChatRequest> p = conversations;
        conversations = null;
        if (p != null) {
            p.close(Duration.ofSeconds(10));
        }
    }

    private void send(KafkaProducer<String, ChatRequest> producer, int thread, int turn) {
        int index = thread * turns + turn;
        sent.increment();
        producer.send(new ProducerRecord<>(topic, threadId(thread), request(thread, turn)), (md, e) -> {
            if (e != null) {
                failure.compareAndSet(null, e);
                return;
            }
            produced.set(index, System.nanoTime());
            payloadBytes.add(Math.max(0, md.serializedKeySize()) + Math.max(0, md.serializedValueSize()));
            acked.increment();
        });
    }

    private void awaitAcks(long count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (acked.sum() < count && failure.get() == null && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted while producing requests", e);
        }
        requireNoFailure();
        if (acked.sum() < count) {
            throw new BenchException(
                    "only " + acked.sum() + " of " + count + " requests acknowledged within " + timeout);
        }
    }

    /** Throws if a send failed. */
    void requireNoFailure() {
        if (failure.get() != null) {
            throw new BenchException("producing requests failed: " + failure.get(), failure.get());
        }
    }

    private static KafkaProducer<String, ChatRequest> producer(String bootstrapServers, SchemaRegistryClient registry) {
        Map<String, Object> config = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1,
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 20_000);
        return new KafkaProducer<>(
                config,
                new StringSerializer(),
                new AvroSerializer<ChatRequest>(registry, AvroSerdeConfig.from(Map.of()), false));
    }

    /** Produces every request at once, turn by turn, and waits (at most {@code timeout}) until all are acknowledged. */
    void produce(String bootstrapServers, SchemaRegistryClient registry, String topic, Duration timeout) {
        this.topic = topic;
        try (KafkaProducer<String, ChatRequest> producer = producer(bootstrapServers, registry)) {
            for (int turn = 0; turn < turns; turn++) {
                for (int thread = 0; thread < threads; thread++) {
                    send(producer, thread, turn);
                }
            }
            producer.flush();
            awaitAcks(size(), timeout);
        }
    }

    private ChatRequest request(int thread, int turn) {
        return ChatRequest.newBuilder()
                .setRequestId(threadId(thread) + "-r" + turn)
                .setThreadId(threadId(thread))
                .setMessages(List.of(ChatMessage.newBuilder()
                        .setRole(MessageRole.User)
                        .setText("Question " + turn + " of thread " + thread)
                        .build()))
                .build();
    }
}
