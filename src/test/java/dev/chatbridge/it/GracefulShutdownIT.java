package dev.chatbridge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chatbridge.devtools.simulator.LatencyModel;
import dev.chatbridge.devtools.simulator.SimulatorConfig;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.testing.KafkaCluster;
import dev.chatbridge.testing.WithKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@code run} command as a separate JVM, stopped with SIGTERM during load: calls in flight finish (drain), nothing
 * accepted is lost, and a restarted instance answers the rest.
 */
@WithKafka
class GracefulShutdownIT {

    private static final int THREADS = 60;
    private static final int TURNS = 3;
    private static final int MAX_IN_FLIGHT = 32;

    private final ChildJvms jvms = new ChildJvms();

    @AfterEach
    void killChildren() throws InterruptedException {
        jvms.killAll();
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldFinishCallsInFlightAndLoseNothingWhenTheRunCommandGetsSigterm(KafkaCluster kafka) throws Exception {
        // Given an API that takes 1.5 s per answer and the run command in its own JVM
        SimulatorConfig.Builder sim = SimulatorConfig.builder()
                .latency(LatencyModel.fixed(Duration.ofMillis(1_500)))
                .chunks(2)
                .chunkInterval(Duration.ofMillis(5));
        try (ItFixture fx = ItFixture.start(kafka, sim, 4);
                OutcomeReader reader = new OutcomeReader(fx)) {
            List<ChatRequest> input = ItFixture.conversations(
                    "sigterm", THREADS, TURNS, (thread, turn) -> "Turn " + turn + " of thread " + thread);
            List<String> ids = input.stream().map(ChatRequest::getRequestId).toList();
            Path config = fx.runConfigFile(MAX_IN_FLIGHT);
            fx.produce(input);
            long start = System.nanoTime();
            Process first = jvms.run(config, "first");

            // When SIGTERM arrives while calls are in flight
            await("20 calls in flight")
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> fx.simulator.stats().currentConcurrent() >= 20);
            int inFlightAtTerm = fx.simulator.stats().currentConcurrent();
            first.destroy();
            assertThat(first.waitFor(60, TimeUnit.SECONDS))
                    .as("run stopped after SIGTERM")
                    .isTrue();
            assertThat(first.exitValue())
                    .as("exit code of run after SIGTERM")
                    .isEqualTo(ShutdownHooksIT.SIGTERM_STATUS);
            assertThat(ChildJvms.OUT.resolve(config.getFileName().toString().replace(".properties", "") + "-first.err"))
                    .as("run closed everything before the JVM ended")
                    .content()
                    .contains("chat-bridge stopped");
            long callsAtExit = fx.simulator.stats().totalCalls();
            reader.readToEnd(Duration.ofSeconds(30));
            int outcomesAtExit = reader.distinctSeen();

            // Then every call that was started had its outcome committed before the process ended
            assertThat((long) outcomesAtExit)
                    .as("committed outcomes when the process ended vs calls it made")
                    .isEqualTo(callsAtExit);

            // and a restarted instance answers the rest, exactly once each, in thread order, with no call repeated
            Process second = jvms.run(config, "second");
            assertThat(reader.awaitAll(ids, Duration.ofSeconds(120)))
                    .as("all outcomes after the restart (seen %d of %d)", reader.distinctSeen(), ids.size())
                    .isTrue();
            second.destroy();
            assertThat(second.waitFor(60, TimeUnit.SECONDS))
                    .as("second run stopped after SIGTERM")
                    .isTrue();
            reader.readToEnd(Duration.ofSeconds(30));
            Invariants.printFigures(
                    "GracefulShutdownIT",
                    input.size(),
                    start,
                    fx.simulator,
                    "inFlightAtTerm=" + inFlightAtTerm + " callsAtExit=" + callsAtExit + " outcomesAtExit="
                            + outcomesAtExit);

            Invariants.assertExactlyOneOutcomeEach(input, reader.outcomes());
            Invariants.assertOutcomeOrderPerThread(input, reader.outcomes());
            Invariants.assertApiOrderPerThread(input, fx.simulator);
            Invariants.assertConcurrency(fx.simulator, MAX_IN_FLIGHT, false);
            assertThat(fx.simulator.stats().totalCalls())
                    .as("API calls: drained calls are not sent again")
                    .isEqualTo(input.size());
        }
    }
}
