package dev.chatbridge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.devtools.simulator.LatencyModel;
import dev.chatbridge.devtools.simulator.SimulatorConfig;
import dev.chatbridge.engine.EngineConfig;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.testing.KafkaCluster;
import dev.chatbridge.testing.WithKafka;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An API taking 2 s per answer: the pending bound holds, the backlog shows as consumer lag, and the instance stays
 * RUNNING (never evicted from its group nor fenced) while it waits.
 */
@WithKafka
class SlowApiIT {

    private static final int MAX_PENDING = 20;
    private static final int MAX_IN_FLIGHT = 10;
    private static final int THREADS = 50;
    private static final int TURNS = 3;
    private static final int BATCHES = 5;

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldKeepPendingBoundedShowLagAndStayRunningWhenTheApiIsSlow(KafkaCluster kafka) throws Exception {
        // Given an API answering in 2 s and an instance with at most 20 pending and 10 in flight
        SimulatorConfig.Builder sim = SimulatorConfig.builder()
                .latency(LatencyModel.fixed(Duration.ofSeconds(2)))
                .chunks(2)
                .chunkInterval(Duration.ofMillis(5));
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        try (ItFixture fx = ItFixture.start(kafka, sim, 2);
                OutcomeReader reader = new OutcomeReader(fx)) {
            EngineConfig engine = fx.engine()
                    .maxInFlight(MAX_IN_FLIGHT)
                    .maxPending(MAX_PENDING)
                    .build();
            ChatBridgeApp app = fx.createApp(engine);
            List<String> badTransitions = new CopyOnWriteArrayList<>();
            AtomicBoolean running = new AtomicBoolean();
            AtomicBoolean closing = new AtomicBoolean();
            app.onStateChange((now, before) -> {
                if (now == KafkaStreams.State.RUNNING) {
                    running.set(true);
                } else if (running.get() && !closing.get()) {
                    badTransitions.add(before + "->" + now);
                }
            });
            long start = System.nanoTime();
            app.start();
            await("RUNNING").atMost(Duration.ofSeconds(60)).untilTrue(running);
            AtomicInteger pendingMax = new AtomicInteger();
            AtomicLong lagMax = new AtomicLong();
            AtomicLong lastLag = new AtomicLong();
            List<Long> lagAtBatch = new CopyOnWriteArrayList<>();
            List<String> samplingErrors = new CopyOnWriteArrayList<>();
            sampler.scheduleAtFixedRate(
                    () -> {
                        try {
                            pendingMax.accumulateAndGet(
                                    app.resources().pending().get(), Math::max);
                            long lag = lag(kafka.adminClient(), fx);
                            lastLag.set(lag);
                            lagMax.accumulateAndGet(lag, Math::max);
                        } catch (Exception e) {
                            samplingErrors.add(e.toString());
                        }
                    },
                    0,
                    100,
                    TimeUnit.MILLISECONDS);

            // When 150 requests of 50 threads arrive in 5 batches, 2 s apart, while answers trickle in
            List<ChatRequest> input = ItFixture.conversations(
                    "slow", THREADS, TURNS, (thread, turn) -> "Turn " + turn + " of thread " + thread);
            int perBatch = input.size() / BATCHES;
            for (int b = 0; b < BATCHES; b++) {
                fx.produce(input.subList(b * perBatch, (b + 1) * perBatch));
                await().pollDelay(Duration.ofSeconds(2))
                        .atMost(Duration.ofSeconds(3))
                        .until(() -> true);
                lagAtBatch.add(lastLag.get());
            }

            // Then everything is answered, exactly once, in thread order
            List<String> ids = input.stream().map(ChatRequest::getRequestId).toList();
            assertThat(reader.awaitAll(ids, Duration.ofSeconds(100)))
                    .as("all outcomes (seen %d of %d)", reader.distinctSeen(), ids.size())
                    .isTrue();
            await("lag back to zero").atMost(Duration.ofSeconds(10)).until(() -> lag(kafka.adminClient(), fx) == 0);
            sampler.shutdown();
            assertThat(sampler.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
            Invariants.printFigures(
                    "SlowApiIT",
                    input.size(),
                    start,
                    fx.simulator,
                    "maxPending=" + MAX_PENDING
                            + " pendingMax=" + pendingMax + " lagMax=" + lagMax + " lagAtBatches=" + lagAtBatch
                            + " maxInFlight=" + MAX_IN_FLIGHT + " transitions=" + badTransitions);
            closing.set(true);
            app.close();
            reader.readToEnd(Duration.ofSeconds(30));
            Invariants.assertAll(input, reader.outcomes(), fx.simulator, MAX_IN_FLIGHT);

            // the pending bound held (one stream thread: no overshoot while the wait budget lasts),
            assertThat(samplingErrors).isEmpty();
            assertThat(pendingMax.get()).as("most pending requests seen").isLessThanOrEqualTo(MAX_PENDING);
            // the backlog was consumer lag, growing while answers came in,
            assertThat(lagAtBatch.get(BATCHES - 1))
                    .as("lag after the last batch vs after the first")
                    .isGreaterThan(lagAtBatch.get(0));
            assertThat(lagMax.get()).as("largest lag").isGreaterThanOrEqualTo(input.size() / 2);
            // and the instance never left RUNNING
            assertThat(badTransitions)
                    .as("state transitions after the first RUNNING")
                    .isEmpty();
        } finally {
            sampler.shutdownNow();
        }
    }

    /** Records of the input topic not yet committed by the app's group. */
    private static long lag(Admin admin, ItFixture fx) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < fx.partitions; p++) {
            latest.put(new TopicPartition(fx.requests, p), OffsetSpec.latest());
        }
        var ends = admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(fx.applicationId)
                .partitionsToOffsetAndMetadata()
                .get(10, TimeUnit.SECONDS);
        long lag = 0;
        for (var e : ends.entrySet()) {
            OffsetAndMetadata c = committed.get(e.getKey());
            lag += e.getValue().offset() - (c == null ? 0 : c.offset());
        }
        return lag;
    }
}
