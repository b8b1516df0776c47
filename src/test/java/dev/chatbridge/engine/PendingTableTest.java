package dev.chatbridge.engine;

import static dev.chatbridge.engine.EngineDriver.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chatbridge.api.CallOutcome;
import dev.chatbridge.api.RetryPolicy;
import dev.chatbridge.engine.FakeChatApi.Behaviour;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pending table as the source of truth: requests survive their task and are re-dispatched by the next one (a
 * {@link SurvivingStoreSupplier} plays the disk, because TopologyTestDriver wipes its state directory on close); and
 * backpressure waits, bounded.
 */
@Timeout(60)
class PendingTableTest {

    @TempDir
    Path stateDir;

    private final SurvivingStoreSupplier disk = new SurvivingStoreSupplier(ChatBridgeTopology.PENDING_STORE);

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private EngineDriver open(EngineConfig config, FakeChatApi api) {
        toClose.add(api);
        EngineDriver d = new EngineDriver(config, api, stateDir, true, disk);
        toClose.add(d);
        return d;
    }

    private static EngineConfig.Builder config() {
        return EngineConfig.builder()
                .retryPolicy(new RetryPolicy(
                        3,
                        Duration.ofMillis(5),
                        Duration.ofMillis(20),
                        Duration.ofSeconds(5),
                        Duration.ofSeconds(30),
                        new SplittableRandom(7)));
    }

    @Test
    void shouldRedispatchPendingAndInFlightRequestsAfterReopeningTheStateAndEmitExactlyOneOutcomeEach() {
        // Given two calls in flight (t1's first request, t2's request) and t1's second request waiting
        FakeChatApi neverAnswers = new FakeChatApi((r, attempt) -> Behaviour.hold(FakeChatApi.success("late")));
        EngineDriver first = open(config().build(), neverAnswers);
        first.send(request("r1", "t1", "a"));
        first.send(request("r2", "t1", "b"));
        first.send(request("r3", "t2", "c"));
        assertThat(neverAnswers.calls()).containsExactly("r1", "r3");

        // When the task closes: in-flight calls are cancelled and late completions dropped
        first.close();
        assertThat(neverAnswers.cancellations()).isEqualTo(2);
        assertThat(first.resources.limiter().inUse())
                .as("permits held after close")
                .isZero();
        assertThat(first.resources.pending().get())
                .as("pending counted after close")
                .isZero();
        neverAnswers.releaseHeld();
        first.collect();
        assertThat(first.outcomes()).isZero();
        assertThat(first.resources.unforwardedCompletions())
                .as("late completions counted as waiting")
                .isZero();

        // And a new driver opens the state that survived
        FakeChatApi api = FakeChatApi.echo(Duration.ofMillis(1));
        EngineDriver second = open(config().build(), api);
        second.awaitOutcomes(3);
        for (int i = 0; i < 10; i++) {
            second.tick();
        }

        // Then each request is answered exactly once, t1 in input order, and the table is empty
        assertThat(second.responseIds()).containsExactlyInAnyOrder("r1", "r2", "r3");
        assertThat(second.responseIds()).filteredOn(id -> !id.equals("r3")).containsExactly("r1", "r2");
        assertThat(api.calls()).containsExactlyInAnyOrder("r1", "r2", "r3");
        assertThat(disk.size()).as("entries left in the pending table").isZero();
    }

    @Test
    void shouldKeepTheAttemptCountOfAScheduledRetryAcrossAReopen() {
        // Given a request whose first call failed and whose retry waits for Retry-After
        FakeChatApi failing = new FakeChatApi((r, attempt) -> Behaviour.answer(
                new CallOutcome.RetriableFailure(429, Duration.ofSeconds(1), null, "429"), Duration.ofMillis(1)));
        EngineDriver first = open(config().build(), failing);
        first.send(request("r", "t", "a"));
        await().atMost(Duration.ofSeconds(10))
                .pollInSameThread()
                .pollInterval(Duration.ofMillis(5))
                .until(() -> {
                    first.tick();
                    return entries(first).stream().anyMatch(kv -> kv.value.attempts() == 1);
                });
        first.close();

        // When the state is reopened against a healthy API
        FakeChatApi api = FakeChatApi.echo(Duration.ofMillis(1));
        EngineDriver second = open(config().build(), api);
        second.awaitOutcomes(1);

        // Then the answer counts both calls
        assertThat(second.responses.get(0).getValue().getAttempts()).isEqualTo(2);
        assertThat(failing.calls()).containsExactly("r");
        assertThat(api.calls()).containsExactly("r");
    }

