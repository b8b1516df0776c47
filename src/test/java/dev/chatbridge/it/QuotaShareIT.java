package dev.chatbridge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.devtools.simulator.CallTiming;
import dev.chatbridge.devtools.simulator.LatencyModel;
import dev.chatbridge.devtools.simulator.SimulatorConfig;
import dev.chatbridge.engine.EngineConfig;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.testing.KafkaCluster;
import dev.chatbridge.testing.WithKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three instances share an API quota of 60 requests/s on a 12-partition input, each enforcing quota x owned / all
 * partitions; the API refuses (429) above 60/s. Then one instance stops and the two others take over its share.
 */
@WithKafka
class QuotaShareIT {

    private static final int QUOTA = 60;
    private static final int PARTITIONS = 12;
    private static final int THREADS = 600;
    private static final int TURNS = 4;
    private static final int WINDOWS = 8;
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldKeepTheDeploymentWithinTheQuotaWithoutRefusalsAndRebalanceTheShares(KafkaCluster kafka)
            throws Exception {
        // Given an API allowing 60 requests/s (and answering in 200 ms), and three instances sharing that quota
        SimulatorConfig.Builder sim = SimulatorConfig.builder()
                .latency(LatencyModel.fixed(Duration.ofMillis(200)))
                .chunks(1)
                .maxRequestsPerSecond(QUOTA)
                .callTimings(50_000);
        try (ItFixture fx = ItFixture.start(kafka, sim, PARTITIONS);
                OutcomeReader reader = new OutcomeReader(fx)) {
            EngineConfig engine =
                    fx.engine().maxInFlight(32).quotaRequestsPerSecond(QUOTA).build();
            List<ChatBridgeApp> apps = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                apps.add(fx.startApp(engine));
            }
            awaitTasks(apps, PARTITIONS / 3);

            // When 2,400 requests arrive (40 s of the quota)
            List<ChatRequest> input =
                    ItFixture.conversations("quota", THREADS, TURNS, (thread, turn) -> "Turn " + turn);
            List<String> ids = input.stream().map(ChatRequest::getRequestId).toList();
            long produced = System.nanoTime();
            fx.produce(input);
            double sharesOfThree =
                    apps.stream().mapToDouble(a -> a.resources().quotaShare()).sum();

            // Then, after 2 s of warm-up, every 1 s window at the API holds the quota within 5 %
            long threeFrom = produced + 2 * SECOND;
            awaitClock(threeFrom + WINDOWS * SECOND);
            List<CallTiming> sofar = new ArrayList<>(fx.simulator.drainCallTimings());

            // When one instance stops (gracefully)
            ChatBridgeApp leaving = apps.remove(2);
            long stopping = System.nanoTime();
            leaving.close();
            awaitTasks(apps, PARTITIONS / 2);
            long takenOver = System.nanoTime();
            double sharesOfTwo =
                    apps.stream().mapToDouble(a -> a.resources().quotaShare()).sum();
            double rateOfOne = apps.get(0).resources().rateShare();

            // Then the two others hold the whole quota again from the first whole window after the rebalance
            long twoFrom = takenOver + SECOND;
            awaitClock(twoFrom + WINDOWS * SECOND);
            sofar.addAll(fx.simulator.drainCallTimings());

            assertThat(reader.awaitAll(ids, Duration.ofSeconds(120)))
                    .as("all outcomes (seen %d of %d)", reader.distinctSeen(), ids.size())
                    .isTrue();
            for (ChatBridgeApp app : apps) {
                app.close();
            }
            reader.readToEnd(Duration.ofSeconds(30));
            sofar.addAll(fx.simulator.drainCallTimings());

            int[] three = windows(sofar, threeFrom);
            int[] two = windows(sofar, twoFrom);
            long refusals =
                    sofar.stream().filter(t -> "429".equals(t.outcome())).count();
            System.out.printf(
                    "IT-FIGURES QuotaShareIT: calls/s per 1 s window, three instances %s, two instances %s; "
                            + "429s %d; shares %.3f then %.3f; rate of a survivor %.1f/s; stop to takeover %d ms%n",
                    Arrays.toString(three),
                    Arrays.toString(two),
                    refusals,
                    sharesOfThree,
                    sharesOfTwo,
                    rateOfOne,
                    TimeUnit.NANOSECONDS.toMillis(takenOver - stopping));

            assertThat(refusals).as("429s at the API").isZero();
            assertThat(sharesOfThree).as("shares of three instances").isEqualTo(1.0);
            assertThat(sharesOfTwo).as("shares of the two left").isEqualTo(1.0);
            assertThat(rateOfOne).isEqualTo(QUOTA / 2.0);
            assertThat(Arrays.stream(three).boxed().toList())
                    .as("calls per 1 s window, three instances")
                    .allSatisfy(n -> assertThat(n).isBetween(57, 63));
            assertThat(Arrays.stream(two).boxed().toList())
                    .as("calls per 1 s window, two instances after the rebalance")
                    .allSatisfy(n -> assertThat(n).isBetween(57, 63));
            Invariants.assertExactlyOneOutcomeEach(input, reader.outcomes());
            Invariants.assertOutcomeOrderPerThread(input, reader.outcomes());
            Invariants.assertApiOrderPerThread(input, fx.simulator);
            assertThat(reader.outcomes())
                    .allSatisfy(o -> assertThat(o.isResponse()).isTrue());
        }
    }

    /** Calls arriving at the API in each of {@value #WINDOWS} 1 s windows from {@code from}. */
    private static int[] windows(List<CallTiming> timings, long from) {
        int[] counts = new int[WINDOWS];
        for (CallTiming t : timings) {
            long offset = t.startNanos() - from;
            if (offset >= 0 && offset < WINDOWS * SECOND) {
                counts[(int) (offset / SECOND)]++;
            }
        }
        return counts;
    }

    /** Lets the measured windows pass (they are measured at the API afterwards). */
    private static void awaitClock(long nanoTime) {
        await("the measured windows")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> System.nanoTime() - nanoTime >= 0);
    }

    private static void awaitTasks(List<ChatBridgeApp> apps, int tasksEach) {
        await("each instance RUNNING with " + tasksEach + " tasks")
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> apps.stream()
                        .allMatch(a -> a.streams().state() == KafkaStreams.State.RUNNING
                                && a.streams().metadataForLocalThreads().stream()
                                                .mapToInt(t -> t.activeTasks().size())
                                                .sum()
                                        == tasksEach));
    }
}
