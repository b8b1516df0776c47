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
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A second instance joins mid-load and later leaves; tasks and their pending requests move twice. */
@WithKafka
class RebalanceIT {

    private static final int THREADS = 60;
    private static final int TURNS = 10;
    private static final int MAX_IN_FLIGHT = 8;

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldEmitExactlyOneOutcomePerRequestInOrderWhenAnInstanceJoinsAndLeavesMidLoad(KafkaCluster kafka)
            throws Exception {
        // Given 600 requests of 60 threads on 4 partitions, an API answering in about 150 ms, one instance
        SimulatorConfig.Builder sim = SimulatorConfig.builder()
                .latency(LatencyModel.logNormal(Duration.ofMillis(150), Duration.ofMillis(500)))
                .chunks(2)
                .chunkInterval(Duration.ofMillis(5));
        try (ItFixture fx = ItFixture.start(kafka, sim, 4);
                OutcomeReader reader = new OutcomeReader(fx)) {
            EngineConfig engine = fx.engine().maxInFlight(MAX_IN_FLIGHT).build();
            List<ChatRequest> input = ItFixture.conversations(
                    "rebalance", THREADS, TURNS, (thread, turn) -> "Turn " + turn + " of thread " + thread);
            List<String> ids = input.stream().map(ChatRequest::getRequestId).toList();
            long start = System.nanoTime();
            ChatBridgeApp first = fx.startApp(engine);
            fx.produce(input);
            assertThat(reader.awaitAll(ids.subList(0, 1), Duration.ofSeconds(60)))
                    .as("first outcome")
                    .isTrue();

            // When a second instance joins after a fifth of the outcomes
            awaitOutcomes(reader, ids, input.size() / 5);
            int atJoin = reader.distinctSeen();
            long joining = System.nanoTime();
            ChatBridgeApp second = fx.startApp(engine);
            await("the second instance gets tasks")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> second.streams().state() == KafkaStreams.State.RUNNING
                            && !second.streams()
                                    .metadataForLocalThreads()
                                    .iterator()
                                    .next()
                                    .activeTasks()
                                    .isEmpty());
            long joinedAt = System.nanoTime();

            // and leaves (graceful close) after three fifths
            awaitOutcomes(reader, ids, 3 * input.size() / 5);
            int atLeave = reader.distinctSeen();
            int secondPeak = second.resources().limiter().peak();
            second.close();
            long left = System.nanoTime();
            // A graceful close leaves the group at once, so its tasks need not wait for the session timeout
            int members = kafka.adminClient()
                    .describeConsumerGroups(List.of(fx.applicationId))
                    .describedGroups()
                    .get(fx.applicationId)
                    .get(30, TimeUnit.SECONDS)
                    .members()
                    .size();
            assertThat(members)
                    .as("group members right after the second instance's graceful close")
                    .isEqualTo(1);

            // Then all outcomes arrive, exactly once each and in thread order
            assertThat(reader.awaitAll(ids, Duration.ofSeconds(90)))
                    .as("all outcomes (seen %d of %d)", reader.distinctSeen(), ids.size())
                    .isTrue();
            Invariants.printFigures(
                    "RebalanceIT",
                    input.size(),
                    start,
                    fx.simulator,
                    "outcomesAtJoin=" + atJoin
                            + " outcomesAtLeave=" + atLeave + " joinToTasksMs="
                            + TimeUnit.NANOSECONDS.toMillis(joinedAt - joining)
                            + " leaveToDoneMs=" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - left)
                            + " limiterPeaks=" + first.resources().limiter().peak() + "," + secondPeak);
            first.close();
            reader.readToEnd(Duration.ofSeconds(30));

            Invariants.assertExactlyOneOutcomeEach(input, reader.outcomes());
            Invariants.assertOutcomeOrderPerThread(input, reader.outcomes());
            Invariants.assertApiOrderPerThread(input, fx.simulator);
            // each instance keeps its own limit; together at most twice the limit
            assertThat(first.resources().limiter().peak()).isLessThanOrEqualTo(MAX_IN_FLIGHT);
            assertThat(secondPeak).isLessThanOrEqualTo(MAX_IN_FLIGHT);
            Invariants.assertConcurrency(fx.simulator, 2 * MAX_IN_FLIGHT, false);
            assertThat(reader.outcomes())
                    .allSatisfy(o -> assertThat(o.isResponse()).isTrue());
        }
    }

    private static void awaitOutcomes(OutcomeReader reader, List<String> ids, int count) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (reader.distinctSeen() < count && System.nanoTime() - deadline < 0) {
            reader.awaitAll(ids, Duration.ofMillis(200));
        }
        assertThat(reader.distinctSeen()).as("outcomes seen").isGreaterThanOrEqualTo(count);
    }
}
