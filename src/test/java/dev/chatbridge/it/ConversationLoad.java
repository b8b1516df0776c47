package dev.chatbridge.it;

import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.serde.AvroSerdeConfig;
import dev.chatbridge.serde.AvroSerializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Steady load of many conversations while a test starts and stops instances: every tick (100 ms) new conversations
 * begin, and each sends its turns one {@code turnInterval} apart, without waiting for answers (a producer does not know
 * about them). Requests are keyed by thread id on one long-lived idempotent producer, so a thread's turns reach its
 * partition in turn order.
 *
 * <p>Threading: {@link #start()} and {@link #stop(Duration)} are called by the test thread; the ticks run on one
 * scheduler thread of its own, which alone touches the producer until stop.
 */
final class ConversationLoad implements AutoCloseable {

    private static final long TICK_MS = 100;

    private final ItFixture fixture;
    private final String prefix;
    private final int newPerTick;
    private final int turns;
    private final long turnIntervalMs;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "conversation-load");
        t.setDaemon(true);
        return t;
    });
    private final KafkaProducer<String, ChatRequest> producer;
    /** Every request handed to the producer, in send order (ticker thread writes, others read). */
    private final ConcurrentLinkedQueue<ChatRequest> sent = new ConcurrentLinkedQueue<>();

    private final ConcurrentLinkedQueue<Exception> failures = new ConcurrentLinkedQueue<>();
    /** Conversations still sending (ticker thread only). */
    private final List<Conversation> active = new ArrayList<>();

    private int started;

    /**
     * {@code conversationsPerSecond} new conversations a second (a multiple of 10), each of {@code turns} turns
     * {@code turnInterval} apart: {@code conversationsPerSecond * turns} requests a second once the first conversations
     * are complete.
     */
    ConversationLoad(ItFixture fixture, String prefix, int conversationsPerSecond, int turns, Duration turnInterval) {
        if (conversationsPerSecond % 10 != 0 || conversationsPerSecond <= 0) {
            throw new IllegalArgumentException("conversationsPerSecond must be a positive multiple of 10");
        }
        this.fixture = fixture;
        this.prefix = prefix;
        this.newPerTick = conversationsPerSecond / 10;
        this.turns = turns;
        this.turnIntervalMs = turnInterval.toMillis();
        this.producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, fixture.kafka.bootstrapServers(),
                        ProducerConfig.ACKS_CONFIG, "all",
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1,
                        ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000,
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000,
                        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000),
                new StringSerializer(),
                new AvroSerializer<ChatRequest>(fixture.registryClient(), AvroSerdeConfig.from(Map.of()), false));
    }

    /** Starts sending. */
    void start() {
        ticker.scheduleAtFixedRate(this::tick, 0, TICK_MS, TimeUnit.MILLISECONDS);
    }

    /** How many requests were handed to the producer so far. */
    int sentCount() {
        return sent.size();
    }

    /** The request ids handed to the producer so far, in send order. */
    List<String> sentIds() {
        return sent.stream().map(ChatRequest::getRequestId).toList();
    }

    /**
     * Stops starting conversations and sending turns (conversations in progress stay unfinished), waits until every
     * request sent is acknowledged, and returns them in send order.
     *
     * @throws IllegalStateException when a send failed: the test's input would be unknown
     */
    List<ChatRequest> stop(Duration timeout) throws InterruptedException {
        ticker.shutdown();
        if (!ticker.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("the load's last tick did not end within " + timeout);
        }
        producer.flush();
        if (!failures.isEmpty()) {
            IllegalStateException e = new IllegalStateException(failures.size() + " request(s) could not be produced");
            failures.forEach(e::addSuppressed);
            throw e;
        }
        return List.copyOf(sent);
    }

    private void tick() {
        try {
            long now = System.currentTimeMillis();
            for (int i = 0; i < newPerTick; i++) {
                active.add(new Conversation(prefix + "-c" + started++, now));
            }
            for (Iterator<Conversation> it = active.iterator(); it.hasNext(); ) {
                Conversation c = it.next();
                if (c.nextDueMs > now) {
                    continue;
                }
                ChatRequest request = ItFixture.request(
                        c.threadId, c.threadId + "-r" + c.nextTurn, "Turn " + c.nextTurn + " of " + c.threadId);
                sent.add(request);
                producer.send(new ProducerRecord<>(fixture.requests, c.threadId, request), (metadata, error) -> {
                    if (error != null) {
                        failures.add(error);
                    }
                });
                c.nextTurn++;
                c.nextDueMs += turnIntervalMs;
                if (c.nextTurn == turns) {
                    it.remove();
                }
            }
        } catch (RuntimeException e) {
            failures.add(e);
            throw e;
        }
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        producer.close(Duration.ofSeconds(10));
    }

    /** One conversation's progress (ticker thread only). */
    private static final class Conversation {
        final String threadId;
        long nextDueMs;
        int nextTurn;

        Conversation(String threadId, long firstDueMs) {
            this.threadId = threadId;
            this.nextDueMs = firstDueMs;
        }
    }
}
