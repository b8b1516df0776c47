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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Metric;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a conversation's turns cost now that each waits for the previous outcome's commit, and what an idle instance
 * costs: no commits at all.
 */
@WithKafka
class IdleAndTurnsIT {

    private static final int TURNS = 20;

    /** Kafka Streams' commits so far (commit-total of every stream thread: rounds that committed something). */
    private static double commits(ChatBridgeApp app) {
        return app.streams().metrics().entrySet().stream()
                .filter(e -> e.getKey().name().equals("commit-total")
                        && e.getKey().group().equals("stream-thread-metrics"))
                .map(Map.Entry::getValue)
                .map(Metric::metricValue)
                .mapToDouble(v -> ((Number) v).doubleValue())
                .sum();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldCallEachTurnAfterThePreviousCommitsAndCommitNothingWhileIdle(KafkaCluster kafka) {
        // Given an API that answers in 5 ms and one conversation of 20 turns, all produced at once
        SimulatorConfig.Builder sim = SimulatorConfig.builder()
                .latency(LatencyModel.fixed(Duration.ofMillis(5)))
                .chunks(1)
                .chunkInterval(Duration.ofMillis(1));
        try (ItFixture fx = ItFixture.start(kafka, sim, 1);
                OutcomeReader reader = new OutcomeReader(fx)) {
            EngineConfig engine = fx.engine().maxInFlight(8).build();
            ChatBridgeApp app = fx.startApp(engine);
            List<ChatRequest> warmUp = ItFixture.conversations("warm", 4, 1, (thread, turn) -> "warm " + thread);
            fx.produce(warmUp);
            assertThat(reader.awaitAll(
                            warmUp.stream().map(ChatRequest::getRequestId).toList(), Duration.ofSeconds(60)))
                    .isTrue();

            // When the conversation's turns are produced
            List<ChatRequest> input = ItFixture.conversations("turns", 1, TURNS, (thread, turn) -> "Turn " + turn);
            long start = System.nanoTime();
            fx.produce(input);
            assertThat(reader.awaitAll(
                            input.stream().map(ChatRequest::getRequestId).toList(), Duration.ofSeconds(60)))
                    .as("all turns answered (seen %d)", reader.distinctSeen())
                    .isTrue();
            long perTurnMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) / TURNS;

            // Then they reached the API in order, one at a time
            Invariants.assertApiOrderPerThread(input, fx.simulator);

            // And once everything is committed, an idle instance commits nothing more
            await("the last outcome committed")
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> app.resources().pending().get() == 0);
            double[] last = {-1};
            await("commits settled (two polls 500 ms apart agree)")
                    .atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        double now = commits(app);
                        boolean settled = now == last[0];
                        last[0] = now;
                        return settled;
                    });
            double idleStart = commits(app);
            long idleFrom = System.nanoTime();
            await("3 s without a commit")
                    .during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> commits(app) == idleStart);
            double idleSeconds = (System.nanoTime() - idleFrom) / 1e9;
            System.out.printf(
                    "IT-FIGURES IdleAndTurnsIT: turns=%d perTurnMs=%d (API 5 ms, commit.interval.ms 100) "
                            + "idleCommits=%.0f over %.1f s%n",
                    TURNS, perTurnMs, commits(app) - idleStart, idleSeconds);
            app.close();
        }
    }
}
