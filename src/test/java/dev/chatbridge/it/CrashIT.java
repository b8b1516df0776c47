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

/** The run command as a separate JVM, killed with SIGKILL while many calls are in flight, then restarted. */
@WithKafka
class CrashIT {

    private static final int THREADS = 120;
    private static final int TURNS = 3;
    private static final int MAX_IN_FLIGHT = 64;

    private final ChildJvms jvms = new ChildJvms();

    @AfterEach
    void killChildren() throws InterruptedException {
        jvms.killAll();
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldEmitExactlyOneOutcomePerRequestInOrderWhenTheProcessIsKilledWithCallsInFlight(KafkaCluster kafka)
            throws Exception {
        // Given an API that takes 2 s per answer, 360 requests of 120 threads, and the app in its own JVM
        SimulatorConfig.Builder sim = SimulatorConfig.builder()
                .latency(LatencyModel.fixed(Duration.ofSeconds(2)))
                .chunks(2)
                .chunkInterval(Duration.ofMillis(5));
        try (ItFixture fx = ItFixture.start(kafka, sim, 4);
                OutcomeReader reader = new OutcomeReader(fx)) {
            List<ChatRequest> input = ItFixture.conversations(
                    "crash", THREADS, TURNS, (thread, turn) -> "Turn " + turn + " of thread " + thread);
            List<String> ids = input.stream().map(ChatRequest::getRequestId).toList();
            Path config = fx.runConfigFile(MAX_IN_FLIGHT);
            fx.produce(input);
            long start = System.nanoTime();
            Process first = jvms.run(config, "first");

            // When at least 50 calls are in flight, the process is killed with SIGKILL
            await("50 calls in flight")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> fx.simulator.stats().currentConcurrent() >= 50);
            int inFlightAtKill = fx.simulator.stats().currentConcurrent();
            long callsAtKill = fx.simulator.stats().totalCalls();
            first.destroyForcibly();
            assertThat(first.waitFor(10, TimeUnit.SECONDS))
                    .as("killed process exited")
                    .isTrue();
            assertThat(first.exitValue()).as("exit status of SIGKILL (128 + 9)").isEqualTo(137);
            await("the API sees the killed calls end")
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> fx.simulator.stats().currentConcurrent() == 0);
            reader.awaitAll(ids, Duration.ofMillis(500));
            int outcomesAtKill = reader.distinctSeen();

            // and restarted on the same state directory
            Process second = jvms.run(config, "second");

            // Then every request gets exactly one committed outcome, in thread order
            assertThat(reader.awaitAll(ids, Duration.ofSeconds(120)))
                    .as("all outcomes after the restart (seen %d of %d)", reader.distinctSeen(), ids.size())
                    .isTrue();
            long extraCalls = fx.simulator.stats().totalCalls() - input.size();
            Invariants.printFigures(
                    "CrashIT",
                    input.size(),
                    start,
                    fx.simulator,
                    "inFlightAtKill=" + inFlightAtKill + " callsAtKill=" + callsAtKill + " outcomesAtKill="
                            + outcomesAtKill + " extraCalls=" + extraCalls);
            second.destroy();
            assertThat(second.waitFor(40, TimeUnit.SECONDS))
                    .as("second process stopped on SIGTERM")
                    .isTrue();
            reader.readToEnd(Duration.ofSeconds(30));

            Invariants.assertExactlyOneOutcomeEach(input, reader.outcomes());
            Invariants.assertOutcomeOrderPerThread(input, reader.outcomes());
            Invariants.assertApiOrderPerThread(input, fx.simulator);
            Invariants.assertConcurrency(fx.simulator, MAX_IN_FLIGHT, true);
            assertThat(reader.outcomes())
                    .allSatisfy(o -> assertThat(o.isResponse()).isTrue());
            // the calls cut by the kill were sent again: at least one more call, at most what could be re-sent
            assertThat(extraCalls)
                    .as("calls beyond one per request")
                    .isPositive()
                    .isLessThanOrEqualTo(2L * MAX_IN_FLIGHT);
        }
    }
}
