package dev.chatbridge.engine;

import static dev.chatbridge.engine.EngineDriver.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chatbridge.api.CallOutcome;
import dev.chatbridge.api.RetryPolicy;
import dev.chatbridge.engine.FakeChatApi.Behaviour;
import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.events.ProblemDetails;
import dev.chatbridge.serde.SerdeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue "no record can stop an instance", engine side: each input or registry condition that used to stop the instance
 * (or reorder a conversation) now ends as exactly one outcome of the right kind, within the output size budget, with
 * the task still running.
 */
@Timeout(60)
class PoisonInputTest {

    @TempDir
    Path stateDir;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final SurvivingStoreSupplier disk = new SurvivingStoreSupplier(ChatBridgeTopology.PENDING_STORE);
    /** Whether the "registry" behind the requests, responses and dead-letter serdes answers. */
    private final AtomicBoolean registryDown = new AtomicBoolean();

    private final AtomicInteger registryRefusals = new AtomicInteger();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private static EngineConfig.Builder config() {
        return EngineConfig.builder()
                .retryPolicy(new RetryPolicy(
                        3,
                        Duration.ofMillis(5),
                        Duration.ofMillis(20),
                        Duration.ofMillis(50),
                        Duration.ofSeconds(10),
                        new SplittableRandom(42)));
    }

    private EngineDriver driver(EngineConfig config, FakeChatApi api, TopicIdentity ids, boolean exactlyOnce) {
        toClose.add(api);
        Topics topics = Topics.of(
                config,
                switchable(EngineDriver.REQUESTS),
                switchable(EngineDriver.RESPONSES),
                switchable(EngineDriver.DEAD_LETTERS));
        EngineDriver d = new EngineDriver(config, api, stateDir, exactlyOnce, disk, topics, ids, EngineMetrics.NONE);
        toClose.add(d);
        return d;
    }

    private EngineDriver driver(EngineConfig config, FakeChatApi api) {
        return driver(config, api, TopicIdentity.UNKNOWN, true);
    }

    /** The test serde, failing as an unreachable registry does while {@link #registryDown} is set. */
    private <T extends SpecificRecord> Serde<T> switchable(Serde<T> serde) {
        Serializer<T> serializer = (topic, value) -> {
            refuseWhileDown();
            return serde.serializer().serialize(topic, value);
        };
        Deserializer<T> deserializer = (topic, bytes) -> {
            refuseWhileDown();
            return serde.deserializer().deserialize(topic, bytes);
        };
        return Serdes.serdeFrom(serializer, deserializer);
    }

    private void refuseWhileDown() {
        if (registryDown.get()) {
            registryRefusals.incrementAndGet();
            throw new SerdeException(SerdeException.Kind.REGISTRY_UNAVAILABLE, "registry down (test)");
        }
    }

    private static byte[] encode(ChatRequest r) {
        return EngineDriver.REQUESTS.serializer().serialize("chat-requests", r);
    }

    private static int sizeOf(ChatDeadLetter dl) {
        return EngineDriver.DEAD_LETTERS.serializer().serialize("chat-dead-letters", dl).length;
    }

    @Test
    void shouldRefuseAnOversizedRequestWithADeadLetterThatFitsTheBudget() {
        // Given a ~900 KB request: 300 KB threadId, 300 KB of metadata and a blank account
        FakeChatApi api = FakeChatApi.echo(Duration.ofMillis(1));
        EngineDriver d = driver(config().build(), api);
        ChatRequest huge = ChatRequest.newBuilder(request("r-huge", "t".repeat(300_000), "hi"))
                .setMetadata(Map.of("blob", "m".repeat(300_000), "more", "n".repeat(300_000)))
                .setAccount(" ")
                .build();
        byte[] value = encode(huge);

        // When it arrives, followed by a normal request
        d.sendRaw("k".getBytes(StandardCharsets.UTF_8), value);
        d.send(request("after", "t-after", "hi"));
        d.awaitOutcomes(2);

        // Then it is one INVALID_REQUEST dead letter within chat.response.max.bytes, and the next request is answered
        assertThat(d.deadLetters).singleElement().satisfies(e -> {
            ChatDeadLetter dl = e.getValue();
            assertThat(dl.getReason()).isEqualTo(DeadLetterReason.INVALID_REQUEST);
            assertThat(dl.getMessage()).contains("threadId is 300000 characters");
            assertThat(sizeOf(dl)).isLessThanOrEqualTo(d.config.maxResponseBytes());
            assertThat(dl.getRawValueSize()).isEqualTo(value.length);
            assertThat(dl.getRawValueSha256()).isEqualTo(Sha256.hex(value));
            assertThat(dl.getOmitted()).contains("request");
            assertThat(e.getKey()).as("no conversation to key it by").isNull();
        });
        assertThat(d.responseIds()).containsExactly("after");
        assertThat(api.calls()).containsExactly("after");
    }

