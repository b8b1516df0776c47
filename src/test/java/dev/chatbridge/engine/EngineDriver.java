package dev.chatbridge.engine;

import static org.awaitility.Awaitility.await;

import dev.chatbridge.api.ChatApi;
import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatMessage;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.ChatResponse;
import dev.chatbridge.events.MessageRole;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.test.TestRecord;
import reactor.core.scheduler.Schedulers;

/**
 * A TopologyTestDriver around the engine topology with the test Avro serde, which collects the outputs and awaits
 * completions that arrive from other threads by advancing wall-clock time. Used from the test thread only (which plays
 * the stream thread).
 */
final class EngineDriver implements AutoCloseable {

    static final Serde<ChatRequest> REQUESTS = TestAvroSerde.of(ChatRequest.class);
    static final Serde<ChatResponse> RESPONSES = TestAvroSerde.of(ChatResponse.class);
    static final Serde<ChatDeadLetter> DEAD_LETTERS = TestAvroSerde.of(ChatDeadLetter.class);

    final EngineConfig config;
    final EngineResources resources;
    final TopologyTestDriver driver;
    private final TestInputTopic<byte[], byte[]> input;
    private final TestOutputTopic<String, ChatResponse> responseTopic;
    private final TestOutputTopic<String, ChatDeadLetter> deadLetterTopic;
    final List<Map.Entry<String, ChatResponse>> responses = new ArrayList<>();
    final List<Map.Entry<String, ChatDeadLetter>> deadLetters = new ArrayList<>();
    private boolean closed;

    EngineDriver(EngineConfig config, ChatApi api, Path stateDir, boolean exactlyOnce) {
        this(config, api, stateDir, exactlyOnce, Stores.persistentKeyValueStore(ChatBridgeTopology.PENDING_STORE));
    }

    EngineDriver(
            EngineConfig config,
            ChatApi api,
            Path stateDir,
            boolean exactlyOnce,
            KeyValueBytesStoreSupplier pendingStore) {
        this(
                config,
                api,
                stateDir,
                exactlyOnce,
                pendingStore,
                Topics.of(config, REQUESTS, RESPONSES, DEAD_LETTERS),
                TopicIdentity.UNKNOWN,
                EngineMetrics.NONE);
    }

    EngineDriver(
            EngineConfig config,
            ChatApi api,
            Path stateDir,
            boolean exactlyOnce,
            KeyValueBytesStoreSupplier pendingStore,
            Topics topics,
            TopicIdentity topicIds,
            EngineMetrics metrics) {
        this.config = config;
        this.resources = new EngineResources(config, Clock.systemUTC(), metrics, topicIds);
        // Calls are made on the driver's thread, so a test sees each one as soon as it is dispatched
        // (the product makes them on a Reactor worker: see DispatchWithoutPollTest).
        resources.launchOn(Schedulers.immediate());
        Properties props = StreamsProperties.defaults("engine-test", "127.0.0.1:9", exactlyOnce);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(
                ChatBridgeTopology.build(config, topics, api, resources, Clock.systemUTC(), pendingStore), props);
        input = driver.createInputTopic(config.requestsTopic(), new ByteArraySerializer(), new ByteArraySerializer());
        responseTopic =
                driver.createOutputTopic(config.responsesTopic(), new StringDeserializer(), RESPONSES.deserializer());
        deadLetterTopic = driver.createOutputTopic(
                config.deadLettersTopic(), new StringDeserializer(), DEAD_LETTERS.deserializer());
    }

    static ChatRequest request(String requestId, String threadId, String text) {
        return ChatRequest.newBuilder()
                .setRequestId(requestId)
                .setThreadId(threadId)
                .setMessages(List.of(new ChatMessage(MessageRole.User, text)))
                .setMetadata(Map.of("origin", "test"))
                .build();
    }

    void send(ChatRequest request) {
        String key = request.getThreadId() != null ? request.getThreadId() : request.getRequestId();
        input.pipeInput(
                key.getBytes(StandardCharsets.UTF_8), REQUESTS.serializer().serialize(config.requestsTopic(), request));
        committed();
    }

    /**
     * The test driver commits after each input record and each punctuation, on this thread, with a producer of its own:
     * tell the engine, as the app's producer wrapper does.
     */
    private void committed() {
        resources.commitClock().committed();
    }

    /** Sends a request whose record carries {@code headers} (none when null). */
    void send(ChatRequest request, Headers headers) {
        String key = request.getThreadId() != null ? request.getThreadId() : request.getRequestId();
        input.pipeInput(new TestRecord<>(
                key.getBytes(StandardCharsets.UTF_8),
                REQUESTS.serializer().serialize(config.requestsTopic(), request),
                headers));
        committed();
    }

    void sendRaw(byte[] key, byte[] value) {
        input.pipeInput(key, value);
        committed();
    }

    /** Advances wall-clock time a little (running the drain punctuator) and collects outputs. */
    void tick() {
        driver.advanceWallClockTime(Duration.ofMillis(20));
        committed();
        collect();
    }

    void collect() {
        responseTopic
                .readKeyValuesToList()
                .forEach(kv -> responses.add(new AbstractMap.SimpleImmutableEntry<>(kv.key, kv.value)));
        deadLetterTopic
                .readKeyValuesToList()
                .forEach(kv -> deadLetters.add(new AbstractMap.SimpleImmutableEntry<>(kv.key, kv.value)));
    }

    int outcomes() {
        return responses.size() + deadLetters.size();
    }

    /** Waits (bounded) until at least {@code n} outcomes were emitted, advancing wall-clock time meanwhile. */
    void awaitOutcomes(int n) {
        awaitUntil(() -> outcomes() >= n);
    }

    /** Waits (bounded) until {@code condition} holds, advancing wall-clock time (and so the engine) meanwhile. */
    void awaitUntil(BooleanSupplier condition) {
        tick();
        if (condition.getAsBoolean()) {
            return;
        }
        await().atMost(Duration.ofSeconds(15))
                .pollInSameThread()
                .pollInterval(Duration.ofMillis(5))
                .until(() -> {
                    tick();
                    return condition.getAsBoolean();
                });
    }

    List<String> responseIds() {
        return responses.stream().map(e -> e.getValue().getRequestId()).toList();
    }

    /** Closes the driver (and so the task); closing twice is harmless. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            driver.close();
        }
    }
}
