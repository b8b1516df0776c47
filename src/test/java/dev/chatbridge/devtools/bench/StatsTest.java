package dev.chatbridge.devtools.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.chatbridge.devtools.simulator.SimulatorCounters;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void shouldTakePercentilesByNearestRank() {
        long[] values = {50, 10, 40, 20, 30, 60, 70, 80, 90, 100};

        assertThat(Stats.percentile(values, 50)).isEqualTo(50);
        assertThat(Stats.percentile(values, 99)).isEqualTo(100);
        assertThat(Stats.percentile(values, 10)).isEqualTo(10);
        assertThat(Stats.percentile(values, 100)).isEqualTo(100);
        assertThat(Stats.percentile(new long[] {7}, 99)).isEqualTo(7);
        assertThat(Stats.percentile(new long[0], 50)).isNaN();
        assertThat(values[0]).as("the input is not sorted in place").isEqualTo(50);
    }

    @Test
    void shouldRefusePercentilesOutsideTheRange() {
        assertThatThrownBy(() -> Stats.percentile(new long[] {1}, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Stats.percentile(new long[] {1}, 101)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldTakeMediansOfOddAndEvenCountsLeavingNaNOut() {
        assertThat(Stats.median(List.of(3.0, 1.0, 2.0))).isEqualTo(2.0);
        assertThat(Stats.median(List.of(4.0, 1.0, 2.0, 3.0))).isEqualTo(2.5);
        assertThat(Stats.median(List.of(Double.NaN, 5.0))).isEqualTo(5.0);
        assertThat(Stats.median(List.of())).isNaN();
    }

    @Test
    void shouldDeriveEfficiencyThroughputAndLittlesBoundFromTheConcurrencyIntegral() {
        // Given a 10 s window in which 64 calls were always in flight and 3,000 calls finished
        long s = 1_000_000_000L;
        SimulatorCounters start = counters(1_000, 990, 5 * s, 0);
        SimulatorCounters end = counters(4_000, 3_990, 5 * s + 64 * 10 * s, 10 * s);

        // Then the limit of 64 was used fully, 300 calls/s, and each call took 640/3000 s
        assertThat(Stats.efficiency(start, end, 64)).isCloseTo(1.0, within(1e-9));
        assertThat(Stats.efficiency(start, end, 128)).isCloseTo(0.5, within(1e-9));
        assertThat(Stats.callsPerSecond(start, end)).isCloseTo(300.0, within(1e-9));
        assertThat(end.meanCallNanosSince(start) / 1e6).isCloseTo(213.333, within(0.001));
        assertThat(Stats.littleBound(start, end, 64)).as("L / mean call time").isCloseTo(300.0, within(1e-6));
    }

    @Test
    void shouldGiveNoBoundWithoutFinishedCalls() {
        SimulatorCounters a = counters(0, 0, 0, 0);
        assertThat(Stats.littleBound(a, counters(0, 0, 0, 1_000), 8)).isNaN();
        assertThat(Stats.callsPerSecond(a, a)).isZero();
        assertThatThrownBy(() -> Stats.efficiency(a, a, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    private static SimulatorCounters counters(long total, long finished, long busy, long nanoTime) {
        return new SimulatorCounters(total, finished, (int) (total - finished), 64, Map.of(), busy, nanoTime, Map.of());
    }
}