    @Test
    void shouldRefuseRequestsOverTheFieldBudgets() {
        FakeChatApi api = FakeChatApi.echo(Duration.ofMillis(1));
        EngineDriver d = driver(config().build(), api);

        d.send(ChatRequest.newBuilder(request("r-meta", "t1", "hi"))
                .setMetadata(Map.of("k", "v".repeat(20_000)))
                .build());
        d.send(ChatRequest.newBuilder(request("r" + "x".repeat(300), "t2", "hi"))
                .build());
        d.send(ChatRequest.newBuilder(request("r-ctl", "t3", "hi"))
                .setAssistantId("a\u001b[31m")
                .build());
        d.awaitOutcomes(3);

        assertThat(d.deadLetters)
                .extracting(e -> e.getValue().getMessage())
                .satisfiesExactly(
                        m -> assertThat(m)
                                .contains("metadata is 20001 UTF-8 bytes", "chat.request.max.metadata.bytes=16384"),
                        m -> assertThat(m).contains("requestId is 301 characters", "chat.request.max.id.chars=256"),
                        m -> assertThat(m).contains("assistantId contains a control character (U+001B)"));
        assertThat(api.calls()).isEmpty();
    }

    @Test
    void shouldRefuseARequestRecordOverTheRecordBudgetEvenWhenEachFieldIsWithinItsOwn() {
        FakeChatApi api = FakeChatApi.echo(Duration.ofMillis(1));
        EngineDriver d = driver(config().maxRequestBytes(100_000).build(), api);

        d.send(ChatRequest.newBuilder(request("r-big", "t4", "x".repeat(90_000)))
                .setMetadata(Map.of("k", "v".repeat(15_000)))
                .build());
        d.awaitOutcomes(1);

        assertThat(d.deadLetters)
                .singleElement()
                .satisfies(
                        e -> assertThat(e.getValue().getMessage()).contains("more than chat.request.max.bytes=100000"));
        assertThat(d.deadLetters.get(0).getValue().getOmitted())
                .as("the request was too large to keep")
                .contains("request");
        assertThat(api.calls()).isEmpty();
    }

    @Test
    void shouldShrinkAnUndecodableDeadLetterWithHugeRawBytesToTheBudget() {
        FakeChatApi api = FakeChatApi.echo(Duration.ofMillis(1));
        EngineDriver d = driver(config().build(), api);
        byte[] key = new byte[600_000];
        byte[] value = new byte[900_000];
        new SplittableRandom(7).nextBytes(value);
        value[0] = (byte) 0xff;

        d.sendRaw(key, value);
        d.awaitOutcomes(1);

        ChatDeadLetter dl = d.deadLetters.get(0).getValue();
        assertThat(dl.getReason()).isEqualTo(DeadLetterReason.UNDECODABLE_INPUT);
        assertThat(sizeOf(dl)).isLessThanOrEqualTo(d.config.maxResponseBytes());
        assertThat(dl.getRawKeySize()).isEqualTo(600_000);
        assertThat(dl.getRawValueSize()).isEqualTo(900_000);
        assertThat(dl.getRawValueSha256()).isEqualTo(Sha256.hex(value));
        assertThat(dl.getRawKey())
                .as("a key over 4 KiB is reported by size only")
                .isNull();
        assertThat(dl.getSourceOffset()).isZero();
        assertThat(d.deadLetters.get(0).getKey()).isNull();
    }

