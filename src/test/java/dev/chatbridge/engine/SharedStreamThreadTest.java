package dev.chatbridge.engine;

import static dev.chatbridge.engine.EngineDriver.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chatbridge.events.ChatRequest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two tasks on one stream thread (this test's thread) sharing one instance's resources: a task blocked in
 * {@code process()} must never wait for another task of its thread to forward.
 */
@Timeout(30)
class SharedStreamThreadTest {

    private final EngineConfig config = EngineConfig.builder()
            .maxInFlight(2)
            .maxPending(2)
            .backpressureMaxWait(Duration.ofSeconds(5))
            .build();
    private final EngineResources resources = new EngineResources(config, Clock.systemUTC());
    // Holds the calls, so that a1 cannot complete while A still processes a2 (A must not have run since).
    private final FakeChatApi api = FakeChatApi.holding();
    private final Topics topics =
            Topics.of(config, EngineDriver.REQUESTS, EngineDriver.RESPONSES, EngineDriver.DEAD_LETTERS);
    private AsyncChatProcessor taskA;
    private AsyncChatProcessor taskB;

    @AfterEach
    void close() {
        taskA.close();
        taskB.close();
        api.close();
    }

    private AsyncChatProcessor task(int partition, MockProcessorContext<String, OutcomeWriter.Written> context) {
        KeyValueStore<Bytes, byte[]> store = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(ChatBridgeTopology.PENDING_STORE),
                        Serdes.Bytes(),
                        Serdes.ByteArray())
                .withLoggingDisabled()
                .build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        AsyncChatProcessor processor = new AsyncChatProcessor(
                config, ChatBridgeTopology.PENDING_STORE, api, resources, Clock.systemUTC(), topics);
        processor.init(context);
        return processor;
    }

    private static Decoded valid(ChatRequest request) {
        byte[] bytes = EngineDriver.REQUESTS.serializer().serialize("chat-requests", request);
        return new Decoded.Valid(request, request.getThreadId().getBytes(StandardCharsets.UTF_8), bytes);
    }

    private static MockProcessorContext<String, OutcomeWriter.Written> context(int partition) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "shared-thread-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
        return new MockProcessorContext<>(props, new TaskId(0, partition), null);
    }

    @Test
    void shouldNotWaitForAnotherTaskOfTheSameThreadToForwardBeforeAcceptingInput() throws InterruptedException {
        // Given task A filled the instance's pending bound and its calls completed, but A has not run since
        MockProcessorContext<String, OutcomeWriter.Written> contextA = context(0);
        MockProcessorContext<String, OutcomeWriter.Written> contextB = context(1);
        taskA = task(0, contextA);
        taskB = task(1, contextB);
        contextA.setRecordMetadata("chat-requests", 0, 0);
        taskA.process(new Record<>("a1", valid(request("a1", "a1", "x")), 0L));
        contextA.setRecordMetadata("chat-requests", 0, 1);
        taskA.process(new Record<>("a2", valid(request("a2", "a2", "x")), 0L));
        api.awaitHeld(2);
        Thread netty = new Thread(api::releaseHeld, "netty-like");
        netty.start();
        netty.join(5_000);
        assertThat(api.inFlight()).as("calls of A in flight").isZero();

        // When task B, on the same thread, receives a request
        long start = System.nanoTime();
        contextB.setRecordMetadata("chat-requests", 1, 0);
        taskB.process(new Record<>("b1", valid(request("b1", "b1", "x")), 0L));
        long waitedMs = (System.nanoTime() - start) / 1_000_000;

        // Then it is accepted and called without waiting out the 5 s budget: A's permits and pending
        // places were freed when its calls completed, not when A forwards
        assertThat(waitedMs).as("ms task B waited").isLessThan(1_000L);
        await().atMost(Duration.ofSeconds(5)).until(() -> api.calls().contains("b1"));
        assertThat(contextA.forwarded()).as("A has forwarded nothing yet").isEmpty();

        // And A forwards its outcomes when its own punctuator runs
        contextA.scheduledPunctuators().get(0).getPunctuator().punctuate(0L);
        assertThat(contextA.forwarded())
                .extracting(f -> EngineDriver.RESPONSES
                        .deserializer()
                        .deserialize("chat-responses", f.record().value().bytes())
                        .getRequestId())
                .containsExactlyInAnyOrderElementsOf(List.of("a1", "a2"));
    }
}
