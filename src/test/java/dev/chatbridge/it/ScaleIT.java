package dev.chatbridge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chatbridge.devtools.simulator.LatencyModel;
import dev.chatbridge.devtools.simulator.SimulatorConfig;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.it.OutcomeReader.Outcome;
import dev.chatbridge.testing.KafkaCluster;
import dev.chatbridge.testing.WithKafka;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scaling as KEDA would do it, without Kubernetes: {@code run} instances as separate JVMs share the input under steady
 * load of many conversations; one instance, then three (two join), then one again (two stopped with SIGTERM), then the
 * load stops. Nothing may be lost, duplicated or reordered, and the API must never see a thread's turn after its next
 * turn. The time without progress at each step is printed as {@code SCALE step=... no_progress_ms=...} lines (see
 * {@link #windowFigures}); they land in {@code target/failsafe-reports/dev.chatbridge.it.ScaleIT-output.txt}, the
 * instances' logs and the outcomes (CSV) under {@code target/it-processes}.
 *
 * <pre>./mvnw -B -o verify -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=ScaleIT</pre>
 */
@WithKafka
class ScaleIT {

    private static final int PARTITIONS = 6;
    private static final int MAX_IN_FLIGHT = 16;
    /** 10 new conversations a second of 5 turns 500 ms apart: 50 requests a second. */
    private static final int CONVERSATIONS_PER_SECOND = 10;

    private static final int TURNS = 5;
    private static final Duration TURN_INTERVAL = Duration.ofMillis(500);
    /** Outcomes after a step (and after the backlog is answered) before the step counts as settled. */
    private static final int SETTLE_OUTCOMES = 200;

    private final ChildJvms jvms = new ChildJvms();

    @AfterEach
    void killChildren() throws InterruptedException {
        jvms.killAll();
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldEmitExactlyOneOutcomePerRequestInTurnOrderWhenScaledFromOneToThreeAndBackUnderLoad(KafkaCluster kafka)
            throws Exception {
        // Given an API answering in 50-200 ms, 6 input partitions and one instance
        SimulatorConfig.Builder sim = SimulatorConfig.builder()
                .latency(LatencyModel.logNormal(Duration.ofMillis(100), Duration.ofMillis(200)))
                .chunks(2)
                .chunkInterval(Duration.ofMillis(5));
        try (ItFixture fx = ItFixture.start(kafka, sim, PARTITIONS);
                ProgressWatcher progress = new ProgressWatcher(fx);
                ConversationLoad load =
                        new ConversationLoad(fx, "scale", CONVERSATIONS_PER_SECOND, TURNS, TURN_INTERVAL)) {
            Fleet fleet = new Fleet(fx, jvms, MAX_IN_FLIGHT, Map.of());
            long start = System.nanoTime();
            fleet.start("a", true, Map.of());
            fleet.awaitAssigned(Set.of("a"), Duration.ofSeconds(90));

            // under steady load
            load.start();
            long steadyFrom = System.currentTimeMillis();
            progress.awaitMore(300, Duration.ofSeconds(60));
            long steadyTo = System.currentTimeMillis();

            // When two more instances start (1 -> 3)
            long upFrom = System.currentTimeMillis();
            fleet.start("b", true, Map.of());
            fleet.start("c", true, Map.of());
            // (a cold JVM takes 10-40 s to start on two busy cores)
            Duration upAssigned = fleet.awaitAssigned(Set.of("a", "b", "c"), Duration.ofSeconds(90));
            progress.awaitSettled(load.sentIds(), SETTLE_OUTCOMES, Duration.ofSeconds(60));
            long upTo = System.currentTimeMillis();

            // and two of them get SIGTERM (3 -> 1)
            long downFrom = System.currentTimeMillis();
            fleet.sigterm("b");
            fleet.sigterm("c");
            int exitB = fleet.awaitExit("b", Duration.ofSeconds(60));
            int exitC = fleet.awaitExit("c", Duration.ofSeconds(60));
            Duration downAssigned = fleet.awaitAssigned(Set.of("a"), Duration.ofSeconds(60));
            progress.awaitSettled(load.sentIds(), SETTLE_OUTCOMES, Duration.ofSeconds(60));
            long downTo = System.currentTimeMillis();

            // and the load stops
            List<ChatRequest> input = load.stop(Duration.ofSeconds(30));
            List<String> ids = input.stream().map(ChatRequest::getRequestId).toList();
            await("every request has its outcome")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> progress.hasAll(ids));
            fleet.sigterm("a");
            int exitA = fleet.awaitExit("a", Duration.ofSeconds(60));
            List<Outcome> outcomes = progress.stop(Duration.ofSeconds(30));
            progress.writeCsv(ChildJvms.OUT.resolve(fx.applicationId + "-outcomes.csv"));

            // Then: the figures of each step
            String steady = step(progress, fleet, "steady@1", steadyFrom, steadyTo, Duration.ZERO);
            String up = step(progress, fleet, "1->3", upFrom, upTo, upAssigned);
            String down = step(progress, fleet, "3->1", downFrom, downTo, downAssigned);
            Invariants.printFigures(
                    "ScaleIT",
                    input.size(),
                    start,
                    fx.simulator,
                    "partitions=" + PARTITIONS + " maxInFlight=" + MAX_IN_FLIGHT + " " + steady + " | " + up + " | "
                            + down);

            // graceful stops, exactly one committed outcome per request, in turn order, and the API saw turn order
            assertThat(List.of(exitB, exitC, exitA))
                    .as("exit codes after SIGTERM (b, c, a)")
                    .containsOnly(ShutdownHooksIT.SIGTERM_STATUS);
            Invariants.assertExactlyOneOutcomeEach(input, outcomes);
            Invariants.assertOutcomeOrderPerThread(input, outcomes);
            Invariants.assertApiOrderPerThread(input, fx.simulator);
            assertThat(outcomes)
                    .as("outcomes (no faults: all answers)")
                    .allSatisfy(o -> assertThat(o.isResponse())
                            .as("%s is a response", o.requestId())
                            .isTrue());
            assertThat(fx.simulator.stats().peakConcurrent())
                    .as("peak concurrency at the API, 3 instances")
                    .isLessThanOrEqualTo(3 * MAX_IN_FLIGHT);
        }
    }

    /**
     * The figures of one time window: the longest gap between consecutive committed outcomes by record timestamp
     * overall ({@code no_progress_ms}) and per partition ({@code no_progress_partition_ms}, with the partition),
     * overall by arrival at the reader ({@code no_output_ms}), outcomes in the window, Kafka Streams RUNNING to
     * REBALANCING transitions in the instances' logs, and group generations completed.
     */
    static String windowFigures(ProgressWatcher progress, Fleet fleet, long from, long to) {
        return "no_progress_ms=" + progress.longestGap(from, to)
                + " no_progress_partition_ms=" + progress.longestPartitionGap(from, to)
                + " no_output_ms=" + progress.longestArrivalGap(from, to)
                + " duration_ms=" + (to - from)
                + " outcomes=" + progress.outcomesBetween(from, to)
                + " running_to_rebalancing=" + InstanceLogs.runningToRebalancing(fleet.logs(), from, to)
                + " generations="
                + InstanceLogs.generations(fleet.logs(), from, to).size();
    }

    /** Prints one step's figures and returns them for the IT-FIGURES line. */
    private static String step(
            ProgressWatcher progress, Fleet fleet, String name, long from, long to, Duration assigned) {
        String line =
                "step=" + name + " " + windowFigures(progress, fleet, from, to) + " assigned_ms=" + assigned.toMillis();
        System.out.println("SCALE " + line);
        return line;
    }
}