    @Test
    void shouldShrinkABadRequestDeadLetterWithAMegabyteOfProblemDetails() {
        // Given an API that answers 400 with ~1 MiB of problem details (copied into the message, too, by the client)
        String detail = "d".repeat(400_000);
        ProblemDetails problem = ProblemDetails.newBuilder()
                .setTitle("Bad request")
                .setDetail(detail)
                .setErrors(Map.of("messages", List.of("e".repeat(300_000))))
                .setExtensionsJson("{\"x\":\"" + "x".repeat(300_000) + "\"}")
                .build();
        FakeChatApi api = new FakeChatApi((r, attempt) -> Behaviour.answer(
                new CallOutcome.PermanentFailure(
                        DeadLetterReason.BAD_REQUEST, 400, problem, null, "the API rejected the request: " + detail),
                Duration.ofMillis(1)));
        EngineDriver d = driver(config().build(), api);

        d.send(request("r-400", "t", "hi"));
        d.awaitOutcomes(1);

        ChatDeadLetter dl = d.deadLetters.get(0).getValue();
        assertThat(dl.getReason()).isEqualTo(DeadLetterReason.BAD_REQUEST);
        assertThat(sizeOf(dl)).isLessThanOrEqualTo(d.config.maxResponseBytes());
        assertThat(dl.getMessage())
                .as("the message is cut, never a second copy of the problem")
                .hasSizeLessThan(2_000);
        assertThat(dl.getOmitted())
                .as("raw bytes, then the embedded request, then problem extensions")
                .containsSubsequence("request", "problem.extensionsJson");
        assertThat(dl.getProblem().getTitle()).isEqualTo("Bad request");
        assertThat(dl.getRequestId()).isEqualTo("r-400");
    }

    @Test
    void shouldLetAnInvalidRequestWaitBehindItsConversationsPendingEntries() {
        // Given r1 of conversation t1 in flight
        FakeChatApi api = new FakeChatApi((r, attempt) -> Behaviour.hold(FakeChatApi.success(r.getRequestId())));
        EngineDriver d = driver(config().build(), api);
        d.send(request("r1", "t1", "first"));
        d.tick();

        // When r2 of t1 has no messages
        d.send(ChatRequest.newBuilder(request("r2", "t1", "x"))
                .setMessages(List.of())
                .build());
        for (int i = 0; i < 5; i++) {
            d.tick();
        }

        // Then nothing is published before r1's outcome, and then r1's response comes before r2's dead letter
        assertThat(d.outcomes()).as("outcomes while r1 is in flight").isZero();
        api.releaseHeld();
        d.awaitOutcomes(2);
        assertThat(d.responseIds()).containsExactly("r1");
        assertThat(d.deadLetters)
                .singleElement()
                .satisfies(e -> assertThat(e.getValue().getRequestId()).isEqualTo("r2"))
                .satisfies(e -> assertThat(e.getKey()).isEqualTo("t1"));
        assertThat(d.responses.get(0).getValue().getCompletedAt())
                .isBeforeOrEqualTo(d.deadLetters.get(0).getValue().getFailedAt());
    }

    @Test
    void shouldSkipReplayedInputUnderAtLeastOnceInsteadOfStoppingOrReordering() {
        // Given r1 answered and r2 pending, under at-least-once, and the offsets not committed
        FakeChatApi first = new FakeChatApi((r, attempt) -> r.getRequestId().equals("r2")
                ? Behaviour.hold(FakeChatApi.success("r2"))
                : Behaviour.answer(FakeChatApi.success("r1"), Duration.ofMillis(1)));
        EngineDriver d1 = driver(config().build(), first, TopicIdentity.UNKNOWN, false);
        d1.send(request("r1", "t1", "one"));
        d1.awaitOutcomes(1);
        d1.send(request("r2", "t1", "two"));
        d1.tick();
        d1.close();

        // When the same input is read again from offset 0 (a replay after a crash)
        FakeChatApi second = FakeChatApi.echo(Duration.ofMillis(1));
        EngineDriver d2 = driver(config().build(), second, TopicIdentity.UNKNOWN, false);
        d2.send(request("r1", "t1", "one"));
        d2.send(request("r2", "t1", "two"));
        d2.awaitOutcomes(1);
        for (int i = 0; i < 10; i++) {
            d2.tick();
        }

        // Then r1 is not accepted again, r2 is answered once, from the pending table, and the task keeps running
        assertThat(d2.responseIds()).containsExactly("r2");
        assertThat(second.calls()).containsExactly("r2");
        assertThat(disk.size()).isZero();
    }

