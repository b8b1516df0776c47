package dev.chatbridge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chatbridge.engine.AdaptiveLimit.Algorithm;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The Netflix limits as adapted: on a synthetic clock, in the library's 1 s windows of at least 10 samples. */
class NetflixLimitTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void shouldStartAtTwentyOrTheCeilingWhenLower() {
        for (Algorithm algorithm : new Algorithm[] {Algorithm.AIMD, Algorithm.GRADIENT2}) {
            assertThat(AdaptiveLimit.of(algorithm, 100).limit())
                    .as("%s", algorithm)
                    .isEqualTo(20);
            assertThat(AdaptiveLimit.of(algorithm, 5).limit())
                    .as("%s", algorithm)
                    .isEqualTo(5);
            assertThat(AdaptiveLimit.of(algorithm, 1).limit())
                    .as("%s", algorithm)
                    .isEqualTo(1);
            assertThat(AdaptiveLimit.of(algorithm, 5)).isInstanceOf(NetflixLimit.class);
            assertThatThrownBy(() -> AdaptiveLimit.of(algorithm, 0)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void shouldDecreaseAimdOnAWindowWithADrop() {
        // Given AIMD at 20 below a ceiling of 100
        AdaptiveLimit limit = AdaptiveLimit.of(Algorithm.AIMD, 100);
        // When a window (1 s, 10 samples per 100 ms) has one drop among its calls
        long t = 1_000 * MS;
        t = ticks(limit, t, 12, 100 * MS, 20, true);
        // Then the limit decreased by 10 %
        assertThat(limit.limit()).isEqualTo(18);
    }

    @Test
    void shouldGrowAimdByOnePerWindowUpToTheCeilingAndNoFurther() {
        // Given AIMD at 20 below a ceiling of 25
        AdaptiveLimit limit = AdaptiveLimit.of(Algorithm.AIMD, 25);
        long t = 1_000 * MS;
        // When 3 windows succeed with the limit in use (the library closes one at the first sample more than 1 s
        // after the last: every 11 ticks here, after a first sample that only opens it), it grows by one per window
        t = ticks(limit, t, 34, 100 * MS, -1, false);
        assertThat(limit.limit()).isEqualTo(23);
        // Then 30 windows more never take it above the ceiling
        for (int i = 0; i < 300; i++) {
            t = ticks(limit, t, 1, 100 * MS, -1, false);
            assertThat(limit.limit()).isBetween(1, 25);
        }
        assertThat(limit.limit()).isEqualTo(25);
    }

    @Test
    void shouldCloseWindowsOnAClockBelowZero() {
        // Given System.nanoTime() below zero (it may be: only differences of it mean anything)
        AdaptiveLimit limit = AdaptiveLimit.of(Algorithm.AIMD, 100);
        long t = Long.MIN_VALUE / 2;
        // When a window with a drop ends
        ticks(limit, t, 12, 100 * MS, 20, true);
        // Then the library saw it: the limit decreased
        assertThat(limit.limit()).isEqualTo(18);
    }

    @Test
    void shouldLeaveGradient2UnmovedByDropsAndWithinTheCeiling() {
        // Given Gradient2 at 20 below a ceiling of 30
        AdaptiveLimit limit = AdaptiveLimit.of(Algorithm.GRADIENT2, 30);
        long t = 1_000 * MS;
        // When every window (15 of them) has drops but latency stays the same: it does not decrease (it ignores drops)
        for (int i = 0; i < 170; i++) {
            t = ticks(limit, t, 1, 100 * MS, -1, true);
            assertThat(limit.limit()).isBetween(20, 30);
        }
        // And when latency quadruples, it decreases, never below 1
        int before = limit.limit();
        for (int i = 0; i < 100; i++) {
            t = ticks(limit, t, 1, 400 * MS, -1, false);
            assertThat(limit.limit()).isBetween(1, 30);
        }
        assertThat(limit.limit()).isLessThan(before);
    }

    /**
     * {@code count} ticks of 100 ms after {@code start}, each with 10 calls of {@code rtt} ending with {@code inFlight}
     * in flight (the limit when -1); the first call of each tick dropped when {@code drop}. Returns the last tick.
     */
    private static long ticks(AdaptiveLimit limit, long start, int count, long rtt, int inFlight, boolean drop) {
        long t = start;
        for (int tick = 0; tick < count; tick++) {
            t += 100 * MS;
            for (int i = 0; i < 10; i++) {
                limit.onSample(t, rtt, inFlight < 0 ? limit.limit() : inFlight, drop && i == 0);
            }
        }
        return t;
    }
}
