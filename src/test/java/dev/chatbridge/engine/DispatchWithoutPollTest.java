package dev.chatbridge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chatbridge.api.CallOutcome;
import dev.chatbridge.events.ChatMessage;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.MessageRole;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The dispatch paths that do not wait for the stream thread to come back from {@code poll()}: armed calls started by
 * the thread that frees a permit, a conversation's next turn started by the commit of its previous outcome, and none of
 * it while idle. The stream thread here is the test's thread; commits are reported the way the app's producer wrapper
 * reports them.
 */
@Timeout(30)
class DispatchWithoutPollTest {

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private int offset;

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private record Task(
            AsyncChatProcessor processor,
            MockProcessorContext<String, OutcomeWriter.Written> context,
            EngineResources resources) {

        List<String> forwardedIds() {
            return context.forwarded().stream()
                    .map(f -> EngineDriver.RESPONSES
                            .deserializer()
                            .deserialize("chat-responses", f.record().value().bytes())
                            .getRequestId())
                    .toList();
        }

        void punctuate() {
            context.scheduledPunctuators().stream()
                    .filter(p -> !p.cancelled())
                    .forEach(p -> p.getPunctuator().punctuate(0L));
        }

        long livePunctuators() {
            return context.scheduledPunctuators().stream()
                    .filter(p -> !p.cancelled())
                    .count();
        }
    }

    private Task task(EngineConfig config, FakeChatApi api) {
        return task(config, api, EngineMetrics.NONE);
    }

    private Task task(EngineConfig config, FakeChatApi api, EngineMetrics metrics) {
        return task(config, api, metrics, Schedulers.immediate());
    }