    @Test
    void shouldResetTheHighWaterMarkWhenTheInputTopicWasCreatedAgain() {
        // Given two requests accepted and answered from a topic with id A
        FakeChatApi api1 = FakeChatApi.echo(Duration.ofMillis(1));
        EngineDriver d1 = driver(config().build(), api1, topic -> Optional.of("id-A"), true);
        d1.send(request("r1", "t1", "one"));
        d1.send(request("r2", "t2", "two"));
        d1.awaitOutcomes(2);
        d1.close();

        // When the topic is deleted and created again (new id B, offsets from 0) with the state kept
        FakeChatApi api2 = FakeChatApi.echo(Duration.ofMillis(1));
        EngineDriver d2 = driver(config().build(), api2, topic -> Optional.of("id-B"), true);
        d2.send(request("n1", "t1", "new one"));
        d2.send(request("n2", "t2", "new two"));
        d2.awaitOutcomes(2);

        // Then the new records are answered, not skipped as replays
        assertThat(d2.responseIds()).containsExactly("n1", "n2");
    }

    @Test
    void shouldNotAnswerTheSameOffsetsAgainWhenTheTopicIdIsUnchanged() {
        FakeChatApi api1 = FakeChatApi.echo(Duration.ofMillis(1));
        EngineDriver d1 = driver(config().build(), api1, topic -> Optional.of("id-A"), false);
        d1.send(request("r1", "t1", "one"));
        d1.awaitOutcomes(1);
        d1.close();

        FakeChatApi api2 = FakeChatApi.echo(Duration.ofMillis(1));
        EngineDriver d2 = driver(config().build(), api2, topic -> Optional.of("id-A"), false);
        d2.send(request("r1", "t1", "one"));
        d2.send(request("r2", "t1", "two"));
        d2.awaitOutcomes(1);

        assertThat(d2.responseIds()).containsExactly("r2");
    }

    @Test
    void shouldKeepPendingRequestsAsTheProducersBytesAndReadThemBackOnlyWhenDispatched() {
        FakeChatApi api = new FakeChatApi((r, attempt) -> Behaviour.hold(FakeChatApi.success(r.getRequestId())));
        EngineDriver d = driver(config().build(), api);
        byte[] value = encode(request("r1", "t1", "hi"));

        d.sendRaw("t1".getBytes(StandardCharsets.UTF_8), value);
        d.tick();

        KeyValueStore<Bytes, byte[]> store = d.driver.getKeyValueStore(ChatBridgeTopology.PENDING_STORE);
        PendingEntry entry = PendingEntry.fromBytes(store.get(PendingKey.of("t1", 0)));
        assertThat(entry.value())
                .as("the stored request is the input's own bytes")
                .isEqualTo(value);
    }

    @Test
    void shouldWaitForTheRegistryOnRestartWithPendingEntriesInsteadOfStopping() {
        // Given a request pending when the instance stops
        FakeChatApi first = new FakeChatApi((r, attempt) -> Behaviour.hold(FakeChatApi.success(r.getRequestId())));
        EngineDriver d1 = driver(config().build(), first);
        d1.send(request("r1", "t1", "one"));
        d1.tick();
        d1.close();

        // When it restarts while the registry is down, and input arrives meanwhile
        registryDown.set(true);
        FakeChatApi second = FakeChatApi.echo(Duration.ofMillis(1));
        EngineDriver d2 = driver(config().build(), second);
        d2.send(request("r1", "t1", "one")); // offset 0 again: the replay of r1, skipped
        d2.send(request("r2", "t1", "two"));
        d2.send(request("r3", "t9", "three"));
        d2.sendRaw("k".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xff});
        for (int i = 0; i < 10; i++) {
            d2.tick();
        }

        // Then nothing is published, nothing fails, readiness says the registry is awaited
        assertThat(d2.outcomes()).isZero();
        assertThat(registryRefusals.get()).isPositive();
        assertThat(d2.resources.registryWait().isWaiting()).isTrue();
        assertThat(second.calls()).isEmpty();

