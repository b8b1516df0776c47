package dev.chatbridge.devtools.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

class ConcurrencyCountersTest {

    private final AtomicLong clock = new AtomicLong(1_000);
    private final ConcurrencyCounters counters = new ConcurrencyCounters(clock::get);

    @Test
    void shouldIntegrateCallsInProgressOverTimeIncludingUnfinishedOnes() {
        // Given a call from 1000 to 1010, one from 1005 to 1015, one from 1018 still in progress
        long a = at(1_000, counters::started);
        long b = at(1_005, counters::started);
        at(1_010, () -> counters.finished(a, "200"));
        at(1_015, () -> counters.finished(b, "429"));
        at(1_018, counters::started);

        // When read at 1020
        clock.set(1_020);
        SimulatorCounters c = counters.snapshot();

        // Then busy time is 10 + 10 + 2, and the counts match
        assertThat(c.busyNanos()).as("integral of concurrency").isEqualTo(22);
        assertThat(c.totalCalls()).isEqualTo(3);
        assertThat(c.finishedCalls()).isEqualTo(2);
        assertThat(c.currentConcurrent()).isEqualTo(1);
        assertThat(c.peakConcurrent()).isEqualTo(2);
        assertThat(c.callsByStatus()).containsEntry("200", 1L).containsEntry("429", 1L);
        assertThat(c.nanoTime()).isEqualTo(1_020);
    }

    @Test
    void shouldGiveTheExactMeanInFlightOfAWindowFromTwoReads() {
        // Given two calls in progress from 0, read at 100
        clock.set(0);
        long a = counters.started();
        counters.started();
        clock.set(100);
        SimulatorCounters first = counters.snapshot();

        // When one finishes at 150 and the window is read again at 200
        clock.set(150);
        counters.finished(a, "200");
        clock.set(200);
        SimulatorCounters second = counters.snapshot();

        // Then the window held 2 calls for 50 and 1 for 50: 1.5 on average
        assertThat(second.meanInFlightSince(first)).isEqualTo(1.5);
        assertThat(second.meanCallNanosSince(first))
                .as("busy time per finished call")
                .isEqualTo(150.0);
    }

    @Test
    void shouldLowerOnlyThePeakOnReset() {
        long a = counters.started();
        counters.started();
        counters.finished(a, "200");

        counters.resetPeak();

        SimulatorCounters c = counters.snapshot();
        assertThat(c.peakConcurrent()).isEqualTo(1);
        assertThat(c.totalCalls()).as("counters stay cumulative").isEqualTo(2);
    }

    private long at(long time, LongSupplier action) {
        clock.set(time);
        return action.getAsLong();
    }
}