    /** A task whose stream-thread calls are made on {@code launches} (immediate: on the test's thread, at once). */
    private Task task(EngineConfig config, FakeChatApi api, EngineMetrics metrics, Scheduler launches) {
        toClose.add(api);
        EngineResources resources = new EngineResources(config, Clock.systemUTC(), metrics);
        resources.launchOn(launches);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "dispatch-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
        MockProcessorContext<String, OutcomeWriter.Written> context =
                new MockProcessorContext<>(props, new TaskId(0, 0), null);
        KeyValueStore<Bytes, byte[]> store = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(ChatBridgeTopology.PENDING_STORE),
                        Serdes.Bytes(),
                        Serdes.ByteArray())
                .withLoggingDisabled()
                .build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        Topics topics = Topics.of(config, EngineDriver.REQUESTS, EngineDriver.RESPONSES, EngineDriver.DEAD_LETTERS);
        AsyncChatProcessor processor = new AsyncChatProcessor(
                config, ChatBridgeTopology.PENDING_STORE, api, resources, Clock.systemUTC(), topics);
        processor.init(context);
        toClose.add(processor::close);
        return new Task(processor, context, resources);
    }

    private void send(Task task, String requestId, String threadId) {
        ChatRequest request = ChatRequest.newBuilder()
                .setRequestId(requestId)
                .setThreadId(threadId)
                .setMessages(List.of(new ChatMessage(MessageRole.User, "hi")))
                .setMetadata(Map.of())
                .build();
        byte[] bytes = EngineDriver.REQUESTS.serializer().serialize("chat-requests", request);
        task.context().setRecordMetadata("chat-requests", 0, offset++);
        task.processor()
                .process(new Record<>(
                        threadId, new Decoded.Valid(request, threadId.getBytes(StandardCharsets.UTF_8), bytes), 0L));
    }

    @Test
    void shouldStartAWaitingCallWhenAPermitFreesWithoutTheStreamThread() {
        // Given one permit, taken by a held call, and a second conversation waiting for it
        FakeChatApi api = new FakeChatApi((r, attempt) -> r.getRequestId().equals("a1")
                ? FakeChatApi.Behaviour.hold(FakeChatApi.success("a"))
                : FakeChatApi.Behaviour.answer(FakeChatApi.success("b"), Duration.ZERO));
        Task task = task(EngineConfig.builder().maxInFlight(1).build(), api);
        send(task, "a1", "ta");
        send(task, "b1", "tb");
        assertThat(api.calls()).containsExactly("a1");
        assertThat(task.resources().limiter().armed()).isEqualTo(1);

        // When the held call completes on another thread, and the stream thread does not run
        Thread netty = new Thread(api::releaseHeld, "netty-like");
        netty.start();

        // Then the waiting call was started by that thread
        await().atMost(Duration.ofSeconds(5)).until(() -> api.calls().size() == 2);
        assertThat(api.calls()).containsExactly("a1", "b1");
        assertThat(task.resources().limiter().armed()).isZero();
        assertThat(task.forwardedIds()).isEmpty();
    }

    @Test
    void shouldNotHandThePermitOfA429WithRetryAfterToAnArmedCallWhenAdaptive() {
        // Given adaptive flow control, one permit taken by a held call that will end with 429 and Retry-After: 2,
        // and a second conversation's call armed behind it
        FakeChatApi api = new FakeChatApi((r, attempt) -> r.getRequestId().equals("a1") && attempt == 1
                ? FakeChatApi.Behaviour.hold(
                        new CallOutcome.RetriableFailure(429, Duration.ofSeconds(2), null, "429 Too Many Requests"))
                : FakeChatApi.Behaviour.answer(FakeChatApi.success("b"), Duration.ZERO));
        Task task = task(EngineConfig.builder().maxInFlight(1).adaptive(true).build(), api);
        send(task, "a1", "ta");
        send(task, "b1", "tb");
        assertThat(api.calls()).containsExactly("a1");
        assertThat(task.resources().limiter().armed()).isEqualTo(1);
        long refused = System.nanoTime();

        // When the held call ends with the 429 (on this thread, as a Netty thread would)
        api.releaseHeld();

        // Then its permit does not start the armed call: the whole instance waits for the Retry-After
        assertThat(api.calls()).containsExactly("a1");
        assertThat(task.resources().limiter().inUse()).isZero();
        // and the armed call starts once the pause is over, from the limiter's timer
        await().atMost(Duration.ofSeconds(10)).until(() -> api.calls().size() == 2);
        assertThat(api.calls()).containsExactly("a1", "b1");
        assertThat(System.nanoTime() - refused).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(1_900));
    }

    @Test
    void shouldMakeTheCallsItStartsOnAWorkerSoTheStreamThreadOnlyRecordsTheStart() {
        // Given the product's launcher and an API that holds its calls
        FakeChatApi api = new FakeChatApi((r, attempt) -> FakeChatApi.Behaviour.hold(FakeChatApi.success("x")));
        Task task = task(EngineConfig.builder().maxInFlight(4).build(), api, EngineMetrics.NONE, Schedulers.parallel());

        // When the stream thread (this test's thread) accepts two requests of different conversations
        send(task, "a1", "ta");
        send(task, "b1", "tb");

        // Then both calls are made, by Reactor workers, not by the stream thread
        await().atMost(Duration.ofSeconds(5)).until(() -> api.calls().size() == 2);
        assertThat(api.calls()).containsExactlyInAnyOrder("a1", "b1");
        assertThat(api.callThreads())
                .allSatisfy(name -> assertThat(name)
                        .isNotEqualTo(Thread.currentThread().getName())
                        .startsWith("parallel-"));
        assertThat(task.resources().limiter().inUse()).isEqualTo(2);

        // And when the task closes before they answer, both calls are cancelled and their permits returned
        task.processor().close();
        await().atMost(Duration.ofSeconds(5)).until(() -> api.cancellations() == 2);
        assertThat(task.resources().limiter().inUse()).isZero();
    }

    @Test
    void shouldCallATurnOnlyAfterThePreviousTurnsOutcomeIsCommitted() {
        // Given two turns of one conversation and an API that answers at once
        FakeChatApi api = FakeChatApi.echo(Duration.ZERO);
        Task task = task(EngineConfig.builder().maxInFlight(4).build(), api);
        send(task, "t1-1", "t1");
        send(task, "t1-2", "t1");
        await().atMost(Duration.ofSeconds(5))
                .until(() -> api.inFlight() == 0 && api.calls().size() == 1);

        // When the first outcome is forwarded but not yet committed
        task.punctuate();
        assertThat(task.forwardedIds()).containsExactly("t1-1");
        task.punctuate();

        // Then the second turn is not called, and a commit was asked for
        assertThat(api.calls()).containsExactly("t1-1");
        assertThat(task.context().committed()).isTrue();

        // And when the stream thread's producer commits, the second turn is called from the commit itself
        task.resources().commitClock().committed();
        assertThat(api.calls()).containsExactly("t1-1", "t1-2");
    }

    @Test
    void shouldNotWaitForACommitBetweenTurnsOfDifferentConversations() {
        // Given two conversations of one turn each and a limit of one call
        FakeChatApi api = FakeChatApi.echo(Duration.ZERO);
        Task task = task(EngineConfig.builder().maxInFlight(1).build(), api);
        send(task, "a1", "ta");
        send(task, "b1", "tb");

        // Then both are called without any commit
        await().atMost(Duration.ofSeconds(5)).until(() -> api.calls().size() == 2);
    }

    @Test
    void shouldScheduleNoPunctuationWhileIdleAndCancelItWhenTheWorkIsDone() {
        // Given a fresh task: no work
        FakeChatApi api = FakeChatApi.echo(Duration.ZERO);
        Task task = task(EngineConfig.builder().build(), api);
        assertThat(task.livePunctuators()).as("punctuators of an idle task").isZero();

        // When a request arrives, is answered and its outcome forwarded and committed
        send(task, "r1", "t1");
        assertThat(task.livePunctuators()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5))
                .until(() -> api.inFlight() == 0 && api.calls().size() == 1);
        task.punctuate();
        assertThat(task.forwardedIds()).containsExactly("r1");
        assertThat(task.livePunctuators())
                .as("punctuators while the outcome waits for its commit")
                .isEqualTo(1);
        task.resources().commitClock().committed();
        task.punctuate();

        // Then the punctuator is cancelled: the task is idle again
        assertThat(task.livePunctuators()).as("punctuators once idle again").isZero();

        // And the next request schedules one punctuator again, not a second
        send(task, "r2", "t2");
        assertThat(task.livePunctuators()).isEqualTo(1);
    }

    @Test
    void shouldCountALateCompletionOfAClosedLifeAsHandledWhenTheSameProcessorIsInitialisedAgain() throws Exception {
        // Given a call whose completion stops between "counted as waiting to be forwarded" and its hand-over
        CountDownLatch ending = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        EngineMetrics slowHook = new EngineMetrics() {
            @Override
            public void callEnded(CallOutcome outcome, Duration duration) {
                ending.countDown();
                try {
                    proceed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        FakeChatApi api = new FakeChatApi((r, attempt) -> FakeChatApi.Behaviour.hold(FakeChatApi.success("x")));
        Task task = task(EngineConfig.builder().build(), api, slowHook);
        send(task, "r1", "t1");
        Thread netty = new Thread(api::releaseHeld, "netty-like");
        netty.start();
        assertThat(ending.await(5, TimeUnit.SECONDS)).isTrue();

        // When Kafka Streams closes the processor and initialises the same object again, and then the completion goes
        // on
        task.processor().close();
        task.processor().init(task.context());
        proceed.countDown();
        netty.join(5_000);

        // Then nothing is left counted as waiting to be forwarded (a graceful shutdown would wait for it in vain)
        assertThat(task.resources().unforwardedCompletions()).isZero();
        assertThat(task.resources().limiter().inUse()).isZero();
    }
}