        // And when the registry answers again, everything comes out once, in conversation order
        registryDown.set(false);
        d2.awaitOutcomes(4);
        assertThat(d2.responseIds()).containsExactly("r1", "r2", "r3");
        assertThat(d2.deadLetters)
                .singleElement()
                .satisfies(e -> assertThat(e.getValue().getReason()).isEqualTo(DeadLetterReason.UNDECODABLE_INPUT));
        assertThat(second.calls()).containsExactly("r1", "r2", "r3");
        assertThat(d2.resources.registryWait().isWaiting()).isFalse();
        assertThat(disk.size()).isZero();
    }

    @Test
    void shouldKeepAnAnswerThatCannotBeSerializedYetAndPublishItWhenTheRegistryAnswers() {
        FakeChatApi api = new FakeChatApi((r, attempt) -> Behaviour.hold(FakeChatApi.success(r.getRequestId())));
        EngineDriver d = driver(config().build(), api);
        d.send(request("r1", "t1", "one"));
        d.tick();

        registryDown.set(true);
        api.releaseHeld();
        for (int i = 0; i < 10; i++) {
            d.tick();
        }
        assertThat(d.outcomes()).isZero();
        assertThat(d.resources.unforwardedCompletions())
                .as("the answer is kept, counted as not forwarded")
                .isOne();

        registryDown.set(false);
        d.awaitOutcomes(1);
        assertThat(d.responseIds()).containsExactly("r1");
        assertThat(api.calls()).as("not called again").containsExactly("r1");
        assertThat(d.resources.unforwardedCompletions()).isZero();
    }

    @Test
    void shouldStillForwardAnOutcomeWhenAMetricsHookThrows() {
        FakeChatApi api = FakeChatApi.echo(Duration.ofMillis(1));
        EngineMetrics throwing = new EngineMetrics() {
            @Override
            public void callEnded(CallOutcome outcome, Duration duration) {
                throw new IllegalStateException("hook failure (test)");
            }
        };
        EngineConfig config = config().build();
        toClose.add(api);
        EngineDriver d = new EngineDriver(
                config,
                api,
                stateDir,
                true,
                disk,
                Topics.of(config, EngineDriver.REQUESTS, EngineDriver.RESPONSES, EngineDriver.DEAD_LETTERS),
                TopicIdentity.UNKNOWN,
                throwing);
        toClose.add(d);

        d.send(request("r1", "t1", "one"));
        d.send(request("r2", "t1", "two"));
        d.awaitOutcomes(2);

        assertThat(d.responseIds()).containsExactly("r1", "r2");
        assertThat(d.resources.limiter().inUse()).isZero();
    }

    @Test
    void shouldGiveBackItsLimiterPlaceAndPendingShareWhenInitFails() {
        // Given a pending table holding one good entry and then one of an unknown format
        EngineConfig config = config().build();
        EngineResources resources = new EngineResources(config, Clock.systemUTC());
        FakeChatApi api = FakeChatApi.echo(Duration.ofMillis(1));
        toClose.add(api);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "poison-test");
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
        byte[] good = encode(request("r1", "t1", "hi"));
        store.put(
                PendingKey.of("t1", 0),
                PendingEntry.request(InputFacts.of(0, 0, null, good), good).toBytes());
        store.put(PendingKey.of("t2", 1), new byte[] {9, 9, 9});
        AsyncChatProcessor processor = new AsyncChatProcessor(
                config,
                ChatBridgeTopology.PENDING_STORE,
                api,
                resources,
                Clock.systemUTC(),
                Topics.of(config, EngineDriver.REQUESTS, EngineDriver.RESPONSES, EngineDriver.DEAD_LETTERS));

        // When init() fails on it (Kafka Streams then never calls close())
        assertThatThrownBy(() -> processor.init(context)).hasMessageContaining("unknown format version 9");

        // Then nothing of the instance stays held: no pending count, no place in the limiter's queue
        assertThat(resources.pending().get())
                .as("pending count after the failed init")
                .isZero();
        assertThat(resources.limiter().waiting())
                .as("tasks waiting for permits")
                .isZero();
        assertThat(context.scheduledPunctuators())
                .as("punctuators left scheduled")
                .isEmpty();
    }
}