    @Test
    void shouldWaitForRoomWhenPendingIsFullAndAcceptAfterTheBoundedWait() {
        // Given room for two pending requests, both in flight and never answered
        FakeChatApi held = new FakeChatApi((r, attempt) -> Behaviour.hold(FakeChatApi.success("ok")));
        EngineDriver d = open(
                config().maxInFlight(2)
                        .maxPending(2)
                        .backpressureMaxWait(Duration.ofMillis(300))
                        .build(),
                held);
        d.send(request("r1", "t1", "a"));
        d.send(request("r2", "t2", "b"));

        // When a third arrives, it waits the bounded time, then is accepted
        long start = System.nanoTime();
        d.send(request("r3", "t3", "c"));
        long waitedMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(waitedMs).as("ms the stream thread waited for room").isBetween(250L, 5_000L);
        assertThat(d.resources.pending().get()).isEqualTo(3);

        // And until the next punctuation the stream thread's budget is spent: no second wait
        start = System.nanoTime();
        d.send(request("r4", "t4", "d"));
        assertThat((System.nanoTime() - start) / 1_000_000)
                .as("ms waited with the budget spent")
                .isLessThan(250L);

        // Then everything is answered once the API answers
        held.script((r, attempt) -> Behaviour.answer(FakeChatApi.success("ok"), Duration.ofMillis(1)));
        held.releaseHeld();
        d.awaitOutcomes(4);
        assertThat(d.responseIds()).containsExactlyInAnyOrder("r1", "r2", "r3", "r4");
    }

    @Test
    void shouldAcceptAsSoonAsACompletionMakesRoomKeepingPendingWithinTheBound() throws InterruptedException {
        // Given room for two pending requests, calls held until released, and a wait budget far beyond the test's
        FakeChatApi api = FakeChatApi.holding();
        EngineDriver d = open(
                config().maxInFlight(2)
                        .maxPending(2)
                        .backpressureMaxWait(Duration.ofSeconds(30))
                        .build(),
                api);
        Thread streamThread = Thread.currentThread();
        int highest = 0;

        for (int i = 0; i < 12; i++) {
            // When the table is full, the oldest call completes on another thread while the stream thread waits
            Thread netty = null;
            if (i >= 2) {
                netty = new Thread(
                        () -> {
                            await().atMost(Duration.ofSeconds(10))
                                    .pollInterval(Duration.ofMillis(1))
                                    .until(() -> streamThread.getState() == Thread.State.TIMED_WAITING);
                            api.releaseOldest();
                        },
                        "netty-like");
                netty.start();
            }
            long start = System.nanoTime();
            d.send(request("r" + i, "t" + i, "x"));
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            highest = Math.max(highest, d.resources.pending().get());
            if (netty != null) {
                netty.join(10_000);
                // Then the request was accepted when that completion made room, not when the budget ran out
                assertThat(waitedMs).as("ms r%d waited for room", i).isLessThan(10_000L);
            }
        }
        api.releaseHeld();
        d.awaitOutcomes(12);

        assertThat(highest)
                .as("most pending requests seen right after accepting one")
                .isLessThanOrEqualTo(2);
        assertThat(api.peak()).isLessThanOrEqualTo(2);
        assertThat(d.responses).hasSize(12);
    }

    private static List<KeyValue<Bytes, PendingEntry>> entries(EngineDriver d) {
        KeyValueStore<Bytes, byte[]> store = d.driver.getKeyValueStore(ChatBridgeTopology.PENDING_STORE);
        List<KeyValue<Bytes, PendingEntry>> all = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
            it.forEachRemaining(kv -> {
                if (!kv.key.equals(HighWaterMark.KEY)) {
                    all.add(KeyValue.pair(kv.key, PendingEntry.fromBytes(kv.value)));
                }
            });
        }
        return all;
    }
}
