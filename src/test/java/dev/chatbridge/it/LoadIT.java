package dev.chatbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Many conversations at once through the real broker and the simulator over HTTP. */
@WithKafka
class LoadIT {

    private static final int THREADS = 200;
    private static final int TURNS = 10;
    private static final int MAX_IN_FLIGHT = 32;

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldAnswerEveryRequestOnceInThreadOrderAndFillTheInFlightLimitWhenManyThreadsWait(KafkaCluster kafka) {
        // Given a simulator with log-normal latency, 4 partitions and an instance limited to 32 calls
        SimulatorConfig.Builder sim = SimulatorConfig.builder()
                .latency(LatencyModel.logNormal(Duration.ofMillis(50), Duration.ofMillis(300)))
                .chunks(2)
                .chunkInterval(Duration.ofMillis(5));
        try (ItFixture fx = ItFixture.start(kafka, sim, 4);
                OutcomeReader reader = new OutcomeReader(fx)) {
            EngineConfig engine = fx.engine().maxInFlight(MAX_IN_FLIGHT).build();
            List<ChatRequest> input = ItFixture.conversations(
                    "load", THREADS, TURNS, (thread, turn) -> "Question " + turn + " of thread " + thread);
            long start = System.nanoTime();
            ChatBridgeApp app = fx.startApp(engine);

            // When 2,000 requests of 200 threads arrive
            fx.produce(input);

            // Then every request gets its outcome
            assertThat(reader.awaitAll(
                            input.stream().map(ChatRequest::getRequestId).toList(), Duration.ofSeconds(100)))
                    .as("all outcomes within 100 s (seen %d of %d)", reader.distinctSeen(), input.size())
                    .isTrue();
            Invariants.printFigures(
                    "LoadIT",
                    input.size(),
                    start,
                    fx.simulator,
                    "maxInFlight=" + MAX_IN_FLIGHT + " limiterPeak="
                            + app.resources().limiter().peak());
            app.close();
            reader.readToEnd(Duration.ofSeconds(30));

            // exactly once, in thread order, within the in-flight limit, which 200 waiting threads filled
            Invariants.assertAll(input, reader.outcomes(), fx.simulator, MAX_IN_FLIGHT);
            assertThat(reader.outcomes())
                    .allSatisfy(o -> assertThat(o.isResponse()).isTrue());
            assertThat(fx.simulator.stats().peakConcurrent())
                    .as("peak concurrency reached the limit")
                    .isEqualTo(MAX_IN_FLIGHT);
        }
    }
}
