package dev.chatbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.api.RetryPolicy;
import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.devtools.simulator.CallTiming;
import dev.chatbridge.devtools.simulator.LatencyModel;
import dev.chatbridge.devtools.simulator.SimulatorConfig;
import dev.chatbridge.engine.EngineConfig;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.testing.KafkaCluster;
import dev.chatbridge.testing.WithKafka;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * With the adaptive limit on, a burst of 429s with {@code Retry-After: 2} pauses every new call of the instance for 2
 * s; the refused calls go again after it without spending an attempt.
 */
@WithKafka
class RetryAfterPauseIT {

    private static final int BURST = 20;
    private static final long PAUSE_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** Calls already on their way when the first 429 came back may still arrive this long after it. */
    private static final long IN_TRANSIT_NANOS = TimeUnit.MILLISECONDS.toNanos(150);

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldPauseDispatchForTheRetryAfterAndSucceedAfterItWithoutSpendingAttempts(KafkaCluster kafka)
            throws Exception {
        // Given an API answering in 100 ms, and an instance that may make one attempt per request only
        SimulatorConfig.Builder sim = SimulatorConfig.builder()
                .latency(LatencyModel.fixed(Duration.ofMillis(100)))
                .chunks(1)
                .callTimings(20_000);
        try (ItFixture fx = ItFixture.start(kafka, sim, 4);
                OutcomeReader reader = new OutcomeReader(fx)) {
            EngineConfig engine = fx.engine()
                    .maxInFlight(32)
                    .adaptive(true)
                    .retryPolicy(new RetryPolicy(
                            1,
                            Duration.ofMillis(50),
                            Duration.ofMillis(200),
                            Duration.ofSeconds(5),
                            Duration.ofSeconds(60),
                            new Random(7)))
                    .build();
            List<ChatRequest> input = ItFixture.conversations("pause", 200, 4, (thread, turn) -> "Turn " + turn);
            List<String> ids = input.stream().map(ChatRequest::getRequestId).toList();
            ChatBridgeApp app = fx.startApp(engine);
            fx.produce(input);
            assertThat(reader.awaitAll(ids.subList(0, 100), Duration.ofSeconds(60)))
                    .as("first outcomes")
                    .isTrue();

            // When the API answers the next 20 calls with 429 and Retry-After: 2
            fx.simulator.retryAfterBurst(BURST, 2);

            // Then every request is still answered (none used up its single attempt on a 429)
            assertThat(reader.awaitAll(ids, Duration.ofSeconds(120)))
                    .as("all outcomes (seen %d of %d)", reader.distinctSeen(), ids.size())
                    .isTrue();
            double paused = app.resources().retryAfterPausedSeconds();
            app.close();
            reader.readToEnd(Duration.ofSeconds(30));
            List<CallTiming> timings = fx.simulator.drainCallTimings();
            List<CallTiming> refused = timings.stream()
                    .filter(t -> "429".equals(t.outcome()))
                    .sorted(Comparator.comparingLong(CallTiming::endNanos))
                    .toList();
            long firstRefusal = refused.get(0).endNanos();
            long arrivedInPause = timings.stream()
                    .filter(t -> t.startNanos() - (firstRefusal + IN_TRANSIT_NANOS) > 0
                            && t.startNanos() - (firstRefusal + PAUSE_NANOS - IN_TRANSIT_NANOS) < 0)
                    .count();
            long resumedAfterNanos = timings.stream()
                            .mapToLong(CallTiming::startNanos)
                            .filter(start -> start - (firstRefusal + IN_TRANSIT_NANOS) > 0)
                            .min()
                            .orElseThrow()
                    - firstRefusal;
            System.out.printf(
                    "IT-FIGURES RetryAfterPauseIT: 429s %d, calls %d, paused %.2f s in all, first call after the "
                            + "first 429 arrived %d ms after it%n",
                    refused.size(), timings.size(), paused, TimeUnit.NANOSECONDS.toMillis(resumedAfterNanos));

            assertThat(refused).as("429s of the burst").hasSize(BURST);
            assertThat(arrivedInPause)
                    .as("calls arriving during the 2 s pause after the first 429")
                    .isZero();
            assertThat(resumedAfterNanos).isGreaterThanOrEqualTo(PAUSE_NANOS - IN_TRANSIT_NANOS);
            assertThat(paused).isGreaterThanOrEqualTo(2.0);
            Invariants.assertExactlyOneOutcomeEach(input, reader.outcomes());
            Invariants.assertOutcomeOrderPerThread(input, reader.outcomes());
            Invariants.assertApiOrderPerThread(input, fx.simulator);
            assertThat(reader.outcomes())
                    .allSatisfy(o -> assertThat(o.isResponse())
                            .as("answered, not dead-lettered")
                            .isTrue());
        }
    }
}
