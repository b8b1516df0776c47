package dev.chatbridge.devtools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.devtools.simulator.SimulatorCounters;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchPartsTest {

    @Test
    void shouldSumEveryLabelledSampleOfAPrometheusMetricAndNothingElse() {
        String text = """
                # HELP kafka_stream_thread_commit_total The total number of calls to commit
                # TYPE kafka_stream_thread_commit_total counter
                kafka_stream_thread_commit_total{client_id="a-StreamThread-1",thread_id="1"} 12.0
                kafka_stream_thread_commit_total{client_id="a-StreamThread-2",thread_id="2"} 3.0
                kafka_stream_thread_commit_total_extra 100.0
                chat_bridge_pending_requests 2000.0
                """;

        assertThat(Http.sum(text, "kafka_stream_thread_commit_total")).hasValue(15.0);
        assertThat(Http.sum(text, "chat_bridge_pending_requests")).hasValue(2000.0);
        assertThat(Http.sum(text, "chat_bridge_pending")).isEmpty();
    }

    @Test
    void shouldMapRequestAndThreadIdsOfALoadBackToTheirIndexes() {
        RequestLoad load = new RequestLoad("b1l64xab", 10, 4);

        assertThat(load.threadIndex("b1l64xab-t7")).isEqualTo(7);
        assertThat(load.threadIndex("b1l64xab-t10")).as("beyond the load").isEqualTo(-1);
        assertThat(load.threadIndex("other-t1")).isEqualTo(-1);
        assertThat(load.requestIndex("b1l64xab-t3-r2")).containsExactly(3, 2);
        assertThat(load.requestIndex("b1l64xab-t3-r4"))
                .as("turn beyond the load")
                .isNull();
        assertThat(load.requestIndex(null)).isNull();
    }

    @Test
    void shouldSizeLoadsSoThatLCallsCanAlwaysBeInFlightAndTheRateGuessIsCapped() {
        BenchPlan full = BenchPlan.full(6);
        Workload l1024 = Workload.byName().get("l1024");
        Workload llm = Workload.byName().get("llm");
        Workload blocking = Workload.byName().get("blocking");

        assertThat(full.threads(l1024)).as("8 threads per unit of L").isEqualTo(8 * 1024);
        assertThat(full.turns(l1024)).as("110 s at L / 200 ms, and a margin").isEqualTo(104);
        assertThat(full.turns(Workload.byName().get("max")))
                .as("at most 200 turns")
                .isEqualTo(200);
        assertThat(full.turns(llm))
                .as("120 s at L / 7.6 s, and a margin, rounded up")
                .isEqualTo(3);
        assertThat(full.threads(blocking)).as("the floor needs few threads").isEqualTo(50);
        assertThat(full.turns(blocking) * full.threads(blocking))
                .as("110 s at 5 calls/s, and a margin")
                .isBetween(700, 900);
        assertThat(llm.nominalCallSeconds())
                .as("log-normal mean 2.9 s plus 19 pauses of 250 ms")
                .isBetween(7.5, 8.0);
        assertThat(full.measure(llm)).isGreaterThan(full.measure(l1024));
        assertThat(full.warmup(llm))
                .as("a Kafka Streams JVM's JIT settles in about 90 s here")
                .isEqualTo(full.warmup(l1024))
                .isEqualTo(Duration.ofSeconds(90));
        assertThat(full.warmup(Workload.byName().get("netty-l1024")))
                .as("the raw client compiles little")
                .isEqualTo(Duration.ofSeconds(30));
        assertThat(full.withWarmup(Duration.ofSeconds(10))
                        .warmup(Workload.byName().get("netty-l1024")))
                .as("--warmup sets both")
                .isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void shouldCallTheLimitFilledWhenTheMeanInFlightOfAStepIsAtLeastNineTenthsOfIt() {
        SimulatorCounters t0 = snapshot(0, 0);
        long half = 500_000_000L;

        assertThat(Ramp.full(t0, snapshot(58L * half, half), 64))
                .as("58 of 64 in flight on average")
                .isTrue();
        assertThat(Ramp.full(t0, snapshot(57L * half, half), 64)).as("57 of 64").isFalse();
        assertThat(Ramp.full(t0, t0, 64)).as("no time passed").isFalse();
    }

    private static SimulatorCounters snapshot(long busyNanos, long nanoTime) {
        return new SimulatorCounters(0, 0, 0, 0, Map.of(), busyNanos, 1_000_000_000L + nanoTime, Map.of());
    }

    @Test
    void shouldListEveryWorkloadOnceWithABaselineForEachBridgeWorkload() {
        List<String> names = List.copyOf(Workload.byName().keySet());

        assertThat(names)
                .containsExactly(
                        "l64",
                        "netty-l64",
                        "l256",
                        "netty-l256",
                        "l1024",
                        "netty-l1024",
                        "llm",
                        "netty-llm",
                        "max",
                        "netty-max",
                        "blocking",
                        "idle",
                        "heap");
        assertThat(Workload.byName().get("netty-llm").limit())
                .isEqualTo(Workload.byName().get("llm").limit());
    }
}
