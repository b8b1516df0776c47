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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A measurement for the Kubernetes documentation, not a test of behaviour: how many rebalances and how long without
 * progress a rolling restart of three instances and a scale-down from three to two cost, with the default dynamic
 * membership (a Deployment: a restarted pod is a new member with an empty state directory) and with static membership
 * (a StatefulSet: {@code group.instance.id} = the pod's name, the same state directory after a restart, and a session
 * timeout of 30 s that covers a restart). Its name does not end in IT, so the test suite leaves it out; it runs (about
 * 4 minutes) when named:
 *
 * <pre>./mvnw -B -o verify -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dit.test=MembershipMeasurement</pre>
 *
 * It prints {@code MEMBERSHIP mode=... phase=...} lines. Rebalances are counted from the instances' own logs
 * ({@link InstanceLogs}): Kafka Streams client transitions from RUNNING to REBALANCING (summed over instances) and
 * distinct group generations completed. It still checks the guarantees at the end, since a measurement over lost or
 * duplicated outcomes would mean nothing.
 */
@WithKafka
class MembershipMeasurement {

    private static final int PARTITIONS = 6;
    private static final int MAX_IN_FLIGHT = 16;
    private static final List<String> NAMES = List.of("i0", "i1", "i2");
    private static final int SETTLE_OUTCOMES = 200;
    private static final String NOW_RUNNING = "State transition from REBALANCING to RUNNING";

    private final ChildJvms jvms = new ChildJvms();

    @AfterEach
    void killChildren() throws InterruptedException {
        jvms.killAll();
    }

    @Test
    @Timeout(value = 480, unit = TimeUnit.SECONDS)
    void deploymentDynamicMembership(KafkaCluster kafka) throws Exception {
        measure(kafka, false);
    }

    @Test
    @Timeout(value = 480, unit = TimeUnit.SECONDS)
    void statefulSetStaticMembership(KafkaCluster kafka) throws Exception {
        measure(kafka, true);
    }

    private void measure(KafkaCluster kafka, boolean staticMembership) throws Exception {
        String mode = staticMembership ? "statefulset-static" : "deployment-dynamic";
        SimulatorConfig.Builder sim = SimulatorConfig.builder()
                .latency(LatencyModel.logNormal(Duration.ofMillis(100), Duration.ofMillis(200)))
                .chunks(2)
                .chunkInterval(Duration.ofMillis(5));
        try (ItFixture fx = ItFixture.start(kafka, sim, PARTITIONS);
                ProgressWatcher progress = new ProgressWatcher(fx);
                ConversationLoad load = new ConversationLoad(fx, "membership", 10, 5, Duration.ofMillis(500))) {
            Map<String, String> common = staticMembership
                    ? Map.of(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), "30000")
                    : Map.of();
            Fleet fleet = new Fleet(fx, jvms, MAX_IN_FLIGHT, common);
            long start = System.nanoTime();
            for (String name : NAMES) {
                fleet.start(name, true, own(name, staticMembership));
            }
            fleet.awaitAssigned(Set.copyOf(NAMES), Duration.ofSeconds(120));
            Set<String> staticIds = fleet.groupInstanceIds();
            if (staticMembership) {
                assertThat(staticIds)
                        .as("group.instance.id of the members (Kafka Streams adds -<thread>)")
                        .containsExactlyInAnyOrder("i0-1", "i1-1", "i2-1");
            } else {
                assertThat(staticIds).as("no static members").isEmpty();
            }
            load.start();
            settle(progress, load);
            List<String> lines = new ArrayList<>();
            long steadyFrom = System.currentTimeMillis();
            progress.awaitMore(300, Duration.ofSeconds(120));
            long steadyTo = System.currentTimeMillis();

            // (a) rolling restart: stop one (SIGTERM), start it again, wait until it runs and all is answered, next
            long rollFrom = System.currentTimeMillis();
            List<Long> restartMs = new ArrayList<>();
            for (String name : NAMES) {
                long t0 = System.currentTimeMillis();
                fleet.sigterm(name);
                assertThat(fleet.awaitExit(name, Duration.ofSeconds(60)))
                        .as("exit code of %s", name)
                        .isEqualTo(ShutdownHooksIT.SIGTERM_STATUS);
                fleet.start(name, !staticMembership, own(name, staticMembership));
                await(name + " running again")
                        .atMost(Duration.ofSeconds(120))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> InstanceLogs.loggedSince(fleet.log(name), NOW_RUNNING, t0));
                fleet.awaitAssigned(Set.copyOf(NAMES), Duration.ofSeconds(120));
                restartMs.add(System.currentTimeMillis() - t0);
                settle(progress, load);
            }
            long rollTo = System.currentTimeMillis();

            // (b) scale-down 3 -> 2
            long downFrom = System.currentTimeMillis();
            fleet.sigterm("i2");
            assertThat(fleet.awaitExit("i2", Duration.ofSeconds(60)))
                    .as("exit code of i2")
                    .isEqualTo(ShutdownHooksIT.SIGTERM_STATUS);
            Duration reassigned = fleet.awaitAssigned(Set.of("i0", "i1"), Duration.ofSeconds(120));
            settle(progress, load);
            long downTo = System.currentTimeMillis();

            List<ChatRequest> input = load.stop(Duration.ofSeconds(30));
            List<String> ids = input.stream().map(ChatRequest::getRequestId).toList();
            await("every request has its outcome")
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> progress.hasAll(ids));
            for (String name : List.of("i0", "i1")) {
                fleet.sigterm(name);
            }
            for (String name : List.of("i0", "i1")) {
                assertThat(fleet.awaitExit(name, Duration.ofSeconds(60)))
                        .as("exit code of %s", name)
                        .isEqualTo(ShutdownHooksIT.SIGTERM_STATUS);
            }
            List<Outcome> outcomes = progress.stop(Duration.ofSeconds(30));
            progress.writeCsv(ChildJvms.OUT.resolve(fx.applicationId + "-outcomes.csv"));

            lines.add(figures(progress, fleet, mode, "steady-3", steadyFrom, steadyTo, ""));
            lines.add(figures(
                    progress, fleet, mode, "rolling-restart", rollFrom, rollTo, "restart_to_running_ms=" + restartMs));
            lines.add(figures(
                    progress,
                    fleet,
                    mode,
                    "scale-down-3-to-2",
                    downFrom,
                    downTo,
                    "reassigned_after_exit_ms=" + reassigned.toMillis()));
            lines.forEach(l -> System.out.println("MEMBERSHIP " + l));
            Invariants.printFigures(
                    "MembershipMeasurement[" + mode + "]",
                    input.size(),
                    start,
                    fx.simulator,
                    String.join(" | ", lines));

            Invariants.assertExactlyOneOutcomeEach(input, outcomes);
            Invariants.assertOutcomeOrderPerThread(input, outcomes);
            Invariants.assertApiOrderPerThread(input, fx.simulator);
        }
    }

    private static Map<String, String> own(String name, boolean staticMembership) {
        return staticMembership ? Map.of(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, name) : Map.of();
    }

    private static void settle(ProgressWatcher progress, ConversationLoad load) {
        progress.awaitSettled(load.sentIds(), SETTLE_OUTCOMES, Duration.ofSeconds(120));
    }

    private static String figures(
            ProgressWatcher progress, Fleet fleet, String mode, String phase, long from, long to, String extra) {
        return ("mode=" + mode + " phase=" + phase + " " + ScaleIT.windowFigures(progress, fleet, from, to) + " "
                        + extra)
                .strip();
    }
}
